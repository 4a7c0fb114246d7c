/**
 * The page-hashing kernel that the main thread and the page worker threads share (pageHashes.ts states the contract).
 *
 * The signed range [0, codeLimit) is cut into pages of `pageSize` bytes, the last one short, and the pages into chunks
 * of about 1 MiB. A chunk is the unit of work a thread claims from a shared counter: the thread reads the chunk's bytes
 * into its own buffer with one read (or views them in shared memory), hashes each page with one `crypto.hash` call
 * (no Hash object per page: about a quarter faster on 4 KiB pages) and writes each digest at its page's place in the
 * shared output. Threads exchange no bytes and no per-chunk messages, only atomic chunk numbers, so a thread that
 * starts late or runs on a busy core simply claims fewer chunks.
 *
 * Plain data only (plans, control words), so it crosses threads; no worker_threads import, so the worker bundle stays
 * small.
 */
import { hash } from 'node:crypto';
import { readDescriptorAt } from '../fileAccess';
import type { FileDescriptor } from './source';

export type PageHashAlgorithm = 'sha1' | 'sha256' | 'sha384';

export const DIGEST_SIZE: Readonly<Record<PageHashAlgorithm, number>> = { sha1: 20, sha256: 32, sha384: 48 };

/** Bytes per chunk: large enough that reads and claims are rare, small enough to balance two threads. */
export const CHUNK_BYTES = 1024 * 1024;

/** What every thread needs to hash its chunks: validated by pageHashes.ts before any thread sees it. */
export interface PagePlan {
  algorithm: PageHashAlgorithm;
  digestSize: number;
  pageSize: number;
  codeLimit: number;
  pages: number;
  /** Whole pages per chunk (at least 1; pages larger than a chunk never reach this kernel). */
  chunkPages: number;
  chunks: number;
}

export function planPages(algorithm: PageHashAlgorithm, pageSize: number, codeLimit: number): PagePlan {
  const pages = Math.ceil(codeLimit / pageSize);
  const chunkPages = Math.max(1, Math.floor(CHUNK_BYTES / pageSize));
  return {
    algorithm,
    digestSize: DIGEST_SIZE[algorithm],
    pageSize,
    codeLimit,
    pages,
    chunkPages,
    chunks: Math.ceil(pages / chunkPages),
  };
}

/** The byte range of chunk `chunk` (relative to the source). */
export function chunkRange(plan: PagePlan, chunk: number): { offset: number; length: number } {
  const offset = chunk * plan.chunkPages * plan.pageSize;
  return { offset, length: Math.min(plan.chunkPages * plan.pageSize, plan.codeLimit - offset) };
}

/**
 * Hashes the pages of chunk `chunk`, whose bytes are `bytes`, into their places in `out`. Per page this allocates only
 * a plain Uint8Array view and a short string: a digest as a latin1 string (one char per byte, exact) and a view that
 * is not a Buffer cost the garbage collector less than a Buffer each, about a third more pages per second.
 */
export function hashChunk(plan: PagePlan, chunk: number, bytes: Uint8Array, out: Buffer): void {
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  let at = chunk * plan.chunkPages * plan.digestSize;
  for (let start = 0; start < view.length; start += plan.pageSize, at += plan.digestSize) {
    out.write(
      hash(plan.algorithm, view.subarray(start, start + plan.pageSize), 'binary'),
      at,
      plan.digestSize,
      'latin1',
    );
  }
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
 * each worker its state and the chunk it is hashing (-1 when none), so that the main thread can tell a worker that
 * never started from one still running, and redo the chunk of a worker that died.
 */
export const NEXT_CHUNK = 0;
export const stateIndex = (slot: number): number => 1 + 2 * slot;
export const currentIndex = (slot: number): number => 2 + 2 * slot;
export const controlWords = (workers: number): number => 1 + 2 * workers;

export const WORKER_WAITING = 0;
export const WORKER_RUNNING = 1;
/** Set by the main thread on a worker that had not started when the work ran out: it must not start any more. */
export const WORKER_CANCELLED = 2;
export const WORKER_DONE = 3;

/** Claims the next chunk, or returns -1 when none is left. */
export function claimChunk(plan: PagePlan, control: Int32Array): number {
  const chunk = Atomics.add(control, NEXT_CHUNK, 1);
  return chunk < plan.chunks ? chunk : -1;
}

/** Stops every thread after its current chunk (on an error). */
export function stopClaims(plan: PagePlan, control: Int32Array): void {
  Atomics.store(control, NEXT_CHUNK, plan.chunks);
}
