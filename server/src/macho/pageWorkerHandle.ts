/**
 * One page-hashing worker thread as the pool (parallelPages.ts) sees it, and the choice of whether to start any: the
 * part of the pool that the CLI's executable (cli/bin.ts) also bundles, so that it can start the workers before the
 * CLI's own bundle loads. A worker takes about 60 ms to start and the bundle about 25 ms to load: started first, the
 * worker hashes from nearly the start of the run instead of from its second half. So this module stays small: no
 * import beyond Node's own and fileAccess.ts, which the executable already bundles.
 *
 * A handle is created with all its listeners attached, so no event of its worker is ever lost, even when the handle
 * is made in one bundle (bin.ts) and adopted by the pool of another (cli/main.ts's).
 */
import { availableParallelism, loadavg } from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { isDirectory, readKernelFile, regularFileSize } from '../fileAccess';
import type { PageWorkerJob, PageWorkerReply } from './pageWorker';

/** Threads sharing one run, this one included. */
const MAX_THREADS = 4;

/** Below this many signed bytes, a worker's start-up and its message cost more than the hashing it would take over. */
export const PARALLEL_FROM = 8 * 1024 * 1024;

/** Threads a parallel run can use on this machine, this one included (1: no workers). */
export function machineThreads(): number {
  return Math.min(MAX_THREADS, availableParallelism());
}

/**
 * Whether a core is free for a worker thread: the threads runnable on the machine (this one included, see
 * runnableThreads) are fewer than the cores less half a core. A worker pays off only on a core of its own: on a
 * machine whose cores are all busy, its start-up (tens of milliseconds of CPU) and its hashing are taken from this
 * thread's share, and a whole-process verify of 90 MB measured about 30% slower with the worker than without.
 */
export function coreIsFree(load = runnableThreads(), cores = availableParallelism()): boolean {
  return load < cores - 0.5;
}

/**
 * Threads that want a core now, this one included. On Linux, the kernel's count at this instant (/proc/loadavg's
 * fourth field): the load average lags by a minute, so just after a build it still counts the build's compilers on
 * a machine that is idle again. Elsewhere the load average of the last minute (Windows reports none: 0, a core counts
 * as free).
 */
export function runnableThreads(): number {
  if (process.platform === 'linux') {
    try {
      const running = /^\S+ \S+ \S+ (\d+)\//.exec(readKernelFile('/proc/loadavg').toString('latin1'));
      if (running) return Number(running[1]);
    } catch {
      // No /proc (a container without it): the load average below.
    }
  }
  return loadavg()[0];
}

/**
 * Whether hashing `paths` may use workers: some path is a directory (it may hold large binaries) or a regular file of
 * at least PARALLEL_FROM bytes. Only looks at the paths (stat), never opens them. A worker started for nothing costs
 * more than its CPU: a process waits for a starting worker before it exits (about 20 ms).
 */
export function worthWorkers(paths: readonly string[]): boolean {
  return paths.some((p) => (regularFileSize(p) ?? 0) >= PARALLEL_FROM || isDirectory(p));
}

export type Outcome = { chunks: number } | { error: string; input: boolean } | { died: Error };

export class PageWorker {
  private pending = new Map<number, (outcome: Outcome) => void>();
  private nextId = 0;
  readonly worker: Worker;
  broken = false;
  /** Settles when the worker has loaded its script (or died trying). */
  readonly ready: Promise<void>;
  private markReady!: () => void;

  constructor() {
    this.ready = new Promise((resolve) => (this.markReady = resolve));
    this.worker = startWorker();
    this.worker.on('message', (reply: PageWorkerReply) => {
      if ('ready' in reply) return this.markReady();
      const settle = this.pending.get(reply.id);
      this.forget(reply.id);
      settle?.('error' in reply ? { error: reply.error, input: reply.input } : { chunks: reply.chunks });
    });
    const fail = (error: Error) => {
      this.broken = true;
      this.markReady();
      for (const settle of this.pending.values()) settle({ died: error });
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`page-hash worker exited with code ${code}`)));
    // After the listeners: adding a 'message' listener refs the worker again, and an idle pool (started early, then
    // never given a job) must not keep the process alive.
    this.worker.unref();
  }

  /** Posts a job; the promise never rejects. */
  run(job: Omit<PageWorkerJob, 'id'>): { id: number; outcome: Promise<Outcome> } {
    const id = this.nextId++;
    if (this.broken) return { id, outcome: Promise.resolve({ died: new Error('page-hash worker is gone') }) };
    this.worker.ref(); // a job in flight keeps the process alive until its answer arrives
    const outcome = new Promise<Outcome>((resolve) => this.pending.set(id, resolve));
    this.worker.postMessage({ id, ...job } satisfies PageWorkerJob);
    return { id, outcome };
  }

  /** Settles when the worker has loaded, keeping the process alive meanwhile (a caller is waiting for it). */
  async loaded(): Promise<void> {
    this.worker.ref();
    await this.ready;
    if (this.pending.size === 0) this.worker.unref();
  }

  /** Stops waiting for a job the worker will never start (its answer, when it comes, is ignored). */
  forget(id: number): void {
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker.unref();
  }
}

/**
 * The worker script sits next to this module: `pageWorker.js` next to every bundle; `pageWorker.ts` when running from
 * source under tsx, whose loader hooks do not reach worker threads on Node 20, so such a worker registers tsx's
 * CommonJS hook itself before loading it.
 */
function startWorker(): Worker {
  if (!__filename.endsWith('.ts')) return new Worker(path.join(__dirname, 'pageWorker.js'));
  const source = path.join(__dirname, 'pageWorker.ts');
  return new Worker(`require('tsx/cjs'); require(${JSON.stringify(source)});`, { eval: true });
}

/** Starts the workers a run on this machine uses, `machineThreads() - 1` of them (none on one core). */
export function startPageWorkers(): PageWorker[] {
  return Array.from({ length: machineThreads() - 1 }, () => new PageWorker());
}
