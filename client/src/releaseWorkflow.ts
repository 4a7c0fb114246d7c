/**
 * The logic of "Create Release Workflow" that needs no VS Code: the CLI's argument array (`init ci --json FOLDER`),
 * reading its answer, what the editor says about the secrets to create, and the two refusals it can resolve with the
 * user (the file exists: replace it?; several programs: which one?). The CLI decides everything else.
 */
import type { InitCiJson } from '../../server/src/protocol';

export interface InitCiChoice {
  force?: boolean;
  package?: string;
}

export function initCiArgs(folder: string, choice: InitCiChoice = {}): string[] {
  const args = ['init', 'ci', '--json'];
  if (choice.force) args.push('--force');
  if (choice.package) args.push('--package', choice.package);
  // `--` so that a folder whose name starts with a dash is still a path.
  return [...args, '--', folder];
}

/** What a failed run asks of the user, read from the CLI's one-line error. */
export type InitCiRefusal =
  { kind: 'exists' } | { kind: 'choose'; packages: string[] } | { kind: 'error'; message: string };

export function refusal(stderr: string): InitCiRefusal {
  const line = stderr.trim().split('\n').pop() ?? '';
  const message = line.replace(/^go-macos-sign: /, '');
  if (/ exists; --force replaces it$/.test(message)) return { kind: 'exists' };
  const several = /^\d+ main packages \(([^)]*)\): choose one with --package$/.exec(message);
  if (several) return { kind: 'choose', packages: several[1].split(', ').filter(Boolean) };
  return { kind: 'error', message: message || 'go-macos-sign init ci failed' };
}

export function parseInitCi(stdout: string): InitCiJson {
  const value = JSON.parse(stdout) as InitCiJson;
  if (typeof value?.file !== 'string' || !Array.isArray(value.secrets)) throw new Error('unexpected init ci output');
  return value;
}

/** The notification: one sentence naming the secrets. */
export function secretsSummary(result: InitCiJson): string {
  return (
    `Release workflow for ${result.name} written. Create ${result.secrets.length} repository secrets: ` +
    `${result.secrets.map((s) => s.name).join(', ')}.`
  );
}

/** The output channel's lines: each secret, what it holds, and a command that creates it. */
export function secretsReport(result: InitCiJson): string[] {
  return [
    `${result.file}: ${result.changes.join('; ') || 'unchanged'} (releases ${result.package} as ${result.name})`,
    `CI installs go-macos-sign from ${result.cli}`,
    'Repository secrets to create (Settings > Secrets and variables > Actions), e.g. with GitHub CLI:',
    ...result.secrets.flatMap((s) => [`  ${s.name}: ${s.holds}`, `      ${s.command}`]),
  ];
}

/** The `gh secret set` commands alone, for the clipboard. */
export function secretCommands(result: InitCiJson): string {
  return `${result.secrets.map((s) => s.command.replace(/ {2,}\(.*\)$/, '')).join('\n')}\n`;
}
