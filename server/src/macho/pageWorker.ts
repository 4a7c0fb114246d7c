/**
 * Worker-thread entry of the page-hashing pool (parallelPages.ts). For each job it claims chunks of pages from the
 * job's shared counter until none is left, reads each chunk itself (the main thread's open descriptor, which worker
 * threads share, or shared memory), and writes the digests into the job's shared output. No file bytes and no digests
 * cross threads by message: one message starts a job and one answers it (the number of chunks hashed, or the error).
 *
 * A job whose state the main thread has already set to cancelled (the work ran out before this worker started) is
 * answered without touching the file: the main thread may have closed it.
 */
import { parentPort } from 'node:worker_threads';
import { InputError } from '../errors';
import {
  chunkRange,
  chunkReader,
  claimChunk,
  currentIndex,
  hashChunk,
  PageBytes,
  PagePlan,
  stateIndex,
  stopClaims,
  WORKER_DONE,
  WORKER_RUNNING,
  WORKER_WAITING,
  CHUNK_BYTES,
} from './pageChunks';

export interface PageWorkerJob {
  id: number;
  plan: PagePlan;
  bytes: PageBytes;
  /** Int32 control words (pageChunks.ts) and the digests of every page, both shared with the main thread. */
  control: SharedArrayBuffer;
  digests: SharedArrayBuffer;
  /** This worker's index in the job's control words. */
  slot: number;
}

/** `input`: the error is about the input (an InputError: the file shrank, a read failed), not a bug of the worker. */
export type PageWorkerReply =
  | { id: number; chunks: number }
  | { id: number; error: string; input: boolean }
  /** Sent once, when the worker has loaded and listens for jobs. */
  | { ready: true };

const scratch = Buffer.allocUnsafe(CHUNK_BYTES); // reused by every job: jobs run one at a time

function run(job: PageWorkerJob): number {
  const control = new Int32Array(job.control);
  if (Atomics.compareExchange(control, stateIndex(job.slot), WORKER_WAITING, WORKER_RUNNING) !== WORKER_WAITING)
    return 0;
  try {
    const read = chunkReader(job.bytes, scratch);
    const out = Buffer.from(job.digests); // a view of the shared memory, not a copy
    let chunks = 0;
    for (let chunk = claimChunk(job.plan, control); chunk >= 0; chunk = claimChunk(job.plan, control)) {
      Atomics.store(control, currentIndex(job.slot), chunk);
      const { offset, length } = chunkRange(job.plan, chunk);
      hashChunk(job.plan, chunk, read(offset, length), out);
      Atomics.store(control, currentIndex(job.slot), -1);
      chunks++;
    }
    return chunks;
  } catch (error) {
    stopClaims(job.plan, control);
    throw error;
  } finally {
    Atomics.store(control, stateIndex(job.slot), WORKER_DONE);
  }
}

parentPort?.on('message', (job: PageWorkerJob) => {
  let reply: PageWorkerReply;
  try {
    reply = { id: job.id, chunks: run(job) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    reply = { id: job.id, error: message, input: error instanceof InputError };
  }
  parentPort?.postMessage(reply);
});
parentPort?.postMessage({ ready: true } satisfies PageWorkerReply);
