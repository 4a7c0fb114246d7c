/**
 * The page-hashing kernel that the main thread and the page worker threads share (pageHashes.ts states the contract).
 *
 * The signed range [0, codeLimit) is cut into pages of `pageSize` bytes, the last one short, and the pages into chunks
 * of 256 KiB, finer at the end. A chunk is the unit of work a thread claims from a shared counter: the thread reads
 * the chunk's bytes into its own buffer with one read (or views them in shared memory), hashes each page with one
 * `crypto.hash` call (no Hash object per page: about a quarter faster on 4 KiB pages) and writes each digest at its
 * page's place in the shared output. Threads exchange no bytes and no per-chunk messages, only atomic words (chunk
 * numbers, phases), so a thread that starts late or runs on a busy core simply claims fewer chunks.
 *
 * Plain data only (plans, control words), so it crosses threads; no worker_threads import, so the worker bundle stays
 * small.
 */
import { hash } from 'node:crypto';
import { readDescriptorAt } from '../fileAccess';
import type { FileDescriptor } from './source';

export type PageHashAlgorithm = 'sha1' | 'sha256' | 'sha384';

export const DIGEST_SIZE: Readonly<Record<PageHashAlgorithm, number>> = { sha1: 20, sha256: 32, sha384: 48 };

/**
 * Bytes per chunk: large enough that reads and claims are rare, small enough that a chunk read into a thread's buffer
 * is still in the core's cache (L2: 256 KiB to 1 MiB) when it is hashed. A fresh process hashed 90 MB about 8% faster
 * in 256 KiB chunks than in 1 MiB ones, and touched fewer fresh memory pages.
 */
export const CHUNK_BYTES = 256 * 1024;

/**
 * The end of the range is cut finer, into chunks of TAIL_CHUNK_BYTES covering at least TAIL_BYTES, so that the threads
 * run out of work together: when one finds nothing left to claim, what another still holds is a small chunk, not a
 * whole chunk that the first would wait for idle.
 */
export const TAIL_CHUNK_BYTES = 64 * 1024;
export const TAIL_BYTES = 2 * 1024 * 1024;

/** What every thread needs to hash its chunks: validated by pageHashes.ts before any thread sees it. */
export interface PagePlan {
  algorithm: PageHashAlgorithm;
  digestSize: number;
  pageSize: number;
  codeLimit: number;
  pages: number;
  /** Whole pages per chunk before the tail (at least 1; pages larger than a chunk never reach this kernel). */
  chunkPages: number;
  /** Chunks of `chunkPages` pages, from page 0; the tail chunks follow them. */
  bodyChunks: number;
  /** Whole pages per tail chunk (at least 1). */
  tailPages: number;
  chunks: number;
}

export function planPages(algorithm: PageHashAlgorithm, pageSize: number, codeLimit: number): PagePlan {
  const pages = Math.ceil(codeLimit / pageSize);
  const chunkPages = Math.max(1, Math.floor(CHUNK_BYTES / pageSize));
  const tailPages = Math.min(chunkPages, Math.max(1, Math.floor(TAIL_CHUNK_BYTES / pageSize)));
  const bodyChunks = Math.floor(Math.max(0, codeLimit - TAIL_BYTES) / (chunkPages * pageSize));
  return {
    algorithm,
    digestSize: DIGEST_SIZE[algorithm],
    pageSize,
    codeLimit,
    pages,
    chunkPages,
    bodyChunks,
    tailPages,
    chunks: bodyChunks + Math.ceil((pages - bodyChunks * chunkPages) / tailPages),
  };
}

/** The first page of chunk `chunk`. */
function firstPage(plan: PagePlan, chunk: number): number {
  return chunk < plan.bodyChunks
    ? chunk * plan.chunkPages
    : plan.bodyChunks * plan.chunkPages + (chunk - plan.bodyChunks) * plan.tailPages;
}

/** Where chunk `chunk`'s digests start in the run's output. */
export function chunkDigestOffset(plan: PagePlan, chunk: number): number {
  return firstPage(plan, chunk) * plan.digestSize;
}

/** The byte range of chunk `chunk` (relative to the source). */
export function chunkRange(plan: PagePlan, chunk: number): { offset: number; length: number } {
  const offset = firstPage(plan, chunk) * plan.pageSize;
  const pages = chunk < plan.bodyChunks ? plan.chunkPages : plan.tailPages;
  return { offset, length: Math.min(pages * plan.pageSize, plan.codeLimit - offset) };
}

/**
 * Hashes the pages of chunk `chunk`, whose bytes are `bytes`, into their places in `out`. Per page this allocates only
 * the digest, as a short latin1 string (one char per byte, exact), which costs the garbage collector less than a
 * Buffer: the views of the pages are made once per chunk buffer (a thread reads every chunk into the same scratch
 * buffer), not once per page.
 */
