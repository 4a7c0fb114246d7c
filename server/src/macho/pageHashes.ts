/**
 * Streaming check of a CodeDirectory's code-page hashes (Security `validateExecutable`).
 *
 * Pages start at slice offset 0 and are `pageSize` bytes, the last one short (never zero-padded). Bytes are read in
 * large chunks into one reused buffer and each page is hashed where it lies, so memory stays at one chunk whatever the
 * file size. `hashPageRange` is pure over a ByteSource so the same code runs in-process and in worker threads.
 */
import { createHash, Hash } from 'node:crypto';
import { ByteSource } from './source';

/** What one worker or the main thread needs to check a run of pages; plain data so it can cross threads. */
export interface PageJob {
  /** node:crypto algorithm name. */
  algorithm: string;
  /** Digest length kept (truncated hash types keep 20 bytes of SHA-256). */
  hashSize: number;
  pageSize: number;
  /** End of the signed range (slice-relative). */
  codeLimit: number;
  firstPage: number;
  /** One past the last page to check. */
  endPage: number;
  /** The expected digests of pages [firstPage, endPage), concatenated. */
  expected: Uint8Array;
}

export const CHUNK_SIZE = 2 * 1024 * 1024;

/** Two chunk buffers: while one chunk is hashed on this thread, the next is read on libuv's I/O threads. */
export type Scratch = [Buffer, Buffer];

export function newScratch(): Scratch {
  return [Buffer.allocUnsafe(CHUNK_SIZE), Buffer.allocUnsafe(CHUNK_SIZE)];
}

/** Returns the indices of pages whose hash differs from the CodeDirectory's. */
export async function hashPageRange(
  source: ByteSource,
  job: PageJob,
  scratch: Scratch = newScratch(),
): Promise<number[]> {
  const mismatches: number[] = [];
  const start = job.firstPage * job.pageSize;
  const end = Math.min(job.endPage * job.pageSize, job.codeLimit);
  let page = job.firstPage;
  let pageLeft = Math.min(job.pageSize, job.codeLimit - start);
  let hash: Hash | null = null;

  const finishPage = (digest: Buffer) => {
    const at = (page - job.firstPage) * job.hashSize;
    if (!digest.subarray(0, job.hashSize).equals(job.expected.subarray(at, at + job.hashSize))) mismatches.push(page);
    page++;
    pageLeft = Math.min(job.pageSize, job.codeLimit - page * job.pageSize);
  };

  const read = (offset: number, index: number) =>
    source.chunk(offset, Math.min(CHUNK_SIZE, end - offset), scratch[index]);
  let next = start < end ? read(start, 0) : null;
  for (let offset = start, index = 0; next; index ^= 1) {
    const chunk = await next;
    offset += chunk.length;
    next = offset < end ? read(offset, index ^ 1) : null;
    // Chunks are a whole number of pages when pages are small, so the common case hashes each page in one call.
    let at = 0;
    while (at < chunk.length) {
      const take = Math.min(pageLeft, chunk.length - at);
      const piece = chunk.subarray(at, at + take);
      at += take;
      if (hash === null && take === pageLeft) {
        finishPage(createHash(job.algorithm).update(piece).digest());
        continue;
      }
      hash ??= createHash(job.algorithm);
      hash.update(piece);
      pageLeft -= take;
      if (pageLeft === 0) {
        const digest = hash.digest();
        hash = null;
        finishPage(digest);
      }
    }
  }
  return mismatches;
}

/** What `hashPages` needs: the digest, the page size in bytes and the end of the hashed range (slice-relative). */
export interface PageHashSpec {
  algorithm: 'sha1' | 'sha256';
  pageSize: number;
  codeLimit: number;
}

/**
 * The digests of every page of `[0, codeLimit)`, concatenated (20 bytes each for SHA-1, 32 for SHA-256): the code
 * slots a signer writes into a CodeDirectory. The last page is short, never padded. Minimal and sequential here;
 * the signer and the verifier share this one entry point so a faster body serves both.
 */
export async function hashPages(source: ByteSource, spec: PageHashSpec): Promise<Buffer> {
  const { algorithm, pageSize, codeLimit } = spec;
  if (!Number.isSafeInteger(pageSize) || pageSize <= 0) throw new RangeError(`invalid page size ${pageSize}`);
  const count = codeLimit > 0 ? Math.ceil(codeLimit / pageSize) : 0;
  const digestSize = algorithm === 'sha1' ? 20 : 32;
  const out = Buffer.alloc(count * digestSize);
  const scratch = Buffer.allocUnsafe(Math.max(pageSize, Math.floor(CHUNK_SIZE / pageSize) * pageSize));
  for (let offset = 0, page = 0; offset < codeLimit;) {
    const chunk = await source.chunk(offset, Math.min(scratch.length, codeLimit - offset), scratch);
    for (let at = 0; at < chunk.length; at += pageSize, page++) {
      createHash(algorithm)
        .update(chunk.subarray(at, Math.min(at + pageSize, chunk.length)))
        .digest()
        .copy(out, page * digestSize);
    }
    offset += chunk.length;
  }
  return out;
}
