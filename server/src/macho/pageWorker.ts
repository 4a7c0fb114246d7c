/**
 * Worker-thread entry of the page-hashing pool (parallelPages.ts). For each job it claims chunks of pages from the
 * job's shared counter until none is left, reads each chunk itself (the main thread's open descriptor, which worker
 * threads share, or shared memory), and writes the digests into the job's shared output, unless the main thread took
 * the chunk over meanwhile (pageChunks.ts, the phases). No file bytes and no digests cross threads by message: one
 * message starts a job and one answers it (the number of chunks hashed, or the error).
 *
 * A job whose state the main thread has already set to cancelled (the work ran out before this worker started) is
 * answered without touching the file: the main thread may have closed it.
 */
import { parentPort } from 'node:worker_threads';
import { InputError } from '../errors';
import {
  CHUNK_BYTES,
  chunkDigestOffset,
  chunkRange,
  chunkReader,
  claimChunk,
  currentIndex,
  hashChunk,
  PageBytes,
  PagePlan,
  PHASE_CLAIMING,
  PHASE_HASHING,
  PHASE_IDLE,
  PHASE_READING,
  PHASE_WRITING,
  phaseIndex,
  stateIndex,
  stopClaims,
  WORKER_DONE,
  WORKER_RUNNING,
  WORKER_WAITING,
  writtenIndex,
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
/** One chunk's digests, copied into the shared output only if the main thread has not taken the chunk over. */
let digests = Buffer.allocUnsafe(0);

function run(job: PageWorkerJob): number {
  const { plan, slot } = job;
  const control = new Int32Array(job.control);
  if (Atomics.compareExchange(control, stateIndex(slot), WORKER_WAITING, WORKER_RUNNING) !== WORKER_WAITING) return 0;
  const phase = (value: number) => {
    Atomics.store(control, phaseIndex(slot), value);
    Atomics.notify(control, phaseIndex(slot));
  };
  try {
    const read = chunkReader(job.bytes, scratch);
    const out = Buffer.from(job.digests); // a view of the shared memory, not a copy
    const most = plan.chunkPages * plan.digestSize;
    if (digests.length < most) digests = Buffer.allocUnsafe(most);
    let chunks = 0;
    for (;;) {
      Atomics.store(control, phaseIndex(slot), PHASE_CLAIMING);
      const chunk = claimChunk(plan, control);
      if (chunk < 0) break;
      Atomics.store(control, currentIndex(slot), chunk);
      Atomics.store(control, phaseIndex(slot), PHASE_READING);
      const { offset, length } = chunkRange(plan, chunk);
      const bytes = read(offset, length);
      phase(PHASE_HASHING);
      hashChunk(plan, chunk, bytes, digests, 0);
      if (Atomics.compareExchange(control, phaseIndex(slot), PHASE_HASHING, PHASE_WRITING) === PHASE_HASHING) {
        const size = Math.ceil(length / plan.pageSize) * plan.digestSize;
        digests.copy(out, chunkDigestOffset(plan, chunk), 0, size);
        Atomics.add(control, writtenIndex(slot), 1);
        chunks++;
      }
      Atomics.store(control, currentIndex(slot), -1);
      phase(PHASE_IDLE);
    }
    return chunks;
  } catch (error) {
    stopClaims(plan, control);
    throw error;
  } finally {
    Atomics.store(control, stateIndex(slot), WORKER_DONE);
    phase(PHASE_IDLE);
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