export function hashChunk(
  plan: PagePlan,
  chunk: number,
  bytes: Uint8Array,
  out: Buffer,
  at = chunkDigestOffset(plan, chunk),
): void {
  const { algorithm, pageSize, digestSize } = plan;
  const views = pageViews(bytes, pageSize);
  for (let page = 0, start = 0; start < bytes.length; page++, start += pageSize, at += digestSize) {
    const view =
      start + pageSize <= bytes.length
        ? (views[page] ??= new Uint8Array(bytes.buffer, bytes.byteOffset + start, pageSize))
        : new Uint8Array(bytes.buffer, bytes.byteOffset + start, bytes.length - start);
    writeLatin1(out, hash(algorithm, view, 'binary'), at, digestSize);
  }
}

type Latin1Writer = { latin1Write?(text: string, offset: number, length: number): number };

/**
 * `out.write(text, at, length, 'latin1')`, through Buffer's own latin1 writer where it exists (every Node to date has
 * it, undocumented): `write` first normalises its arguments and its encoding name, and that cost a cold process about
 * a tenth of its page-hashing time.
 */
const writeLatin1: (out: Buffer, text: string, at: number, length: number) => void =
  typeof (Buffer.prototype as Latin1Writer).latin1Write === 'function'
    ? (out, text, at, length) => void (out as Latin1Writer).latin1Write!(text, at, length)
    : (out, text, at, length) => void out.write(text, at, length, 'latin1');

/** Whole-page views of chunk buffers, by the memory they view (weakly: a buffer no longer used takes its views). */
const viewsOf = new WeakMap<ArrayBufferLike, { byteOffset: number; pageSize: number; views: Uint8Array[] }>();

/** The views of the pages of chunks read into `bytes`' memory at its offset, reused while chunks come from there. */
function pageViews(bytes: Uint8Array, pageSize: number): Uint8Array[] {
  const known = viewsOf.get(bytes.buffer);
  if (known && known.byteOffset === bytes.byteOffset && known.pageSize === pageSize) return known.views;
  const views: Uint8Array[] = [];
  viewsOf.set(bytes.buffer, { byteOffset: bytes.byteOffset, pageSize, views });
  return views;
}

/** Where a thread finds the bytes, as plain data that crosses threads. */
export type PageBytes =
  | { kind: 'file'; descriptor: FileDescriptor; base: number }
  | { kind: 'shared'; buffer: SharedArrayBuffer; byteOffset: number };

export type ChunkReader = (offset: number, length: number) => Uint8Array;

/** A reader of chunks into `scratch` (at least CHUNK_BYTES), or views into shared memory. Throws InputError. */
export function chunkReader(from: PageBytes, scratch: Buffer): ChunkReader {
  if (from.kind === 'shared') return (offset, length) => new Uint8Array(from.buffer, from.byteOffset + offset, length);
  return (offset, length) => {
    readDescriptorAt(from.descriptor, scratch, length, from.base + offset);
    return scratch.subarray(0, length);
  };
}

/**
 * The control words of one parallel run, an Int32Array over a SharedArrayBuffer: the next unclaimed chunk, then for
 * each worker its state, the chunk it holds (-1 when none), its phase with that chunk and how many chunks it has
 * written. The main thread tells from them a worker that never started from one still running, redoes the chunk of a
 * worker that died, and, once no chunk is left to claim, hashes itself the chunk a worker is still hashing rather
 * than wait for it (a worker thread may be descheduled on a busy machine).
 */
export const NEXT_CHUNK = 0;
export const stateIndex = (slot: number): number => 1 + 4 * slot;
export const currentIndex = (slot: number): number => 2 + 4 * slot;
export const phaseIndex = (slot: number): number => 3 + 4 * slot;
export const writtenIndex = (slot: number): number => 4 + 4 * slot;
export const controlWords = (workers: number): number => 1 + 4 * workers;

export const WORKER_WAITING = 0;
export const WORKER_RUNNING = 1;
/** Set by the main thread on a worker that had not started when the work ran out: it must not start any more. */
export const WORKER_CANCELLED = 2;
export const WORKER_DONE = 3;

/**
 * A worker's phase with its chunk: it reads the source only while CLAIMING or READING, and writes digests only while
 * WRITING, which it enters from HASHING with a compare-and-swap; the main thread takes a chunk over by swapping
 * HASHING for TAKEN, after which the worker drops its digests of that chunk. The worker notifies the phase word when
 * it enters HASHING or IDLE.
 */
export const PHASE_IDLE = 0;
export const PHASE_CLAIMING = 1;
export const PHASE_READING = 2;
export const PHASE_HASHING = 3;
export const PHASE_WRITING = 4;
export const PHASE_TAKEN = 5;

/** Claims the next chunk, or returns -1 when none is left. */
export function claimChunk(plan: PagePlan, control: Int32Array): number {
  const chunk = Atomics.add(control, NEXT_CHUNK, 1);
  return chunk < plan.chunks ? chunk : -1;
}

/** Stops every thread after its current chunk (on an error). */
export function stopClaims(plan: PagePlan, control: Int32Array): void {
  Atomics.store(control, NEXT_CHUNK, plan.chunks);
}
