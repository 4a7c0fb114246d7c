/**
 * The file-access helper (server/src/fileAccess.ts) on its own, and the rule that keeps it the only reader: no module
 * of server/src may read, open, stat or list a file any other way. Cases that would block or grow without bound if the
 * helper regressed (a FIFO, a FIFO swapped in after the first check) run in a child under a heap ceiling and a kill
 * timeout.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
  copyFileBounded,
  FileAccessError,
  hashFile,
  LIMITS,
  listDirectory,
  readFileBounded,
  readKernelFile,
  readTextBounded,
  RegularFile,
} from '../../server/src/fileAccess';
import { HEAP_MB, KILL_AFTER_MS, limitText } from '../support/hostileWorkspace';
import { REPO, tempDir } from '../support/tools';
import { CHILD_LIMIT } from '../support/bounds';
import { prng, randomBytes } from '../support/random';

const dir = tempDir('gms-file-access-');

function problem(read: () => unknown): { problem: string; message: string } {
  try {
    read();
  } catch (error) {
    assert.ok(error instanceof FileAccessError, String(error));
    return { problem: error.problem, message: error.message };
  }
  assert.fail('expected a FileAccessError');
}

/** Deterministic bytes, so a failure reproduces. */
function seeded(length: number, seed = 0x9e3779b9): Buffer {
  return randomBytes(prng(seed), length);
}

describe('reading a regular file', () => {
  it('reads it, and through a symbolic link to it', () => {
    const file = path.join(dir, 'app.entitlements');
    fs.writeFileSync(file, '<plist/>\n');
    fs.symlinkSync('app.entitlements', path.join(dir, 'link.entitlements'));
    assert.equal(readTextBounded(file), '<plist/>\n');
    assert.equal(readTextBounded(path.join(dir, 'link.entitlements')), '<plist/>\n');
  });

  it('says what is wrong in one line: missing, a directory, a loop, over the limit of its kind', () => {
    const missing = path.join(dir, 'missing');
    assert.deepEqual(
      problem(() => readFileBounded(missing)),
      { problem: 'missing', message: `${missing}: no such file` },
    );
    assert.deepEqual(
      problem(() => readFileBounded(dir)),
      { problem: 'not-regular', message: `${dir}: not a regular file (a directory)` },
    );
    const loop = path.join(dir, 'loop');
    fs.symlinkSync('loop', loop);
    assert.deepEqual(
      problem(() => readFileBounded(loop)),
      { problem: 'unreadable', message: `${loop}: a symbolic link loop` },
    );
    const source = path.join(dir, 'generated.go');
    fs.writeFileSync(source, Buffer.alloc(LIMITS.goSource + 1, 0x20));
    assert.equal(readTextBounded(source, 'text').length, LIMITS.goSource + 1);
    assert.deepEqual(
      problem(() => readTextBounded(source, 'goSource')),
      {
        problem: 'too-large',
        message: `${source}: larger than the ${limitText('goSource')} limit (${LIMITS.goSource + 1} bytes)`,
      },
    );
  });

  it('refuses a sparse file over the limit before reading a byte', () => {
    const big = path.join(dir, 'big.plist');
    execFileSync('truncate', ['-s', String(LIMITS.text + 1), big], CHILD_LIMIT);
    assert.equal(problem(() => readFileBounded(big)).problem, 'too-large');
  });

  it('hashes in pieces what python hashlib hashes whole', () => {
    const file = path.join(dir, 'resource.bin');
    fs.writeFileSync(file, seeded(2 * 1024 * 1024 + 12345));
    const expected = execFileSync(
      'python3',
      ['-c', 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())', file],
      { ...CHILD_LIMIT, encoding: 'utf8' },
    ).trim();
    assert.equal(hashFile(file, 'sha256').toString('hex'), expected);
  });

  it('copies a file with its permission bits, refusing to overwrite', () => {
    const from = path.join(dir, 'tool');
    fs.writeFileSync(from, seeded(3 * 1024 * 1024 + 7, 42), { mode: 0o755 });
    const to = path.join(dir, 'tool-copy');
    copyFileBounded(from, to);
    assert.ok(fs.readFileSync(to).equals(fs.readFileSync(from)));
    assert.equal(fs.statSync(to).mode & 0o777, 0o755);
    assert.throws(() => copyFileBounded(from, to), /EEXIST/);
  });

  it('reads a kernel file whose size stat gives as 0, to its end, within a bound', (t) => {
    if (!fs.existsSync('/proc/loadavg')) return t.skip('no /proc here');
    assert.equal(fs.statSync('/proc/loadavg').size, 0);
    assert.match(readKernelFile('/proc/loadavg').toString('latin1'), /^[\d.]+ [\d.]+ [\d.]+ \d+\/\d+ \d+\n$/);
    assert.equal(readKernelFile('/proc/loadavg', 4).length, 4);
    const big = path.join(dir, 'big-kernel-file');
    fs.writeFileSync(big, Buffer.alloc(5000));
    assert.throws(() => readKernelFile(big), /larger than/);
  });

  it('reads at offsets through RegularFile, its size fixed at open', async () => {
    const file = path.join(dir, 'ranges.bin');
    const bytes = seeded(10_000, 7);
    fs.writeFileSync(file, bytes);
    const opened = await RegularFile.open(file);
    try {
      assert.equal(opened.size, 10_000);
      const out = Buffer.alloc(100);
      assert.equal(opened.readSync(out, 0, 100, 5000), 100);
      assert.ok(out.equals(bytes.subarray(5000, 5100)));
      assert.equal(await opened.read(out, 0, 100, 9950), 50);
    } finally {
      await opened.close();
    }
  });
});

