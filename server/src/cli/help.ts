/**
 * The help text, generated from the command table: `go-macos-sign --help` lists the commands by group,
 * `go-macos-sign <command> --help` shows one command's usage and options. Pure functions from entries to text.
 */
import type { Command, OptionSpec } from './command';

const GROUPS: Record<Command['group'], string> = {
  check: 'commands:',
  release: 'release pipeline (each prints every command it runs; --json for machine output; exit 1 on a failed step):',
  setup: 'set-up:',
};

/** Lines `  NAME  TEXT`, with TEXT's later lines indented under its first. */
function table(rows: [string, string][]): string[] {
  const width = Math.max(...rows.map(([name]) => name.length)) + 2;
  return rows.flatMap(([name, text]) =>
    text.split('\n').map((line, i) => `  ${(i === 0 ? name : '').padEnd(width)}${line}`),
  );
}

export function mainHelp(commands: readonly Command[]): string {
  const lines = [
    'usage: go-macos-sign <command> [options] <path>...',
    "       go-macos-sign <command> --help   (that command's options)",
  ];
  for (const group of Object.keys(GROUPS) as Command['group'][]) {
    lines.push('', GROUPS[group], ...table(commands.filter((c) => c.group === group).map((c) => [c.name, c.summary])));
  }
  lines.push(
    '',
    'options:',
    ...table([
      ['-h, --help', 'this help'],
      ['--version', 'print the version'],
    ]),
  );
  lines.push('', 'Paths may be files, .app bundles or directories (searched for Mach-O files by their magic bytes).');
  return lines.join('\n');
}

function optionName(o: OptionSpec): string {
  return `${o.alias ? `${o.alias}, ` : ''}${o.flag}${o.value ? ` ${o.value}` : ''}`;
}

export function commandHelp(command: Command): string {
  const [usage, ...notes] = command.usage.split('\n');
  const lines = [`usage: go-macos-sign ${command.name} ${usage}`, '', ...command.summary.split('\n')];
  const options: [string, string][] = [
    ...command.options.map((o): [string, string] => [optionName(o), o.help]),
    ['-h, --help', 'this help'],
  ];
  lines.push('', 'options:', ...table(options));
  if (notes.length > 0) lines.push(...notes);
  return lines.join('\n');
}
