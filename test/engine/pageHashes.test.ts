/**
 * hashPages, the one page-hashing path of verification and signing, against an independent computation: Python's
 * hashlib over the same file cut into page-sized pieces. Odd code limits, several page sizes (a page larger than a
 * chunk, a page size that is not a power of two), SHA-1 and SHA-256, on this thread and on this thread plus worker
 * threads (forced by a zero threshold), from a file, a slice of it, a buffer and shared memory; the chunks the threads
 * claim tile the range. Hostile specs and a file that shrinks while it is read are InputErrors.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { InputError } from '../../server/src/errors';
import { CHUNK_BYTES, chunkRange, planPages, TAIL_BYTES, TAIL_CHUNK_BYTES } from '../../server/src/macho/pageChunks';
import { hashPages, MAX_PAGES, PageHashSpec } from '../../server/src/macho/pageHashes';
import { allowPageWorkers, coreIsFree, pageWorkersReady, PageRunCounts } from '../../server/src/macho/parallelPages';
import { BufferSource, ByteSource, FileSource } from '../../server/src/macho/source';
import { CHILD_LIMIT } from '../support/bounds';
import { tempDir } from '../support/tools';
import { prng, randomBytes } from '../support/random';

const PYTHON_PAGES = `
import hashlib, sys
path, base, limit, page, algorithm = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
with open(path, 'rb') as f:
    f.seek(base)
    data = f.read(limit)
assert len(data) == limit
sys.stdout.write(''.join(hashlib.new(algorithm, data[i:i + page]).hexdigest() for i in range(0, limit, page)))
`;

function pythonPages(file: string, spec: PageHashSpec, base = 0): string {
  return execFileSync(
    'python3',
    ['-c', PYTHON_PAGES, file, String(base), String(spec.codeLimit), String(spec.pageSize), spec.algorithm],
    { ...CHILD_LIMIT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
}

/** Deterministic bytes, so a failure reproduces. */
function seeded(length: number, seed = 0x2545f491): Buffer {
  return randomBytes(prng(seed), length);
}

const dir = tempDir('gms-page-hashes-');
/** 20 MiB + 4 KiB + 123 bytes: several chunks, pages of every size, and a short last page. */
const SIZE = 20 * 1024 * 1024 + 4096 + 123;
const file = path.join(dir, 'pages.bin');
fs.writeFileSync(file, seeded(SIZE));

async function withFile<T>(name: string, use: (source: FileSource) => Promise<T>): Promise<T> {
  const source = await FileSource.open(name);
  try {
    return await use(source);
  } finally {
    await source.close();
  }
}

async function rejectsInput(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof InputError, String(error));
    assert.match(error.message, pattern);
    assert.doesNotMatch(error.message, /\n/);
    return true;
  });
}

