/**
 * Hashes pages on several cores: this thread and a small pool of worker threads claim chunks from one shared counter
 * (pageChunks.ts), each reading its own chunks, so they coordinate through one atomic add per chunk (256 KiB) and exchange one
 * message per worker per run. A worker that starts late claims fewer chunks; one that has not started when the work
 * runs out is cancelled and never touches the file; one still hashing its last chunk when this thread runs out of work
 * has that chunk taken over here (this thread does not wait for a descheduled thread); one that dies has its
 * unfinished chunk redone here.
 *
 * Contract: `hashInParallel` returns or throws only once no worker can still read the source, so the caller may close
 * it (workers read the caller's open descriptor), nor write the digests it returns (a view of the memory the threads
 * shared, which is the caller's alone from then on). The pool lives as long as the process (the language server reuses
 * it) but never keeps the process alive: a worker is ref'd only while a run waits for its answer. `warmPageWorkers`
 * starts the pool early, so its start-up (tens of milliseconds) overlaps the caller's own; the CLI's executable starts
 * it earlier still, before the CLI's bundle loads, and hands it over (`adoptPageWorkers`). A worker thread itself is
 * pageWorkerHandle.ts.
 */
import { InputError } from '../errors';
import {
  ChunkReader,
  chunkRange,
  claimChunk,
  controlWords,
  currentIndex,
  hashChunk,
  PageBytes,
  PagePlan,
  stateIndex,
  stopClaims,
  PHASE_HASHING,
  PHASE_IDLE,
  PHASE_TAKEN,
  phaseIndex,
  WORKER_CANCELLED,
  WORKER_DONE,
  WORKER_WAITING,
  writtenIndex,
} from './pageChunks';
import { machineThreads, Outcome, PageWorker } from './pageWorkerHandle';

export { coreIsFree } from './pageWorkerHandle';

/** Where chunks were hashed: by this thread, or by worker threads (tests check that the workers really ran). */
export interface PageRunCounts {
  here: number;
  workers: number;
}

let pool: PageWorker[] = [];

function workers(count: number): PageWorker[] {
  pool = pool.filter((w) => !w.broken);
  while (pool.length < count) pool.push(new PageWorker());
  return pool.slice(0, count);
}

let workersAllowed = true;

/** Threads a parallel run uses on this machine, this one included (1: no workers). */
export function parallelThreads(): number {
  return workersAllowed ? machineThreads() : 1;
}

/** Turns worker threads off (or on again) for this process: the CLI's choice for one command (coreIsFree). */
export function allowPageWorkers(allowed: boolean): void {
  workersAllowed = allowed;
}

/**
 * Takes workers started before this module loaded (startPageWorkers, called by the CLI's executable) into the pool,
 * and allows workers for this process: whoever started them has already made coreIsFree's choice.
 */
export function adoptPageWorkers(started: readonly PageWorker[]): void {
  workersAllowed = true;
  pool.unshift(...started); // first: a run takes the first workers of the pool
}

/**
 * Ends the pool's workers without waiting for them, for a process that will hash no more pages (the CLI, once its
 * command has hashed its last file): a worker takes about 10 ms to free its memory, which then overlaps what the
 * process still does instead of delaying its exit. A later run starts new workers.
 */
export function releasePageWorkers(): void {
  for (const worker of pool) void worker.worker.terminate();
  pool = [];
}

/** Starts the worker pool now, so that it is ready when pages are to be hashed. */
export function warmPageWorkers(): void {
  if (parallelThreads() > 1) workers(parallelThreads() - 1);
}

/**
 * Starts the pool if needed and settles when every worker has loaded (or failed to). A run never waits for this
 * itself; tests that must see the workers hash use it, since a cold worker may start after the work has run out.
 */
export async function pageWorkersReady(): Promise<void> {
  if (parallelThreads() > 1) await Promise.all(workers(parallelThreads() - 1).map((w) => w.loaded()));
}

/** This thread yields to the event loop after this many chunks, so a language server stays responsive. */
const YIELD_EVERY = 8;

/**
 * Hashes every chunk of `plan` here and on the pool's workers into a new buffer of digests. `here` reads chunks on
 * this thread; `bytes` is how workers reach the same bytes.
 */
