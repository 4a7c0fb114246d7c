/**
 * Large files are hashed by this thread and worker threads together: both ways must find exactly the same pages, and
 * the worker threads must really have hashed some of them (a worker that fails to start falls back to this thread,
 * which would otherwise go unnoticed). Input: @bufbuild/buf (a 45 MB Go program, linker-signed) with bytes flipped at
 * the start, middle and end.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { availableParallelism } from 'node:os';
import { describe, it } from 'node:test';
import { inspectMachO } from '../../server/src/macho/inspect';
import { pageWorkersReady, type PageRunCounts } from '../../server/src/macho/parallelPages';
import { FileSource } from '../../server/src/macho/source';
import { objdumpFacts } from '../support/oracle';
import { npmPackage, tempDir } from '../support/tools';

async function failingPages(file: string, parallel: boolean, pageRuns?: PageRunCounts): Promise<number[]> {
  const source = await FileSource.open(file);
  try {
    const { slices } = await inspectMachO(source, {}, { parallel, pageRuns });
    return slices[0].verification.failures.map((f) => f.page!);
  } finally {
    await source.close();
  }
}

describe('parallel page hashing', () => {
  it('reports the same modified pages as hashing on one thread', async () => {
    const original = path.join(npmPackage('@bufbuild/buf-darwin-arm64@1.75.0'), 'bin', 'buf');
    const limit = objdumpFacts(original).codeSignature!.dataOffset;
    const offsets = [4096 * 3 + 5, Math.floor(limit / 2), limit - 1];
    const bytes = fs.readFileSync(original);
    for (const at of offsets) bytes[at] ^= 0x5a;
    const file = path.join(tempDir(), 'buf-modified');
    fs.writeFileSync(file, bytes);
    const expected = offsets.map((at) => Math.floor(at / 4096));
    const sequential: PageRunCounts = { here: 0, workers: 0 };
    assert.deepEqual(await failingPages(file, false, sequential), expected);
    assert.deepEqual(sequential, { here: 1, workers: 0 });
    // A cold worker may start after this thread has claimed every chunk (by design: nothing waits for it), so the
    // pool is started and loaded first, as the CLI and the language server have it when a large file comes.
    await pageWorkersReady();
    const parallel: PageRunCounts = { here: 0, workers: 0 };
    assert.deepEqual(await failingPages(file, true, parallel), expected);
    if (availableParallelism() >= 2)
      assert.ok(parallel.workers > 0, `worker threads hashed no pages: ${JSON.stringify(parallel)}`);
    assert.deepEqual(await failingPages(original, true), []);
  });
});