describe('hashPages', () => {
  it('equals hashlib over page-sized pieces on one thread, for odd limits, page sizes and both algorithms', async () => {
    const cases: PageHashSpec[] = [
      { algorithm: 'sha256', pageSize: 4096, codeLimit: SIZE },
      { algorithm: 'sha256', pageSize: 4096, codeLimit: SIZE - 4096 - 123 },
      { algorithm: 'sha1', pageSize: 4096, codeLimit: 3 * 1024 * 1024 + 1 },
      { algorithm: 'sha256', pageSize: 16384, codeLimit: 5 * 1024 * 1024 - 7 },
      { algorithm: 'sha1', pageSize: 16384, codeLimit: 1 },
      { algorithm: 'sha256', pageSize: 1000, codeLimit: 1024 * 1024 + 999 },
      { algorithm: 'sha256', pageSize: 4 * 1024 * 1024, codeLimit: 9 * 1024 * 1024 + 5 }, // pages larger than a chunk
      { algorithm: 'sha256', pageSize: 4096, codeLimit: 0 },
    ];
    await withFile(file, async (source) => {
      for (const spec of cases) {
        const counts: PageRunCounts = { here: 0, workers: 0 };
        const ours = await hashPages(source, spec, { parallel: false, counts });
        assert.equal(ours.toString('hex'), pythonPages(file, spec), JSON.stringify(spec));
        assert.equal(counts.workers, 0);
      }
    });
    // The same bytes in memory: a plain buffer, and one in shared memory that worker threads could read.
    const spec: PageHashSpec = { algorithm: 'sha256', pageSize: 4096, codeLimit: 2 * 1024 * 1024 + 17 };
    const bytes = fs.readFileSync(file);
    assert.equal((await hashPages(new BufferSource(bytes, 'buffer'), spec)).toString('hex'), pythonPages(file, spec));
  });

  it('equals hashlib with worker threads, from a file, a slice of it and shared memory', async () => {
    await pageWorkersReady(); // a cold worker may otherwise start after this thread has claimed every chunk
    const threads = availableParallelism() >= 2;
    const check = async (source: ByteSource, spec: PageHashSpec, base = 0) => {
      const counts: PageRunCounts = { here: 0, workers: 0 };
      const ours = await hashPages(source, spec, { parallelFrom: 0, counts });
      assert.equal(ours.toString('hex'), pythonPages(file, spec, base), JSON.stringify(spec));
      // Every chunk is counted once, by the thread whose digests were kept (this one takes over a worker's last chunk).
      assert.equal(counts.here + counts.workers, planPages(spec.algorithm, spec.pageSize, spec.codeLimit).chunks);
      if (threads) assert.ok(counts.workers > 0, `worker threads hashed no chunk: ${JSON.stringify(counts)}`);
    };
    await withFile(file, async (source) => {
      await check(source, { algorithm: 'sha256', pageSize: 4096, codeLimit: SIZE });
      await check(source, { algorithm: 'sha1', pageSize: 16384, codeLimit: SIZE - 5000 });
      const base = 4096 * 3 + 1; // a slice that does not start on a page boundary of the file
      await check(
        source.slice(base, SIZE - base, 'slice'),
        { algorithm: 'sha256', pageSize: 4096, codeLimit: SIZE - base - 9 },
        base,
      );
    });
    // Two runs at once share the pool (a language server inspecting two files): each gets its own pages.
    await withFile(file, async (source) => {
      const a: PageHashSpec = { algorithm: 'sha256', pageSize: 4096, codeLimit: SIZE - 1 };
      const b: PageHashSpec = { algorithm: 'sha1', pageSize: 4096, codeLimit: SIZE - 2 };
      const [ours, theirs] = await Promise.all([
        hashPages(source, a, { parallelFrom: 0 }),
        hashPages(source, b, { parallelFrom: 0 }),
      ]);
      assert.equal(ours.toString('hex'), pythonPages(file, a));
      assert.equal(theirs.toString('hex'), pythonPages(file, b));
    });
    const shared = Buffer.from(new SharedArrayBuffer(SIZE));
    fs.readFileSync(file).copy(shared);
    await check(new BufferSource(shared, 'shared'), { algorithm: 'sha256', pageSize: 4096, codeLimit: SIZE - 1 });
  });

  it('cuts the range into whole-page chunks that tile it: CHUNK_BYTES ones, then smaller ones over the last 2 MiB', () => {
    for (const [pageSize, codeLimit] of [
      [4096, SIZE],
      [16384, SIZE - 5000],
      [4096, 1024 * 1024 + 1],
      [1000, 3 * 1024 * 1024 + 999],
      [4096, 4096],
    ]) {
      const plan = planPages('sha256', pageSize, codeLimit);
      const ranges = Array.from({ length: plan.chunks }, (_, chunk) => chunkRange(plan, chunk));
      let end = 0;
      for (const { offset, length } of ranges) {
        assert.equal(offset, end, 'contiguous');
        assert.ok(length > 0 && offset % pageSize === 0, 'whole pages');
        end = offset + length;
      }
      assert.equal(end, codeLimit, 'the whole range');
      // The tail: the chunks after the last CHUNK_BYTES one cover at least TAIL_BYTES (or all), each at most TAIL_CHUNK_BYTES.
      const big = Math.floor(CHUNK_BYTES / pageSize) * pageSize;
      const tail = ranges.slice(ranges.map((r) => r.length).lastIndexOf(big) + 1);
      assert.ok(tail.every((r) => r.length <= TAIL_CHUNK_BYTES));
      assert.ok(codeLimit - tail[0].offset >= Math.min(TAIL_BYTES, codeLimit));
      assert.ok(ranges.slice(0, ranges.length - tail.length).every((r) => r.length === big));
    }
  });

  it('uses worker threads only where a core is free for them, as the CLI decides for a command', async () => {
    assert.equal(coreIsFree(0.3, 2), true);
    assert.equal(coreIsFree(1.2, 2), true); // the CLI itself is the one runnable process
    assert.equal(coreIsFree(1.6, 2), false);
    assert.equal(coreIsFree(7, 4), false);
    const spec: PageHashSpec = { algorithm: 'sha256', pageSize: 4096, codeLimit: SIZE };
    await pageWorkersReady();
    allowPageWorkers(false);
    try {
      await withFile(file, async (source) => {
        const counts: PageRunCounts = { here: 0, workers: 0 };
        const ours = await hashPages(source, spec, { parallelFrom: 0, counts });
        assert.equal(ours.toString('hex'), pythonPages(file, spec));
        assert.equal(counts.workers, 0);
      });
    } finally {
      allowPageWorkers(true);
    }
  });

  it('refuses hostile specs with one-line InputErrors before hashing', async () => {
    const small = new BufferSource(seeded(10000), 'small');
    await rejectsInput(hashPages(small, { algorithm: 'sha256', pageSize: 4096, codeLimit: 10001 }), /beyond the end/);
    await rejectsInput(hashPages(small, { algorithm: 'sha256', pageSize: 4096, codeLimit: -1 }), /beyond the end/);
    await rejectsInput(hashPages(small, { algorithm: 'sha256', pageSize: 4096, codeLimit: NaN }), /beyond the end/);
    await rejectsInput(hashPages(small, { algorithm: 'sha256', pageSize: 0, codeLimit: 100 }), /page size 0/);
    await rejectsInput(hashPages(small, { algorithm: 'sha256', pageSize: 1.5, codeLimit: 100 }), /page size/);
    await rejectsInput(
      hashPages(small, { algorithm: 'md5' as PageHashSpec['algorithm'], pageSize: 4096, codeLimit: 100 }),
      /unsupported page hash algorithm/,
    );
    const many = new BufferSource(Buffer.alloc(MAX_PAGES + 1), 'many');
    await rejectsInput(hashPages(many, { algorithm: 'sha256', pageSize: 1, codeLimit: MAX_PAGES + 1 }), /more than/);
  });

  it('a file that shrinks while it is read is an InputError, on one thread and with worker threads', async () => {
    await pageWorkersReady();
    for (const parallel of [false, true]) {
      const victim = path.join(dir, `shrinking-${parallel}`);
      fs.copyFileSync(file, victim);
      await withFile(victim, async (source) => {
        fs.truncateSync(victim, 1024 * 1024 + 5); // after open: the size the reader was promised is gone
        await rejectsInput(
          hashPages(source, { algorithm: 'sha256', pageSize: 4096, codeLimit: SIZE }, { parallel, parallelFrom: 0 }),
          /shrank/,
        );
      });
    }
  });
});
