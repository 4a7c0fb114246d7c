/**
 * The builtin `lipo -create` (server/src/sign/fat.ts): its output must equal `llvm-lipo -create`'s byte for byte for
 * the same inputs, in any input order: Go binaries built in the test, third-party Go binaries (esbuild) and a
 * third-party MH_BUNDLE pair (fsevents.node, split by `llvm-lipo -thin`). Universal inputs are flattened as llvm-lipo
 * flattens them. Unusable inputs are one-line InputErrors and leave the output (and its folder) as they were.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { InputError } from '../../server/src/errors';
import { planUniversal, writeUniversal } from '../../server/src/sign/fat';
import { buildGo, lipoCreate, lipoTool, npmPackage, run, tempDir } from '../support/tools';

const dir = tempDir();
let goArm64: string;
let goAmd64: string;
let esbuildArm64: string;
let esbuildX64: string;
let fsevents: string;
let bundleX64: string;
let bundleArm64: string;

before(() => {
  goArm64 = buildGo('arm64', dir);
  goAmd64 = buildGo('amd64', dir);
  esbuildArm64 = path.join(npmPackage('@esbuild/darwin-arm64@0.28.2'), 'bin', 'esbuild');
  esbuildX64 = path.join(npmPackage('@esbuild/darwin-x64@0.28.2'), 'bin', 'esbuild');
  fsevents = path.join(npmPackage('fsevents@2.3.3'), 'fsevents.node');
  bundleX64 = path.join(dir, 'fsevents-x86_64.node');
  bundleArm64 = path.join(dir, 'fsevents-arm64.node');
  run(lipoTool(), [fsevents, '-thin', 'x86_64', '-output', bundleX64]);
  run(lipoTool(), [fsevents, '-thin', 'arm64', '-output', bundleArm64]);
});

let count = 0;
/** Writes the same inputs with llvm-lipo and with ours; returns both outputs. */
async function both(inputs: string[]): Promise<{ ours: Buffer; theirs: Buffer }> {
  count++;
  const theirs = lipoCreate(path.join(dir, `lipo-${count}`), inputs);
  const ours = path.join(dir, `ours-${count}`);
  await writeUniversal(inputs, ours);
  return { ours: fs.readFileSync(ours), theirs: fs.readFileSync(theirs) };
}

function assertSame(result: { ours: Buffer; theirs: Buffer }): void {
  assert.equal(result.ours.length, result.theirs.length, 'same size as llvm-lipo output');
  // Not assert.deepEqual on 20 MB buffers: its diff would be unreadable.
  assert.ok(result.ours.equals(result.theirs), 'same bytes as llvm-lipo output');
}

describe('builtin universal equals llvm-lipo -create', () => {
  it('for Go binaries built in the test (darwin/arm64 + darwin/amd64), in either order', async () => {
    assertSame(await both([goArm64, goAmd64]));
    assertSame(await both([goAmd64, goArm64]));
  });

  it('for third-party Go binaries (esbuild 0.28.2 darwin-arm64 + darwin-x64)', async () => {
    assertSame(await both([esbuildArm64, esbuildX64]));
  });

  it('for a third-party MH_BUNDLE pair (fsevents.node slices)', async () => {
    assertSame(await both([bundleArm64, bundleX64]));
  });

  it('for a single input (a universal file of one slice)', async () => {
    assertSame(await both([goAmd64]));
  });

  it('flattens a universal input as llvm-lipo does, keeping its slices alignment', async () => {
    const result = await both([fsevents]);
    assertSame(result);
    // fsevents.node's own fat header aligns x86_64 to 2^14; a thin x86_64 input would get 2^12.
    assert.ok(result.ours.equals(fs.readFileSync(fsevents)), 'rewriting a lipo-made file gives the same file');
  });

  it('mixes programs of different kinds as lipo does (it does not care what they are)', async () => {
    assertSame(await both([bundleX64, esbuildArm64]));
  });

  it('orders four slices as llvm-lipo does: subtypes within a CPU type, arm64 last (x86_64h and arm64e variants)', async () => {
    // The same MH_BUNDLE slices with only the header's cpusubtype changed: x86_64h (8) and arm64e (2).
    const variant = (from: string, subtype: number, name: string) => {
      const bytes = fs.readFileSync(from);
      bytes.writeUInt32LE(subtype, 8);
      fs.writeFileSync(path.join(dir, name), bytes);
      return path.join(dir, name);
    };
    const x86_64h = variant(bundleX64, 8, 'fsevents-x86_64h.node');
    const arm64e = variant(bundleArm64, 2, 'fsevents-arm64e.node');
    assertSame(await both([arm64e, bundleX64, bundleArm64, x86_64h]));
    assertSame(await both([x86_64h, bundleArm64, arm64e, bundleX64]));
  });

  it('is executable when an input is, and leaves no temporary file', async () => {
    const out = path.join(dir, 'mode', 'hello');
    fs.mkdirSync(path.dirname(out));
    await writeUniversal([goArm64, goAmd64], out);
    assert.ok((fs.statSync(out).mode & 0o111) !== 0);
    assert.deepEqual(fs.readdirSync(path.dirname(out)), ['hello']);
  });
});

