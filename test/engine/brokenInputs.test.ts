/**
 * Damaged and hostile inputs made from a real Go binary: each gives a precise finding (a broken signature, exit 1)
 * or a clear input error (exit 2), never a crash. Byte positions come from llvm-objdump and from the format's
 * definition, not from our parser.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { inspectPath } from '../../server/src/inspect';
import type { SliceReport } from '../../server/src/protocol';
import { CHILD_LIMIT } from '../support/bounds';
import { objdumpFacts } from '../support/oracle';
import { buildGo, lipoCreate, REPO, tempDir } from '../support/tools';

const dir = tempDir();
let original: Buffer;
let dataOffset: number;
let textSection: { offset: number; size: number };

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(REPO, 'dist', 'cli.js'), ...args], {
    ...CHILD_LIMIT,
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function variant(name: string, mutate: (b: Buffer) => Buffer): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, mutate(Buffer.from(original)));
  return file;
}

async function slice(file: string): Promise<SliceReport> {
  const result = await inspectPath(file);
  assert.deepEqual(result.errors, []);
  return result.reports[0].architectures[0];
}

/** Offset of the LC_CODE_SIGNATURE command: the 16 bytes {0x1d, 16, dataoff, datasize} little-endian. */
function codeSignatureCommand(b: Buffer): number {
  const needle = Buffer.alloc(12);
  needle.writeUInt32LE(0x1d, 0);
  needle.writeUInt32LE(16, 4);
  needle.writeUInt32LE(dataOffset, 8);
  const at = b.indexOf(needle);
  assert.ok(at > 0 && at < 65536);
  return at;
}

function expectOneLineError(r: { code: number | null; stderr: string }) {
  assert.equal(r.code, 2);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.doesNotMatch(r.stderr, /\n\s+at |Error:/);
}

before(() => {
  const file = buildGo('arm64', dir);
  original = fs.readFileSync(file);
  const facts = objdumpFacts(file);
  dataOffset = facts.codeSignature!.dataOffset;
  textSection = facts.sections.find((s) => s.sectname === '__text' && s.segname === '__TEXT')!;
});

describe('a modified page', () => {
  it('is named by index, offset, segment and section', async () => {
    const at = textSection.offset + 0x1234;
    const file = variant('flipped', (b) => {
      b[at] ^= 0xff;
      return b;
    });
    const s = await slice(file);
    assert.equal(s.verification.valid, false);
    assert.equal(s.verification.failures.length, 1);
    const f = s.verification.failures[0];
    assert.equal(f.code, 'page-mismatch');
    assert.equal(f.page, Math.floor(at / 4096));
    assert.equal(f.fileOffset, Math.floor(at / 4096) * 4096);
    assert.equal(f.segment, '__TEXT');
    assert.match(f.section ?? '', /__text/);
    const r = cli('verify', file);
    assert.equal(r.code, 1);
    assert.match(
      r.stdout,
      new RegExp(
        `page ${Math.floor(at / 4096)} \\(offset 0x${(Math.floor(at / 4096) * 4096).toString(16)}, __TEXT,__text\\)`,
      ),
    );
  });

  it('in the load commands is page 0', async () => {
    const file = variant('uuid-changed', (b) => {
      b[40] ^= 0x01; // inside the first load command (after the 32-byte header)
      return b;
    });
    const s = await slice(file);
    assert.deepEqual(
      s.verification.failures.map((f) => f.page),
      [0],
    );
    assert.match(s.verification.failures[0].section ?? '', /load commands/);
  });
});

