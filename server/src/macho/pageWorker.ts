/**
 * Worker-thread entry that checks runs of code pages of a file on disk, one job at a time, for as long as the
 * pool keeps it. Hashing is CPU-bound and a large binary has tens of thousands of pages; spreading them across
 * cores lets verification run faster than one core can hash. The worker opens the file itself, so no file bytes
 * cross threads: only the expected digests go in and the indices of mismatching pages come out.
 */
import { parentPort } from 'node:worker_threads';
import { hashPageRange, newScratch, PageJob } from './pageHashes';
import { FileSource } from './source';

export interface PageWorkerRequest {
  id: number;
  path: string;
  /** Where the slice starts in the file, and its size. */
  base: number;
  size: number;
  job: PageJob;
}

export type PageWorkerReply = { id: number; mismatches: number[] } | { id: number; error: string };

const scratch = newScratch(); // reused by every job: jobs run one at a time

async function run(request: PageWorkerRequest): Promise<number[]> {
  const file = await FileSource.open(request.path);
  try {
    return await hashPageRange(file.slice(request.base, request.size, request.path), request.job, scratch);
  } finally {
    await file.close();
  }
}

parentPort?.on('message', (request: PageWorkerRequest) => {
  run(request).then(
    (mismatches) => parentPort?.postMessage({ id: request.id, mismatches } satisfies PageWorkerReply),
    (error: unknown) =>
      parentPort?.postMessage({
        id: request.id,
        error: error instanceof Error ? error.message : String(error),
      } satisfies PageWorkerReply),
  );
});
