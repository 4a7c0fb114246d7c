/**
 * What a CLI command is: one entry `{ name, summary, usage, options, run }` in the table (cli/commands.ts). The entry
 * point (cli/main.ts) parses a command's arguments against its `options`, generates `--help` from the entries, and
 * turns a thrown UsageError into exit code 2. A command's `run` returns its exit code: 0 success, 1 a failed check or
 * step, 2 a usage or input error (thrown as UsageError / InputError).
 */

/** A mistake in the command line: printed as one line with a pointer to --help, exit code 2. */
export class UsageError extends Error {}

export interface OptionSpec {
  /** `--name`; with a value it is given as `--name VALUE` or `--name=VALUE`. */
  flag: string;
  /** A short spelling of the same option, e.g. `-o`. */
  alias?: string;
  /** The value's placeholder in the help (e.g. `FILE`); absent for a boolean flag. */
  value?: string;
  /** One line (or a few) for the help. */
  help: string;
  /** The message when the value is missing; `--name needs a value` by default. */
  missing?: string;
}

/** A command line as parsed against a command's options: values by flag (every occurrence, in order), flags, paths. */
export interface ParsedArgs {
  values: Map<string, string[]>;
  flags: Set<string>;
  paths: string[];
}

/** How a command reaches its process. Tests inject `out`/`err`, `env` and the platform (through `onMac`). */
export interface CliIO {
  /** One line to stdout / stderr (the newline is added). */
  out(line: string): void;
  err(line: string): void;
  /** Text as tools print it, newlines included (the release pipeline streams tool output). */
  write(text: string): void;
  writeErr(text: string): void;
  /** The environment tools start from; undefined means process.env. */
  env?: NodeJS.ProcessEnv;
  /** Apple's own tools (codesign --verify, spctl) exist: we run on macOS. The one platform check of the CLI. */
  onMac: boolean;
  /** The version printed by --version and written into SARIF. */
  version: string;
}

export interface Command {
  name: string;
  /** The section of the help it is listed in. */
  group: 'check' | 'release' | 'setup';
  /** What it does, for the help (lines after the first are indented under it). */
  summary: string;
  /** The arguments after the command name, e.g. `[options] <path>...`. */
  usage: string;
  options: readonly OptionSpec[];
  run(args: ParsedArgs, io: CliIO): Promise<number>;
}

/** The last value given for an option (a repeated option overrides). */
export function lastValue(args: ParsedArgs, flag: string): string | undefined {
  return args.values.get(flag)?.at(-1);
}

/** Parses `argv` (after the command name) against a command's options; everything after `--` is a path. */
export function parseArgs(command: Command, argv: readonly string[]): ParsedArgs {
  const args: ParsedArgs = { values: new Map(), flags: new Set(), paths: [] };
  const byName = new Map<string, OptionSpec>();
  for (const o of command.options) {
    byName.set(o.flag, o);
    if (o.alias) byName.set(o.alias, o);
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      args.paths.push(...argv.slice(i + 1)); // everything after -- is a path, even if it starts with a dash
      break;
    }
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const spec = byName.get(name);
    if (spec?.value) {
      const value = name !== arg ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new UsageError(spec.missing ?? `${name} needs a value`);
      args.values.set(spec.flag, [...(args.values.get(spec.flag) ?? []), value]);
    } else if (spec && name === arg) args.flags.add(spec.flag);
    else if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option ${arg}`);
    else args.paths.push(arg);
  }
  return args;
}
