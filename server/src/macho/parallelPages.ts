/**
 * Checks a CodeDirectory's pages on several cores when the signed range is large enough to repay it.
 *
 * The pages are cut into runs that this thread and a small pool of worker threads take from one queue, so a worker
 * that starts late (tens of milliseconds) simply takes fewer runs. The pool lives as long as the process (the
 * language server reuses it) but never keeps the process alive: workers are unref'd whenever they are idle.
 *
 * Small files, in-memory sources and single-core machines stay on this thread. The worker script sits next to this
 * module: `pageWorker.js` in the bundles; `pageWorker.ts` when running from source under tsx, whose loader hooks do
 * not reach worker threads on Node 20, so such a worker registers tsx's CommonJS hook itself before loading it.
 */
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { InputError } from '../errors';
import { hashPageRange, newScratch, PageJob } from './pageHashes';
import type { PageWorkerReply, PageWorkerRequest } from './pageWorker';
import { ByteSource } from './source';

/** Below this many signed bytes, threads cost more than they save. */
const PARALLEL_THRESHOLD = 16 * 1024 * 1024;
/** Threads sharing one file's pages, this one included. */
const MAX_THREADS = 4;
/** Bytes per run taken from the queue: big enough that messages are rare, small enough to balance the threads. */
const RUN_BYTES = 8 * 1024 * 1024;

class PoolWorker {
  private pending = new Map<number, { resolve: (m: number[]) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  readonly worker: Worker;
  broken = false;

  constructor() {
    this.worker = startWorker();
    this.worker.unref();
    this.worker.on('message', (reply: PageWorkerReply) => {
      const waiter = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (this.pending.size === 0) this.worker.unref();
      if ('error' in reply) waiter?.reject(new InputError(reply.error));
      else waiter?.resolve(reply.mismatches);
    });
    const fail = (error: Error) => {
      this.broken = true;
      for (const waiter of this.pending.values()) waiter.reject(error);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`page-hash worker exited with code ${code}`)));
  }

  run(request: Omit<PageWorkerRequest, 'id'>): Promise<number[]> {
    const id = this.nextId++;
    this.worker.ref(); // a job in flight must keep the process alive until its answer arrives
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, ...request } satisfies PageWorkerRequest);
    });
  }
}

function startWorker(): Worker {
  if (!__filename.endsWith('.ts')) return new Worker(path.join(__dirname, 'pageWorker.js'));
  const source = path.join(__dirname, 'pageWorker.ts');
  return new Worker(`require('tsx/cjs'); require(${JSON.stringify(source)});`, { eval: true });
}

let pool: PoolWorker[] = [];

function workers(count: number): PoolWorker[] {
  pool = pool.filter((w) => !w.broken);
  while (pool.length < count) pool.push(new PoolWorker());
  return pool.slice(0, count);
}

/** Splits a job into runs of whole pages. */
function runs(job: PageJob): PageJob[] {
  const pagesPerRun = Math.max(1, Math.floor(RUN_BYTES / job.pageSize));
  const out: PageJob[] = [];
  for (let first = job.firstPage; first < job.endPage; first += pagesPerRun) {
    const end = Math.min(first + pagesPerRun, job.endPage);
    // A copy, so structured cloning sends only this run's digests, not the whole signature buffer behind the view.
    const expected = new Uint8Array(
      job.expected.subarray((first - job.firstPage) * job.hashSize, (end - job.firstPage) * job.hashSize),
    );
    out.push({ ...job, firstPage: first, endPage: end, expected });
  }
  return out;
}

/** Runs of pages hashed on this thread and by worker threads (a worker's run that failed counts as this thread's). */
export interface PageRunCounts {
  here: number;
  workers: number;
}

/** Returns the indices of mismatching pages, in increasing order. */
export async function checkPages(
  source: ByteSource,
  job: PageJob,
  parallel = true,
  counts: PageRunCounts = { here: 0, workers: 0 },
): Promise<number[]> {
  const threads = Math.min(MAX_THREADS, availableParallelism());
  const file = source.file;
  if (!parallel || !file || threads < 2 || job.codeLimit < PARALLEL_THRESHOLD) {
    counts.here++;
    return hashPageRange(source, job);
  }

  const queue = runs(job);
  const found: number[][] = [];
  const scratch = newScratch();
  const here = async () => {
    for (let run = queue.shift(); run; run = queue.shift()) {
      found.push(await hashPageRange(source, run, scratch));
      counts.here++;
    }
  };
  const there = async (worker: PoolWorker) => {
    for (let run = queue.shift(); run; run = queue.shift()) {
      try {
        found.push(await worker.run({ path: file.path, base: file.base, size: source.size, job: run }));
        counts.workers++;
      } catch (error) {
        if (error instanceof InputError) throw error;
        found.push(await hashPageRange(source, run, newScratch())); // a dead worker's run is done here instead
        counts.here++;
        return;
      }
    }
  };
  await Promise.all([here(), ...workers(threads - 1).map(there)]);
  return found.flat().sort((a, b) => a - b);
}
