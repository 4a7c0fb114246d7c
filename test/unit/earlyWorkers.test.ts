/**
 * The workers the CLI's executable starts before its bundle loads (cli/earlyWorkers.ts): only for a command that
 * hashes pages, with a core free, and a large file or a directory among the arguments; and the pool hashes on them
 * once main.ts hands them over.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { PAGE_HASHING_COMMANDS, startWorkersFor } from '../../server/src/cli/earlyWorkers';
import { COMMANDS } from '../../server/src/cli/commands';
import { hashPages } from '../../server/src/macho/pageHashes';
import {
  coreIsFree,
  machineThreads,
  PageWorker,
  PARALLEL_FROM,
  runnableThreads,
} from '../../server/src/macho/pageWorkerHandle';
import { adoptPageWorkers, PageRunCounts } from '../../server/src/macho/parallelPages';
import { FileSource } from '../../server/src/macho/source';
import { tempDir } from '../support/tools';

const dir = tempDir('early-workers-');
const big = path.join(dir, 'big');
const small = path.join(dir, 'small');
fs.writeFileSync(big, Buffer.alloc(3 * PARALLEL_FROM, 7)); // large enough that a worker surely claims some of it
fs.writeFileSync(small, Buffer.alloc(4096, 7));
const started: PageWorker[] = [];
const free = () => true;
const busy = () => false;

function start(argv: string[], core = free): number {
  const workers = startWorkersFor(argv, core);
  started.push(...workers);
  return workers.length;
}

after(async () => {
  await Promise.all(started.map((w) => w.worker.terminate()));
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('workers started by the executable', () => {
  it('counts the threads that want a core now, this one among them', () => {
    const now = runnableThreads();
    assert.ok(Number.isFinite(now) && now >= 0);
    if (process.platform === 'linux') assert.ok(now >= 1, `this thread runs, yet ${now} runnable`);
    assert.equal(coreIsFree(1, 2), true);
    assert.equal(coreIsFree(2, 2), false);
  });

  it('names commands the CLI has', () => {
    const names = new Set(COMMANDS.map((c) => c.name));
    for (const name of PAGE_HASHING_COMMANDS) assert.ok(names.has(name), name);
  });

  it('starts none for other commands, --help and --version, a busy machine, small files or missing paths', () => {
    assert.equal(start(['lint', big]), 0);
    assert.equal(start(['notarize', big]), 0);
    assert.equal(start(['verify', '--help', big]), 0);
    assert.equal(start(['inspect', big, '--version']), 0);
    assert.equal(start(['verify', big], busy), 0);
    assert.equal(start(['verify', small]), 0);
    assert.equal(start(['verify', path.join(dir, 'missing')]), 0);
    assert.equal(start([]), 0);
  });

  it('starts them for a large file or a directory, whatever options come before it', () => {
    const expected = machineThreads() - 1; // none on a one-core machine
    assert.equal(start(['verify', big]), expected);
    assert.equal(start(['inspect', '--json', dir]), expected);
    assert.equal(start(['sign', '--adhoc', '--identifier', 'x', big]), expected);
  });

  it('hashes pages on them once the pool adopts them', async (t) => {
    const workers = startWorkersFor(['verify', big], free);
    started.push(...workers);
    if (workers.length === 0) return t.skip('one core: no workers');
    adoptPageWorkers(workers);
    await Promise.all(workers.map((w) => w.loaded()));
    const source = await FileSource.open(big);
    try {
      const counts: PageRunCounts = { here: 0, workers: 0 };
      const digests = await hashPages(
        source,
        { algorithm: 'sha256', pageSize: 4096, codeLimit: source.size },
        { counts },
      );
      assert.equal(digests.length, ((3 * PARALLEL_FROM) / 4096) * 32);
      assert.ok(counts.workers > 0, JSON.stringify(counts));
    } finally {
      await source.close();
    }
  });
});