describe('builtin universal refuses unusable inputs with one line, writing nothing', () => {
  const refuses = async (inputs: string[], pattern: RegExp) => {
    const folder = fs.mkdtempSync(path.join(dir, 'refuse-'));
    const out = path.join(folder, 'out');
    fs.writeFileSync(out, 'before');
    await assert.rejects(writeUniversal(inputs, out), (error: Error) => {
      assert.ok(error instanceof InputError, `InputError, got ${error.name}: ${error.message}`);
      assert.match(error.message, pattern);
      assert.ok(!error.message.includes('\n'), 'one line');
      return true;
    });
    assert.equal(fs.readFileSync(out, 'utf8'), 'before', 'the output is untouched');
    assert.deepEqual(fs.readdirSync(folder), ['out'], 'no temporary file is left');
  };

  it('two inputs of one architecture (llvm-lipo refuses them too)', async () => {
    assert.throws(() => lipoCreate(path.join(dir, 'dup'), [goArm64, esbuildArm64]), /same architecture/);
    await refuses([goArm64, esbuildArm64], /have the same architecture arm64/);
    // A universal input's slices count as inputs.
    await refuses([fsevents, goAmd64], /have the same architecture x86_64/);
  });

  it('a file that is not Mach-O, a directory, a missing file, a truncated Mach-O', async () => {
    const text = path.join(dir, 'notes.txt');
    fs.writeFileSync(text, 'not a binary\n');
    await refuses([goArm64, text], /notes\.txt: not a Mach-O file/);
    await refuses([goArm64, dir], /not a regular file \(a directory\)/);
    await refuses([path.join(dir, 'missing')], /missing: no such file/);
    const truncated = path.join(dir, 'truncated');
    fs.writeFileSync(truncated, fs.readFileSync(goAmd64).subarray(0, 100));
    await refuses([truncated], /truncated/);
  });

  it('no inputs at all', async () => {
    await refuses([], /at least one input/);
  });

  it('an output folder that does not exist', async () => {
    await assert.rejects(writeUniversal([goArm64], path.join(dir, 'nowhere', 'out')), /cannot write/);
  });
});

describe('fat header form', () => {
  const slice = (cputype: number, size: number, align: number) => ({
    file: `f${cputype}`,
    inputOffset: 0,
    size,
    cputype,
    cpusubtype: 0,
    align,
    arch: String(cputype),
  });

  it('is FAT_MAGIC with 20-byte entries while offsets fit in 32 bits, FAT_MAGIC_64 with 32-byte entries after', () => {
    const small = planUniversal([slice(0x0100000c, 1000, 14), slice(0x01000007, 1000, 12)]);
    assert.equal(small.header.readUInt32BE(0), 0xcafebabe);
    assert.equal(small.header.length, 8 + 2 * 20);
    const huge = planUniversal([slice(0x01000007, 2 ** 32 + 10, 12), slice(0x0100000c, 1000, 14)]);
    assert.equal(huge.header.readUInt32BE(0), 0xcafebabf);
    assert.equal(huge.header.length, 8 + 2 * 32);
    // The arm64 slice starts at the first 2^14 boundary after the x86_64 slice.
    assert.equal(huge.entries[1].offset, Math.ceil((4096 + 2 ** 32 + 10) / 16384) * 16384);
    assert.equal(huge.header.readBigUInt64BE(8 + 32 + 8), BigInt(huge.entries[1].offset));
  });
});