describe('listing a directory', () => {
  it('says what each entry is without opening or following it', () => {
    const root = path.join(dir, 'listing');
    fs.mkdirSync(path.join(root, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(root, 'file'), 'x');
    fs.symlinkSync('..', path.join(root, 'up'));
    fs.symlinkSync('/dev/zero', path.join(root, 'zero'));
    execFileSync('mkfifo', [path.join(root, 'pipe')], CHILD_LIMIT);
    assert.deepEqual(listDirectory(root), [
      { name: 'file', kind: 'file' },
      { name: 'pipe', kind: 'other' },
      { name: 'sub', kind: 'directory' },
      { name: 'up', kind: 'symlink' },
      { name: 'zero', kind: 'symlink' },
    ]);
  });
});

describe('files that would block or never end', () => {
  /** Runs `code` (CommonJS, with `fa` = the helper and `fs`) in a child under the heap ceiling and the kill timeout. */
  function child(code: string, ...args: string[]): string[] {
    const prelude = `const fs = require('node:fs'); const fa = require(${JSON.stringify(path.join(REPO, 'server', 'src', 'fileAccess.ts'))}); const [a] = process.argv.slice(1);\n`;
    const r = spawnSync(
      process.execPath,
      [`--max-old-space-size=${HEAP_MB}`, '--import', 'tsx', '-e', prelude + code, ...args],
      { encoding: 'utf8', timeout: KILL_AFTER_MS, killSignal: 'SIGKILL', cwd: REPO },
    );
    assert.equal(r.signal, null, `the child did not end by itself: ${r.stderr}`);
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim().split('\n');
  }

  it('refuses a FIFO and /dev/zero in every way of reading, without blocking', () => {
    const pipe = path.join(dir, 'fifo');
    execFileSync('mkfifo', [pipe], CHILD_LIMIT);
    const code = `
      const show = async (f) => { try { await f(); console.log('read'); } catch (e) { console.log(e.message); } };
      (async () => {
        await show(() => fa.readFileBounded(a));
        await show(() => fa.hashFile(a, 'sha256'));
        await show(() => fa.RegularFile.open(a));
        await show(() => fa.readHead(a, 8));
        await show(() => fa.checkRegularFile(a));
        await show(() => fa.readKernelFile(a));
      })();`;
    assert.deepEqual(child(code, pipe), Array(6).fill(`${pipe}: not a regular file (a FIFO)`));
    assert.deepEqual(child(code, '/dev/zero'), Array(6).fill('/dev/zero: not a regular file (a character device)'));
  });

  it('opens non-blocking and checks the descriptor again: a FIFO swapped in after the first check is refused', () => {
    const pipe = path.join(dir, 'swapped');
    execFileSync('mkfifo', [pipe], CHILD_LIMIT);
    const regular = path.join(dir, 'regular');
    fs.writeFileSync(regular, 'x');
    // The first check is made to see a regular file, as it would if the path were swapped between stat and open; the
    // open is counted, to show that the refusal comes from the check on the descriptor.
    const code = `
      const real = fs.statSync(${JSON.stringify(regular)});
      fs.statSync = () => real;
      fs.stat = (file, done) => done(null, real);
      let opens = 0;
      const openSync = fs.openSync, open = fs.open;
      fs.openSync = (...args) => (opens++, openSync(...args));
      fs.open = (...args) => (opens++, open(...args));
      const show = async (f) => { try { await f(); console.log('read'); } catch (e) { console.log(opens + ' ' + e.message); } };
      (async () => {
        await show(() => fa.readFileBounded(a));
        await show(() => fa.RegularFile.open(a));
      })();`;
    assert.deepEqual(child(code, pipe), [
      `1 ${pipe}: not a regular file (a FIFO)`,
      `2 ${pipe}: not a regular file (a FIFO)`,
    ]);
  });
});

/** Calls on `fs` that only create, write, rename or remove: everything else (reading, opening, stat, listing) is the helper's. */
const WRITES = new Set(['mkdirSync', 'mkdtempSync', 'writeFileSync', 'renameSync', 'rmSync', 'chmodSync']);

/** Raw file reads in a module's source: `fs.` members other than WRITES, named imports of them, fs/promises, require('fs'). */
export function rawReads(source: string): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(/\bfs\.(\w+)/g)) if (!WRITES.has(m[1])) found.push(`fs.${m[1]}`);
  for (const m of source.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*['"](?:node:)?fs['"]/g)) {
    for (const name of m[1]
      .split(',')
      .map((n) => n.trim().split(/\s+as\s+/)[0])
      .filter(Boolean))
      if (!WRITES.has(name)) found.push(name);
  }
  for (const m of source.matchAll(/['"](?:node:)?fs\/promises['"]|require\(\s*['"](?:node:)?fs['"]\s*\)/g))
    found.push(m[0]);
  return found;
}

describe('the only reader', () => {
  it('finds raw reads in any form', () => {
    assert.deepEqual(
      rawReads("import * as fs from 'node:fs';\nfs.readFileSync(f); fs.writeFileSync(f, x); fs.promises.open(f);"),
      ['fs.readFileSync', 'fs.promises'],
    );
    assert.deepEqual(rawReads("import { readdirSync, rmSync as rm } from 'fs';"), ['readdirSync']);
    assert.deepEqual(rawReads("import { open } from 'node:fs/promises';\nconst fs2 = require('fs');"), [
      "'node:fs/promises'",
      "require('fs')",
    ]);
  });

  it('no module of server/src reads files except through fileAccess.ts', () => {
    const root = path.join(REPO, 'server', 'src');
    const offenders: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const full = path.join(d, e.name);
        if (e.isDirectory()) walk(full);
        else if (e.name.endsWith('.ts') && full !== path.join(root, 'fileAccess.ts')) {
          for (const call of rawReads(fs.readFileSync(full, 'utf8')))
            offenders.push(`${path.relative(REPO, full)}: ${call}`);
        }
      }
    };
    walk(root);
    assert.deepEqual(offenders, []);
  });
});