export async function hashInParallel(
  plan: PagePlan,
  here: ChunkReader,
  bytes: PageBytes,
  counts: PageRunCounts,
): Promise<Buffer> {
  const team = workers(parallelThreads() - 1);
  const control = new Int32Array(new SharedArrayBuffer(4 * controlWords(team.length)));
  for (let slot = 0; slot < team.length; slot++) control[currentIndex(slot)] = -1;
  const digests = new SharedArrayBuffer(plan.pages * plan.digestSize);
  const out = Buffer.from(digests); // a view of the shared memory, not a copy
  const jobs = team.map((worker, slot) => ({
    worker,
    slot,
    ...worker.run({ plan, bytes, control: control.buffer as SharedArrayBuffer, digests, slot }),
  }));

  let failure: unknown = null;
  try {
    let chunk = claimChunk(plan, control);
    for (let n = 1; chunk >= 0; chunk = claimChunk(plan, control), n++) {
      const { offset, length } = chunkRange(plan, chunk);
      hashChunk(plan, chunk, here(offset, length), out);
      counts.here++;
      if (n % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  } catch (error) {
    failure = error;
    stopClaims(plan, control);
  }

  for (const job of jobs) {
    const state = Atomics.compareExchange(control, stateIndex(job.slot), WORKER_WAITING, WORKER_CANCELLED);
    if (state === WORKER_WAITING) {
      job.worker.forget(job.id); // it never started and never will: nothing to wait for
      continue;
    }
    if (failure === null) {
      try {
        if (await takeOver(plan, control, job, here, out, counts)) {
          counts.workers += Atomics.load(control, writtenIndex(job.slot));
          job.worker.forget(job.id); // it reads and writes nothing more; its answer, when it comes, says nothing new
          continue;
        }
      } catch (error) {
        failure = error;
      }
    }
    const outcome = await job.outcome;
    if ('chunks' in outcome) {
      counts.workers += Atomics.load(control, writtenIndex(job.slot));
      continue;
    }
    if ('error' in outcome && outcome.input) {
      failure ??= new InputError(outcome.error);
      continue;
    }
    // The worker died or hit a bug: the chunk it held, if any, is redone here.
    const chunk = Atomics.load(control, currentIndex(job.slot));
    if (chunk >= 0 && failure === null) {
      try {
        const { offset, length } = chunkRange(plan, chunk);
        hashChunk(plan, chunk, here(offset, length), out);
        counts.here++;
      } catch (error) {
        failure = error;
      }
    }
  }
  if (failure !== null) throw failure;
  // No copy: no worker reads the source or writes a digest any more, so this memory is the caller's alone (a copy out
  // of shared memory, Buffer.from, took about 10 ms for a 90 MB file's digests).
  return out;
}

type WaitAsync = (
  array: Int32Array,
  index: number,
  value: number,
) => { async: false; value: string } | { async: true; value: Promise<string> };
const waitAsync = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;

/**
 * Once no chunk is left to claim: waits out what a running worker is doing with the source (a claim, a read, a write
 * of digests: short), and hashes here the chunk it is still hashing, instead of waiting for a thread that the
 * machine may have descheduled. True when the worker will neither read the source nor write a digest any more; false
 * when it has finished or died (its answer says which) or when this Node lacks Atomics.waitAsync.
 */
async function takeOver(
  plan: PagePlan,
  control: Int32Array,
  job: { slot: number; outcome: Promise<Outcome> },
  here: ChunkReader,
  out: Buffer,
  counts: PageRunCounts,
): Promise<boolean> {
  const at = phaseIndex(job.slot);
  for (;;) {
    if (Atomics.load(control, stateIndex(job.slot)) === WORKER_DONE) return false;
    const phase = Atomics.load(control, at);
    if (phase === PHASE_IDLE || phase === PHASE_TAKEN) return true; // its next claim finds nothing
    if (phase === PHASE_HASHING) {
      const chunk = Atomics.load(control, currentIndex(job.slot));
      if (Atomics.compareExchange(control, at, PHASE_HASHING, PHASE_TAKEN) !== PHASE_HASHING) continue;
      const { offset, length } = chunkRange(plan, chunk);
      hashChunk(plan, chunk, here(offset, length), out);
      counts.here++;
      return true;
    }
    if (!waitAsync) return false;
    const waited = waitAsync(control, at, phase); // woken when the worker enters HASHING or IDLE
    if (waited.async && typeof (await Promise.race([waited.value, job.outcome])) !== 'string') return false;
  }
}
