/**
 * The command-line interface, `go-macos-sign <command> [options] <path>...` (bundled as dist/cliMain.js, which the
 * executable dist/cli.js loads: bin.ts). It finds the command in the table (cli/commands.ts), answers --help and
 * --version, parses the command's options and runs it.
 * Exit codes are part of the interface (each command's module states its own); a usage or input error is 2.
 * Errors are one line on stderr; no stack trace reaches the user.
 */
import { InputError } from '../errors';
import type { PageWorker } from '../macho/pageWorkerHandle';
import { CliIO, parseArgs, UsageError } from './command';
import { COMMANDS, findCommand } from './commands';
import { PAGE_HASHING_COMMANDS } from './earlyWorkers';
import { commandHelp, mainHelp } from './help';

declare const PACKAGE_VERSION: string | undefined;

function version(): string {
  return typeof PACKAGE_VERSION === 'string' ? PACKAGE_VERSION : 'development';
}

const defaultOut = (s: string) => void process.stdout.write(`${s}\n`);
const defaultErr = (s: string) => void process.stderr.write(`${s}\n`);

/** What the CLI takes from its process, injectable by an embedding caller (tests drive the macOS-only checks). */
export interface CliContext {
  /** The environment tools start from; process.env by default. */
  env?: NodeJS.ProcessEnv;
  /** Apple's own checks run on darwin only; process.platform by default. */
  platform?: NodeJS.Platform;
  /** Page-hashing workers the executable started for this command (bin.ts, earlyWorkers.ts). */
  pageWorkers?: readonly PageWorker[];
}

const asksForHelp = (argv: readonly string[]) => argv.includes('-h') || argv.includes('--help');

export async function main(
  argv: string[],
  out = defaultOut,
  err = defaultErr,
  context: CliContext = {},
): Promise<number> {
  try {
    if (argv.length === 0) {
      out(mainHelp(COMMANDS));
      return 2;
    }
    const [name, ...rest] = argv;
    const command = findCommand(name);
    if (!command) {
      if (asksForHelp(argv)) out(mainHelp(COMMANDS));
      else if (argv.includes('--version')) out(version());
      else throw new UsageError(`unknown command ${JSON.stringify(name)}`);
      return 0;
    }
    if (asksForHelp(rest)) {
      out(commandHelp(command));
      return 0;
    }
    // --version is global, except for a command with an option of that name (package's pkg version).
    if (rest.includes('--version') && !command.options.some((o) => o.flag === '--version')) {
      out(version());
      return 0;
    }
    const io: CliIO = {
      out,
      err,
      // Tool output streams as it comes; an injected writer gets it a line at a time.
      write: out === defaultOut ? (t) => void process.stdout.write(t) : (t) => out(t.replace(/\n$/, '')),
      writeErr: err === defaultErr ? (t) => void process.stderr.write(t) : (t) => err(t.replace(/\n$/, '')),
      env: context.env,
      onMac: (context.platform ?? process.platform) === 'darwin',
      version: version(),
    };
    const args = parseArgs(command, rest);
    if (PAGE_HASHING_COMMANDS.has(command.name)) {
      // Worker threads take tens of milliseconds to start: the executable may have started them already; if not,
      // start them now, while the command's modules load and the files' headers are parsed, if some file is large
      // enough to be hashed on several threads and a core is free for them (on a busy machine they cost more than
      // they hash).
      const pages = require('../macho/pageHashes') as typeof import('../macho/pageHashes');
      if (context.pageWorkers?.length) pages.adoptPageWorkers(context.pageWorkers);
      else pages.planPageWorkersFor(args.paths);
    }
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof InputError) {
      err(`go-macos-sign: ${error.message}`);
      return 2;
    }
    if (error instanceof UsageError) {
      err(`go-macos-sign: ${error.message} (see go-macos-sign --help)`);
      return 2;
    }
    err(`go-macos-sign: internal error: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
}

/** Runs the CLI as this process: its arguments, its exit code. */
export function runProcess(argv: string[], context: CliContext = {}): void {
  // A closed pipe (`| head`) is not an error worth a stack trace.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
  void main(argv, defaultOut, defaultErr, context).then((code) => {
    process.exitCode = code;
    // The command is done: exit now, unless some output is still queued (Node writes to files at once, and to
    // terminals and pipes at once on Linux; elsewhere a write may still be in flight). Exiting skips freeing this process's
    // heap and its page-hashing workers' one piece at a time, which took about 6 ms after verifying a large binary.
    if (process.stdout.writableLength === 0 && process.stderr.writableLength === 0) process.exit(code);
  });
}

if (require.main === module) runProcess(process.argv.slice(2));
