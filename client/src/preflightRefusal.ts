/**
 * The editor's side of the notarization pre-flight, with no VS Code import so that plain Node can test it: when
 * `notarize --json` refused to submit (certain rejections found, nothing uploaded), which problems go in the Problems
 * panel on which file, what the notification says, and the command line that submits anyway.
 *
 * Why here and at once: the CLI found, before any upload, what Apple's log would only say after the wait; the user
 * sees Apple's own words and our fix in the Problems panel immediately, each linked to Apple's page.
 */
import * as path from 'node:path';
import type { NotarizeJson, PreflightFinding, PreflightResult } from '../../server/src/protocol';

/** One Problems-panel entry: the file it belongs on, the text, and the rule with Apple's page. */
export interface PreflightProblem {
  file: string;
  message: string;
  code: { value: string; target: string };
}

/** The pre-flight's refusal in a `notarize --json` document, or null when the CLI did not refuse. */
export function refusedPreflight(r: NotarizeJson): PreflightResult | null {
  if (!('error' in r) || !('preflight' in r) || !r.preflight) return null;
  return r.preflight.findings.length > 0 ? r.preflight : null;
}

/**
 * Where a finding is shown: on the file itself when it is on disk (the artifact, or a file inside an .app); on the
 * artifact when it names an entry inside a zip (`tool.zip/bin/tool` is not a file one can open).
 */
function fileOf(finding: PreflightFinding, artifact: string): string {
  const zip = /\.zip$/i.test(artifact);
  if (zip && finding.path.startsWith(`${artifact}/`)) return artifact;
  return finding.path;
}

/** One problem per finding: Apple's message with the slice (and the zip entry), then our fix. */
export function preflightProblems(result: PreflightResult, artifact: string): PreflightProblem[] {
  return result.findings.map((f) => {
    const file = fileOf(f, artifact);
    const where = [file === f.path ? null : path.relative(path.dirname(artifact), f.path), f.arch]
      .filter(Boolean)
      .join(', ');
    return {
      file,
      message: `${f.appleMessage}${where ? ` (${where})` : ''} Fix: ${f.fix}`,
      code: { value: f.ruleId, target: f.docUrl },
    };
  });
}

/** The problems grouped by file, in the order first seen: one DiagnosticCollection entry per file. */
export function problemsByFile(problems: PreflightProblem[]): Map<string, PreflightProblem[]> {
  const byFile = new Map<string, PreflightProblem[]>();
  for (const p of problems) byFile.set(p.file, [...(byFile.get(p.file) ?? []), p]);
  return byFile;
}

export const SHOW_PROBLEMS = 'Show Problems';
export const SUBMIT_ANYWAY = 'Submit Anyway';

/** The notification of a refusal and its buttons. */
export function refusalNotice(result: PreflightResult): { text: string; actions: [string, string] } {
  const n = result.findings.length;
  return {
    text: `Notarization stopped: ${n} problem${n === 1 ? '' : 's'} Apple would reject`,
    actions: [SHOW_PROBLEMS, SUBMIT_ANYWAY],
  };
}

/** The same `notarize` command line with `--force` (before the `--` that ends the options). */
export function withForce(args: string[]): string[] {
  if (args.includes('--force')) return args;
  const end = args.indexOf('--');
  return end < 0 ? [...args, '--force'] : [...args.slice(0, end), '--force', ...args.slice(end)];
}
