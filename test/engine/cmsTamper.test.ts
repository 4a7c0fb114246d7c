/**
 * The CMS check on a real Developer ID signature (@sentry/cli-darwin), tampered with one byte at a time.
 *
 * Bytes are located without our parser: the fat header, SuperBlob index and CodeDirectory header are read with the
 * layouts Apple documents, and the signer's signature inside the CMS blob with `openssl asn1parse`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { inspectPath } from '../../server/src/inspect';
import type { SliceReport } from '../../server/src/protocol';
import { CHILD_LIMIT } from '../support/bounds';
import { npmPackage, tempDir } from '../support/tools';

const dir = tempDir();
let original: Buffer;
/** File offsets of the arm64 slice's blobs. */
let arm64: { slice: number; codeDirectory: number; cms: number; cmsLength: number };

function blobOffsets(bytes: Buffer, slice: number) {
  // LC_CODE_SIGNATURE: scan the slice's load commands (64-bit little-endian header: ncmds at 16, commands from 32).
  let at = slice + 32;
  let dataoff = -1;
  for (let i = 0, n = bytes.readUInt32LE(slice + 16); i < n; i++) {
    if (bytes.readUInt32LE(at) === 0x1d) dataoff = bytes.readUInt32LE(at + 8);
    at += bytes.readUInt32LE(at + 4);
  }
  const sb = slice + dataoff;
  const index = new Map<number, number>();
  for (let i = 0, n = bytes.readUInt32BE(sb + 8); i < n; i++) index.set(bytes.readUInt32BE(sb + 12 + i * 8), sb + bytes.readUInt32BE(sb + 16 + i * 8));
  const cms = index.get(0x10000)!;
  return { slice, codeDirectory: index.get(0)!, cms: cms + 8, cmsLength: bytes.readUInt32BE(cms + 4) - 8 };
}

function variant(name: string, mutate: (b: Buffer) => void): string {
  const bytes = Buffer.from(original);
  mutate(bytes);
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

async function arm64Slice(file: string): Promise<SliceReport> {
  const result = await inspectPath(file);
  assert.deepEqual(result.errors, []);
  return result.reports[0].architectures.find((s) => s.arch === 'arm64')!;
}

const codes = (s: SliceReport) => s.verification.failures.map((f) => f.code).sort();

before(() => {
  original = fs.readFileSync(path.join(npmPackage('@sentry/cli-darwin@3.8.0'), 'bin', 'sentry-cli'));
  const slices = [0, 1].map((i) => ({ cpu: original.readUInt32BE(8 + i * 20), offset: original.readUInt32BE(8 + i * 20 + 8) }));
  arm64 = blobOffsets(original, slices.find((s) => s.cpu === 0x0100000c)!.offset);
});

describe('CMS verification of a Developer ID signature', () => {
  it('a flipped byte in the signer\'s signature fails the signature and the timestamp imprint over it', async () => {
    const cmsFile = path.join(dir, 'cms.der');
    fs.writeFileSync(cmsFile, original.subarray(arm64.cms, arm64.cms + arm64.cmsLength));
    const parsed = execFileSync('openssl', ['asn1parse', '-inform', 'DER', '-in', cmsFile], { ...CHILD_LIMIT, encoding: 'utf8' });
    // The first 256-byte OCTET STRING is the outer RSA signature; the timestamp token's comes later, in unsignedAttrs.
    const line = parsed.split('\n').find((l) => /hl=4 l= 256 prim: OCTET STRING/.test(l))!;
    const [offset, headerLength] = [Number(line.trim().split(':')[0]), 4];
    const file = variant('bad-cms-signature', (b) => {
      b[arm64.cms + offset + headerLength + 100] ^= 0x01;
    });
    const slice = await arm64Slice(file);
    assert.deepEqual(codes(slice), ['cms-signature', 'timestamp-imprint']);
    assert.equal(slice.verification.pagesChecked > 0, true);
  });

  it('a changed CodeDirectory no longer matches the signed messageDigest and cdhashes', async () => {
    const identOffset = original.readUInt32BE(arm64.codeDirectory + 0x14);
    const file = variant('bad-cd', (b) => {
      b[arm64.codeDirectory + identOffset] ^= 0x20; // flip the case of the identifier's first letter
    });
    const slice = await arm64Slice(file);
    assert.ok(codes(slice).includes('cms-message-digest'), JSON.stringify(codes(slice)));
    assert.ok(codes(slice).includes('cms-hash-agility'), JSON.stringify(codes(slice)));
    assert.ok(!codes(slice).includes('page-mismatch'), 'the code pages are untouched');
  });

  it('an untouched copy is valid and chains to the pinned Apple Root CA', async () => {
    const slice = await arm64Slice(variant('untouched', () => {}));
    assert.deepEqual(slice.verification.failures, []);
    assert.equal(slice.signature?.chainToAppleRoot, true);
    assert.equal(slice.signature?.certificates.at(-1)?.pinnedRoot, 'Apple Root CA');
  });
});