describe('a damaged signature', () => {
  it('truncated: reported as truncated, exit 1', async () => {
    const file = variant('truncated-signature', (b) => b.subarray(0, dataOffset + 40));
    const s = await slice(file);
    assert.equal(s.verification.valid, false);
    assert.ok(s.verification.failures.some((f) => f.code === 'signature-truncated'));
    assert.equal(cli('verify', file).code, 1);
  });

  it('LC_CODE_SIGNATURE pointing past the end of the file', async () => {
    const file = variant('signature-past-end', (b) => {
      b.writeUInt32LE(b.length + 4096, codeSignatureCommand(b) + 8);
      return b;
    });
    const s = await slice(file);
    assert.ok(
      s.verification.failures.some((f) => f.code === 'signature-out-of-bounds'),
      JSON.stringify(s.verification.failures),
    );
    const r = cli('verify', file);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /past the end/);
  });

  it('a SuperBlob count that overflows', async () => {
    const file = variant('superblob-count', (b) => {
      b.writeUInt32BE(0xffffffff, dataOffset + 8);
      return b;
    });
    const s = await slice(file);
    assert.ok(s.verification.failures.some((f) => f.code === 'superblob-malformed'));
  });

  it('CodeDirectory slot counts and offsets that overflow', async () => {
    const cdAt = dataOffset + 20; // Go writes one index entry, so the CodeDirectory starts at offset 20
    for (const [field, value] of [
      [0x1c, 0xffffffff],
      [0x10, 0xfffffff0],
      [0x18, 0x7fffffff],
      [0x14, 0xffffffff],
    ] as const) {
      const file = variant(`cd-field-${field}`, (b) => {
        b.writeUInt32BE(value, cdAt + field);
        return b;
      });
      const s = await slice(file);
      assert.equal(s.verification.valid, false, `field 0x${field.toString(16)}`);
      assert.ok(
        s.verification.failures.some((f) => f.code === 'codedirectory-malformed'),
        JSON.stringify(s.verification.failures),
      );
    }
  });

  it('an index that overlaps its blobs', async () => {
    const file = variant('overlap', (b) => {
      // count 2: the index grows to 28 bytes, over the CodeDirectory at offset 20, whose header becomes entry 2
      b.writeUInt32BE(2, dataOffset + 8);
      return b;
    });
    const s = await slice(file);
    assert.equal(s.verification.valid, false);
    assert.ok(
      s.verification.failures.some((f) => f.code === 'superblob-malformed'),
      JSON.stringify(s.verification.failures),
    );
  });
});

describe('files that are not usable Mach-O files', () => {
  it('an empty file is an input error with one line on stderr', () => {
    const file = path.join(dir, 'empty');
    fs.writeFileSync(file, '');
    expectOneLineError(cli('verify', file));
    expectOneLineError(cli('inspect', file));
  });

  it('a text file', () => {
    const file = path.join(dir, 'notes.txt');
    fs.writeFileSync(file, 'just some text, not a binary\n');
    const r = cli('verify', file);
    expectOneLineError(r);
    assert.match(r.stderr, /not a Mach-O/);
  });

  it('a Java class file (same magic as a universal binary)', () => {
    const file = path.join(dir, 'Main.class');
    fs.writeFileSync(file, Buffer.from([0xca, 0xfe, 0xba, 0xbe, 0x00, 0x00, 0x00, 0x3d, 0, 0, 0, 0]));
    expectOneLineError(cli('verify', file));
  });

  it('a truncated header and load commands', () => {
    expectOneLineError(
      cli(
        'verify',
        variant('short-header', (b) => b.subarray(0, 20)),
      ),
    );
    expectOneLineError(
      cli(
        'verify',
        variant('short-commands', (b) => b.subarray(0, 200)),
      ),
    );
  });

  it('load-command counts and sizes that overflow', () => {
    expectOneLineError(
      cli(
        'verify',
        variant('ncmds', (b) => (b.writeUInt32LE(0xffffffff, 16), b)),
      ),
    );
    expectOneLineError(
      cli(
        'verify',
        variant('sizeofcmds', (b) => (b.writeUInt32LE(0xfffffff0, 20), b)),
      ),
    );
    expectOneLineError(
      cli(
        'verify',
        variant('cmdsize', (b) => (b.writeUInt32LE(0xfffffff8, 32 + 4), b)),
      ),
    );
  });

  it('a universal header whose slice lies outside the file', () => {
    const fat = lipoCreate(path.join(dir, 'fat'), [path.join(dir, 'hello-arm64')]);
    const bytes = fs.readFileSync(fat);
    bytes.writeUInt32BE(0xffffff00, 8 + 8); // first fat_arch offset
    const file = path.join(dir, 'fat-bad-offset');
    fs.writeFileSync(file, bytes);
    const r = cli('verify', file);
    expectOneLineError(r);
    assert.match(r.stderr, /outside the file/);
  });

  it('a missing path and a usage error', () => {
    expectOneLineError(cli('verify', path.join(dir, 'does-not-exist')));
    expectOneLineError(cli('frobnicate', 'x'));
    expectOneLineError(cli('verify'));
  });

  it('never modifies the input', async () => {
    const file = variant('untouched', (b) => b);
    const before = fs.statSync(file);
    cli('inspect', file);
    cli('verify', file);
    const after = fs.statSync(file);
    assert.equal(after.mtimeMs, before.mtimeMs);
    assert.ok(fs.readFileSync(file).equals(original));
  });
});

