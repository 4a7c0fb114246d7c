/**
 * The commands that hash code pages, and the page-hashing workers the executable (bin.ts) starts for them before the
 * CLI's bundle loads: a worker's start-up (about 60 ms) then overlaps the bundle's loading and the files' parsing, and
 * the worker hashes from nearly the start of the run. main.ts hands them to the pool. Bundled into the executable, so
 * it imports only pageWorkerHandle.ts.
 */
import { coreIsFree, PageWorker, startPageWorkers, worthWorkers } from '../macho/pageWorkerHandle';

/** Commands that hash every page of the files they are given. */
export const PAGE_HASHING_COMMANDS: ReadonlySet<string> = new Set(['inspect', 'verify', 'sign']);

const answersAtOnce = (arg: string) => arg === '-h' || arg === '--help' || arg === '--version';

/**
 * Workers for the command line `argv` (the arguments after the script): started when the command hashes pages, a core
 * is free for them (`free`, coreIsFree by default) and some argument is a large file or a directory (worthWorkers).
 * Arguments that are not options stand for the paths before the command's own parser runs: an option's value among
 * them is only stat'ed.
 */
export function startWorkersFor(argv: readonly string[], free = coreIsFree): PageWorker[] {
  const [command, ...rest] = argv;
  if (!PAGE_HASHING_COMMANDS.has(command) || rest.some(answersAtOnce) || !free()) return [];
  return worthWorkers(rest.filter((arg) => !arg.startsWith('-'))) ? startPageWorkers() : [];
}
