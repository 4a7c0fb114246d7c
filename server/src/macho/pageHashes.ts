/**
 * The one page-hashing path of the engine: verification computes every page's digest here and compares, and the
 * signer computes the same digests to write them. Each code page is hashed once.
 *
 * Contract of `hashPages(source, spec)`: the concatenated full digests (20 bytes for SHA-1, 32 for SHA-256) of every
 * page of `[0, codeLimit)` of `source`, pages of `pageSize` bytes starting at offset 0, the last one short (never
 * padded); an empty buffer when codeLimit is 0. Hostile input cannot make it unbounded: a code limit beyond the
 * source, a page size that is not a positive integer, more than MAX_PAGES pages, or a file that shrinks while it is
 * read is an InputError with one line. Memory is one digest per page plus one chunk buffer per thread.
 *
 * Speed: pages are hashed with one `crypto.hash` call each, in chunks of 256 KiB claimed from a shared counter by
 * this thread and worker threads (parallelPages.ts) when the range is large (PARALLEL_FROM bytes) and the bytes can
 * be reached from another thread (a file's descriptor, or a SharedArrayBuffer). Small ranges, other in-memory sources
 * and single-core machines stay on this thread, where starting a worker would cost more than it saves. Pages larger
 * than a chunk (page size 0 means one page, the whole range) are streamed through one Hash on this thread.
 */
import { createHash } from 'node:crypto';
import { InputError } from '../errors';
import {
  CHUNK_BYTES,
  ChunkReader,
  chunkRange,
  chunkReader,
  DIGEST_SIZE,
  hashChunk,
  PageBytes,
  PageHashAlgorithm,
  PagePlan,
  planPages,
} from './pageChunks';
import {
  allowPageWorkers,
  coreIsFree,
  hashInParallel,
  PageRunCounts,
  parallelThreads,
  warmPageWorkers,
} from './parallelPages';
import { PARALLEL_FROM, worthWorkers } from './pageWorkerHandle';
import { ByteSource } from './source';

export type { PageHashAlgorithm } from './pageChunks';
export type { PageRunCounts } from './parallelPages';
export { adoptPageWorkers, releasePageWorkers } from './parallelPages';

export interface PageHashSpec {
  algorithm: PageHashAlgorithm;
  pageSize: number;
  codeLimit: number;
}

export interface HashPagesOptions {
  /** Use worker threads when the range is large enough (default true). */
  parallel?: boolean;
  /** Signed bytes from which worker threads are used (default PARALLEL_FROM); tests lower it to force them. */
  parallelFrom?: number;
  /** Where chunks were hashed; without workers, one count here per call. */
  counts?: PageRunCounts;
}

export { PARALLEL_FROM } from './pageWorkerHandle';

/** 2^23 pages: 256 MB of SHA-256 digests, twice what 4 KiB pages of the largest file we read (LIMITS.binary) need. */
export const MAX_PAGES = 2 ** 23;

export async function hashPages(
  source: ByteSource,
  spec: PageHashSpec,
  options: HashPagesOptions = {},
): Promise<Buffer> {
  const plan = validPlan(source, spec);
  const counts = options.counts ?? { here: 0, workers: 0 };
  if (plan.pages === 0) return Buffer.alloc(0);
  if (plan.pageSize > CHUNK_BYTES) {
    counts.here++;
    return hashLargePages(source, plan);
  }
  const scratch = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, plan.codeLimit));
  const bytes = sharedBytes(source);
  // Files are read synchronously here, straight into the scratch buffer: no promise and no thread-pool hop per chunk.
  const here: ChunkReader | null = bytes && chunkReader(bytes, scratch);
  if (
    here &&
    bytes &&
    options.parallel !== false &&
    plan.codeLimit >= (options.parallelFrom ?? PARALLEL_FROM) &&
    plan.chunks > 1 &&
    parallelThreads() > 1
  )
    return hashInParallel(plan, here, bytes, counts);

  counts.here++;
  const out = Buffer.allocUnsafe(plan.pages * plan.digestSize);
  for (let chunk = 0; chunk < plan.chunks; chunk++) {
    const { offset, length } = chunkRange(plan, chunk);
    hashChunk(plan, chunk, here ? here(offset, length) : await source.chunk(offset, length, scratch), out);
  }
  return out;
}

function validPlan(source: ByteSource, spec: PageHashSpec): PagePlan {
  const { algorithm, pageSize, codeLimit } = spec;
  if (!Object.prototype.hasOwnProperty.call(DIGEST_SIZE, algorithm))
    throw new InputError(`${source.name}: unsupported page hash algorithm ${JSON.stringify(algorithm)}`);
  if (!Number.isSafeInteger(pageSize) || pageSize < 1)
    throw new InputError(`${source.name}: the page size ${pageSize} is not a positive integer`);
  if (!Number.isSafeInteger(codeLimit) || codeLimit < 0 || codeLimit > source.size)
    throw new InputError(
      `${source.name}: truncated or corrupt: the code limit ${codeLimit} lies beyond the end (${source.size} bytes)`,
    );
  const plan = planPages(algorithm, pageSize, codeLimit);
  if (plan.pages > MAX_PAGES)
    throw new InputError(`${source.name}: ${plan.pages} pages of ${pageSize} bytes are more than ${MAX_PAGES}`);
  return plan;
}

/** How another thread reaches the source's bytes without a copy, if it can. */
function sharedBytes(source: ByteSource): PageBytes | null {
  if (source.file) return { kind: 'file', descriptor: source.file.descriptor, base: source.file.base };
  if (source.shared) return { kind: 'shared', ...source.shared };
  return null;
}

/** Pages larger than a chunk: each streamed through one Hash in chunk-sized reads. */
async function hashLargePages(source: ByteSource, plan: PagePlan): Promise<Buffer> {
  const out = Buffer.allocUnsafe(plan.pages * plan.digestSize);
  const scratch = Buffer.allocUnsafe(CHUNK_BYTES);
  for (let page = 0; page < plan.pages; page++) {
    const hash = createHash(plan.algorithm);
    const end = Math.min((page + 1) * plan.pageSize, plan.codeLimit);
    for (let offset = page * plan.pageSize; offset < end;) {
      const piece = await source.chunk(offset, Math.min(CHUNK_BYTES, end - offset), scratch);
      hash.update(piece);
      offset += piece.length;
    }
    hash.digest().copy(out, page * plan.digestSize);
  }
  return out;
}

/**
 * Starts the page-hashing worker threads now if hashing `paths` may use them (worthWorkers: a large file or a
 * directory): a caller that is about to hash them lets the threads' start-up overlap its own.
 */
export function warmPageWorkersFor(paths: readonly string[]): void {
  if (worthWorkers(paths)) warmPageWorkers();
}

/**
 * A command's choice (the CLI's): hash on worker threads only when a core is free for them now (coreIsFree in
 * parallelPages.ts), and if so start them for `paths` (warmPageWorkersFor).
 */
export function planPageWorkersFor(paths: readonly string[]): void {
  const free = coreIsFree();
  allowPageWorkers(free);
  if (free) warmPageWorkersFor(paths);
}