describe('LC_ENCRYPTION_INFO', () => {
  /** Rewrites the 24-byte LC_BUILD_VERSION command (Go writes it with no tools) into LC_ENCRYPTION_INFO_64 {cryptoff, cryptsize, cryptid 1}. */
  function encryptionCommand(b: Buffer, cryptoff: number, cryptsize: number): Buffer {
    let at = 32;
    for (let i = 0, n = b.readUInt32LE(16); i < n; i++, at += b.readUInt32LE(at + 4)) {
      if (b.readUInt32LE(at) !== 0x32 || b.readUInt32LE(at + 4) !== 24) continue;
      b.writeUInt32LE(0x2c, at);
      b.writeUInt32LE(cryptoff, at + 8);
      b.writeUInt32LE(cryptsize, at + 12);
      b.writeUInt32LE(1, at + 16);
      return b;
    }
    throw new Error('no 24-byte LC_BUILD_VERSION');
  }

  it('a load command turned into one cannot hide the change: the load commands are always checked', async () => {
    const s = await slice(variant('claims-encrypted', (b) => encryptionCommand(b, 0, b.length)));
    assert.equal(s.verification.valid, false);
    assert.deepEqual(
      s.verification.failures.map((f) => [f.code, f.page]),
      [['page-mismatch', 0]],
    );
  });

  it('pages inside a signed encrypted range are skipped with a note; the others are still checked', async () => {
    const plain = variant('encrypted-unsigned', (b) => encryptionCommand(b, 4 * 4096, 2 * 4096));
    const signed = path.join(dir, 'encrypted-signed');
    spawnSync(
      'python3',
      [path.join(REPO, 'test', 'support', 'adhoc_sign.py'), plain, signed, '--identifier', 'com.example.encrypted'],
      { ...CHILD_LIMIT, encoding: 'utf8' },
    );
    const intact = await slice(signed);
    assert.equal(intact.verification.valid, true, JSON.stringify(intact.verification.failures));
    assert.ok(
      intact.verification.warnings.some((w) => /2 pages are encrypted on disk/.test(w)),
      JSON.stringify(intact.verification.warnings),
    );
    const bytes = fs.readFileSync(signed);
    bytes[4 * 4096 + 100] ^= 1; // inside the encrypted range: its on-disk bytes are not what was hashed
    bytes[8 * 4096 + 100] ^= 1; // outside it
    const changed = path.join(dir, 'encrypted-changed');
    fs.writeFileSync(changed, bytes);
    const s = await slice(changed);
    assert.deepEqual(
      s.verification.failures.map((f) => [f.code, f.page]),
      [['page-mismatch', 8]],
    );
  });
});

describe('universal headers', () => {
  it('a slice at offset 0 is said to overlap the fat header', () => {
    const fat = lipoCreate(path.join(dir, 'fat-for-zero'), [path.join(dir, 'hello-arm64')]);
    const bytes = fs.readFileSync(fat);
    bytes.writeUInt32BE(0, 8 + 8); // first fat_arch offset (fat.h: cputype, cpusubtype, offset, size, align; big-endian)
    const file = path.join(dir, 'fat-offset-zero');
    fs.writeFileSync(file, bytes);
    const r = cli('verify', file);
    expectOneLineError(r);
    assert.match(
      r.stderr,
      /architecture 0 of the universal file \(offset 0\) overlaps the fat header, which ends at 28/,
    );
  });
});

describe('bytes appended after a thin Mach-O', () => {
  it('get a warning, signed or not, and leave the signature valid', async () => {
    const tail = Buffer.from('appended payload: not part of any segment');
    const signed = await slice(variant('appended-signed', (b) => Buffer.concat([b, tail])));
    assert.equal(signed.verification.valid, true);
    assert.ok(
      signed.verification.warnings.some((w) =>
        w.startsWith(`${tail.length} bytes follow the end of the Mach-O image (offset ${original.length})`),
      ),
      JSON.stringify(signed.verification.warnings),
    );
    const amd64 = fs.readFileSync(buildGo('amd64', dir)); // Go leaves darwin/amd64 unsigned
    const file = path.join(dir, 'appended-unsigned');
    fs.writeFileSync(file, Buffer.concat([amd64, tail]));
    const unsigned = await slice(file);
    assert.ok(
      unsigned.verification.warnings.some((w) =>
        w.startsWith(`${tail.length} bytes follow the end of the Mach-O image (offset ${amd64.length})`),
      ),
      JSON.stringify(unsigned.verification.warnings),
    );
    assert.match(cli('inspect', file).stdout, /note: \d+ bytes follow the end of the Mach-O image/);
  });
});
