/**
 * One test per verification rule, each on a real signature changed in exactly the way the rule is about, so that
 * removing the rule fails its test. Inputs: a Go darwin/arm64 binary (linker-signed), signatures written by
 * test/support/adhoc_sign.py, and the Developer ID signature of @sentry/cli-darwin. Positions come from llvm-objdump,
 * `openssl asn1parse` and the layouts in Apple's headers (cs_blobs.h), never from our parser.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { inspectPath } from '../../server/src/inspect';
import type { SliceReport } from '../../server/src/protocol';
import { objdumpFacts, universalOffsets } from '../support/oracle';
import { buildGo, npmPackage, REPO, tempDir } from '../support/tools';
import { CHILD_LIMIT } from '../support/bounds';
import { Asn1Element, opensslAsn1 } from '../support/oracle';

const dir = tempDir();
let go: Buffer;
let goSignature: number;

/** SuperBlob index of the signature at `at`: {slot, offset} big-endian pairs after magic, length and count. */
function blobIndex(b: Buffer, at: number): { slot: number; entry: number; blob: number }[] {
  return Array.from({ length: b.readUInt32BE(at + 8) }, (_, i) => ({
    slot: b.readUInt32BE(at + 12 + i * 8),
    entry: at + 12 + i * 8,
    blob: at + b.readUInt32BE(at + 16 + i * 8),
  }));
}

async function sliceOf(name: string, bytes: Buffer, arch?: string): Promise<SliceReport> {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  const result = await inspectPath(file);
  assert.deepEqual(result.errors, []);
  const slices = result.reports[0].architectures;
  return arch ? slices.find((s) => s.arch === arch)! : slices[0];
}

function failures(slice: SliceReport, code: string): string[] {
  assert.equal(slice.verification.valid, false, `${code}: the signature must be invalid`);
  return slice.verification.failures.filter((f) => f.code === code).map((f) => f.message);
}

/** Changes the Go binary's CodeDirectory (cs_blobs.h CS_CodeDirectory field offsets, big-endian). */
function goWithCodeDirectory(change: (b: Buffer, cd: number) => void): Buffer {
  const b = Buffer.from(go);
  change(b, blobIndex(b, goSignature).find((e) => e.slot === 0)!.blob);
  return b;
}

before(() => {
  const file = buildGo('arm64', dir);
  go = fs.readFileSync(file);
  goSignature = objdumpFacts(file).codeSignature!.dataOffset;
});

describe('rules on the CodeDirectory', () => {
  it('code-limit: a code limit that reaches into the signature', async () => {
    // Still the same number of 4 KiB pages (Go's signature offset is not within 16 bytes of a page end).
    assert.ok(goSignature % 4096 !== 0 && goSignature % 4096 < 4096 - 16);
    const slice = await sliceOf(
      'code-limit',
      goWithCodeDirectory((b, cd) => b.writeUInt32BE(goSignature + 16, cd + 0x20)),
    );
    assert.deepEqual(failures(slice, 'code-limit'), [
      `CodeDirectory: the code limit ${goSignature + 16} reaches into the signature at ${goSignature}`,
    ]);
  });

  const problems: [string, (b: Buffer, cd: number) => void, RegExp][] = [
    [
      'an unsupported version',
      (b, cd) => b.writeUInt32BE(0x10000, cd + 0x08),
      /unsupported CodeDirectory version 0x10000/,
    ],
    ['an unknown hash type', (b, cd) => (b[cd + 0x25] = 9), /unknown hash type 9/],
    [
      "a hash size that is not the hash type's",
      (b, cd) => (b[cd + 0x24] = 20),
      /hash size 20 does not match hash type sha256 \(32\)/,
    ],
    [
      'an identifier offset outside the CodeDirectory',
      (b, cd) => b.writeUInt32BE(0xfffffff0, cd + 0x14),
      /identifier is not a NUL-terminated string/,
    ],
    ['a scatter vector', (b, cd) => b.writeUInt32BE(0x40, cd + 0x2c), /scatter vectors are not supported/],
    ['an implausible page size', (b, cd) => (b[cd + 0x27] = 40), /page size 2\^40 is not plausible/],
    [
      'code slots that do not cover the code limit',
      (b, cd) => b.writeUInt32BE(b.readUInt32BE(cd + 0x1c) - 1, cd + 0x1c),
      /code slots do not cover the code limit/,
    ],
    [
      'a hash array outside the CodeDirectory',
      (b, cd) => b.writeUInt32BE(0xfffffff0, cd + 0x10),
      /the hash array .* does not fit/,
    ],
  ];
  for (const [what, change, message] of problems) {
    it(`codedirectory-malformed: ${what}`, async () => {
      const slice = await sliceOf(`cd-${what.replace(/\W+/g, '-')}`, goWithCodeDirectory(change));
      const found = failures(slice, 'codedirectory-malformed');
      assert.ok(
        found.some((m) => message.test(m)),
        JSON.stringify(slice.verification.failures),
      );
    });
  }

  it('no-codedirectory: a signature whose only CodeDirectory is indexed under another slot', async () => {
    const b = Buffer.from(go);
    b.writeUInt32BE(0x20, blobIndex(b, goSignature).find((e) => e.slot === 0)!.entry); // 0x20: a slot no one defines
    assert.deepEqual(failures(await sliceOf('no-cd', b), 'no-codedirectory'), ['the signature has no CodeDirectory']);
  });

  it('cms-missing: a CodeDirectory that is not ad-hoc, with no CMS signature', async () => {
    const slice = await sliceOf(
      'not-adhoc',
      goWithCodeDirectory((b, cd) => b.writeUInt32BE(b.readUInt32BE(cd + 0x0c) & ~0x2, cd + 0x0c)),
    );
    assert.equal(failures(slice, 'cms-missing').length, 1);
  });
});

describe('rules on the blobs', () => {
  const sign = (name: string, args: string[]) => {
    const input = path.join(dir, 'hello-arm64');
    const out = path.join(dir, name);
    execFileSync(
      'python3',
      [path.join(REPO, 'test', 'support', 'adhoc_sign.py'), input, out, '--identifier', 'com.example.rules', ...args],
      CHILD_LIMIT,
    );
    return fs.readFileSync(out);
  };

  it('codedirectory-duplicate: two CodeDirectories with one hash type (the kernel refuses them)', async () => {
    const slice = await sliceOf('duplicate', sign('duplicate-signed', ['--hashes', 'sha256,sha256']));
    assert.deepEqual(failures(slice, 'codedirectory-duplicate'), ['two CodeDirectories use hash type sha256']);
  });

  it('special-slot-mismatch and -missing: the Info.plist a signature seals (special slot 1)', async () => {
    const app = path.join(dir, 'Sealed.app', 'Contents');
    fs.mkdirSync(path.join(app, 'MacOS'), { recursive: true });
    const infoPlist = path.join(app, 'Info.plist');
    execFileSync(
      'python3',
      [
        '-c',
        'import plistlib,sys; plistlib.dump({"CFBundleExecutable": "hello", "CFBundleIdentifier": "com.example.rules"}, open(sys.argv[1],"wb"))',
        infoPlist,
      ],
      CHILD_LIMIT,
    );
    fs.writeFileSync(path.join(app, 'MacOS', 'hello'), sign('sealed-info', ['--info-plist', infoPlist]));
    const inspect = async () =>
      (await inspectPath(path.join(dir, 'Sealed.app'))).reports[0].architectures[0].verification;
    assert.deepEqual((await inspect()).failures, [], 'intact as signed');
    fs.appendFileSync(infoPlist, '\n');
    const changed = await inspect();
    assert.deepEqual(
      changed.failures.map((f) => [f.code, f.specialSlot]),
      [['special-slot-mismatch', 'Info.plist']],
    );
    // The same executable outside its bundle: no Info.plist (and no __info_plist section) to match the sealed hash.
    const bare = await sliceOf('sealed-info-bare', fs.readFileSync(path.join(app, 'MacOS', 'hello')));
    assert.deepEqual(failures(bare, 'special-slot-missing'), [
      'CodeDirectory: Info.plist is sealed by the signature but missing',
    ]);
  });

  it('special-slot-missing: a sealed entitlements blob that is no longer in the SuperBlob', async () => {
    const plist = path.join(dir, 'rules.plist');
    execFileSync(
      'python3',
      [
        '-c',
        'import plistlib,sys; plistlib.dump({"com.apple.security.cs.allow-jit": True}, open(sys.argv[1],"wb"))',
        plist,
      ],
      CHILD_LIMIT,
    );
    const b = sign('sealed-entitlements', ['--entitlements', plist]);
    const at = objdumpFacts(path.join(dir, 'sealed-entitlements')).codeSignature!.dataOffset;
    b.writeUInt32BE(0x30, blobIndex(b, at).find((e) => e.slot === 5)!.entry); // re-index the blob under an unused slot
    const slice = await sliceOf('missing-entitlements', b);
    assert.deepEqual(failures(slice, 'special-slot-missing'), [
      'CodeDirectory: the Entitlements blob is sealed but missing',
    ]);
  });
});

describe('rules on the CMS signature and its timestamp (@sentry/cli-darwin, arm64)', () => {
  let sentry: Buffer;
  let signature: number;
  let cms: number;

  /** `openssl asn1parse` of the CMS blob (or of the part of it starting at `from`). */
  function asn1(from = 0): Asn1Element[] {
    const file = path.join(dir, `asn1-${from}.der`);
    const length = sentry.readUInt32BE(cms - 4) - 8;
    fs.writeFileSync(file, sentry.subarray(cms + from, cms + length));
    return opensslAsn1(file).map((e) => ({ ...e, offset: from + e.offset }));
  }

  /** Where the timestamp token (a ContentInfo) starts inside the CMS blob. */
  function tokenStart(): number {
    const items = asn1();
    const attribute = items.findIndex((e) => e.type.endsWith(':id-smime-aa-timeStampToken'));
    return items.slice(attribute).find((e) => e.type === 'SEQUENCE')!.offset;
  }

  before(() => {
    const file = path.join(npmPackage('@sentry/cli-darwin@3.8.0'), 'bin', 'sentry-cli');
    sentry = fs.readFileSync(file);
    signature = universalOffsets(file).arm64 + objdumpFacts(file, 'arm64').codeSignature!.dataOffset;
    cms = blobIndex(sentry, signature).find((e) => e.slot === 0x10000)!.blob + 8;
  });

  it('cms-no-codedirectory: a CMS signature with no primary CodeDirectory to sign', async () => {
    const b = Buffer.from(sentry);
    b.writeUInt32BE(0x1004, blobIndex(b, signature).find((e) => e.slot === 0)!.entry); // now an alternate
    const slice = await sliceOf('cms-no-cd', b, 'arm64');
    assert.equal(failures(slice, 'cms-no-codedirectory').length, 1);
  });

  it('cms-no-signer: the signer identifier names no certificate the CMS carries', async () => {
    // SignerInfo ::= SEQUENCE { version, sid IssuerAndSerialNumber { issuer, serialNumber INTEGER }, ... } (depth 4, 5, 6)
    const items = asn1();
    const signerInfos = items.filter((e) => e.depth === 3 && e.type === 'SET').at(-1)!; // after digestAlgorithms, the last field
    const serial = items.find((e) => e.depth === 6 && e.type.startsWith('INTEGER') && e.offset > signerInfos.offset)!;
    const b = Buffer.from(sentry);
    b[cms + serial.offset + serial.header + serial.length - 1] ^= 0x01;
    const slice = await sliceOf('cms-no-signer', b, 'arm64');
    assert.deepEqual(failures(slice, 'cms-no-signer'), ['the certificate that made the CMS signature is not included']);
  });

  it("timestamp-signature: the time-stamp authority's own signature changed", async () => {
    const start = tokenStart();
    const tokenItems = asn1(start);
    // The token's SignerInfo signature: its last OCTET STRING (RFC 5652 SignerInfo ends with the signature value).
    const value = tokenItems.filter((e) => e.type.startsWith('OCTET STRING')).at(-1)!;
    const b = Buffer.from(sentry);
    b[cms + value.offset + value.header + 10] ^= 0x01;
    const slice = await sliceOf('timestamp-signature', b, 'arm64');
    assert.deepEqual(failures(slice, 'timestamp-signature'), ["the timestamp token's own signature does not verify"]);
  });

  it('timestamp-malformed: a token whose content is not a TSTInfo is a failure, and the CMS signer is still read', async () => {
    const start = tokenStart();
    const type = asn1(start).find((e) => e.type.endsWith(':id-smime-ct-TSTInfo'))!;
    const b = Buffer.from(sentry);
    b[cms + type.offset + type.header + type.length - 1] ^= 0x01;
    const slice = await sliceOf('timestamp-malformed', b, 'arm64');
    assert.equal(failures(slice, 'timestamp-malformed').length, 1);
    assert.equal(slice.signature?.certificates[0].commonName, 'Developer ID Application: GetSentry LLC (97JCY7859U)');
  });
});

describe('rules on the SuperBlob (cs_blobs.h: magic, length, count, then {type, offset} entries, all big-endian)', () => {
  const adhoc = () => {
    const out = path.join(dir, 'superblob-adhoc');
    execFileSync(
      'python3',
      [
        path.join(REPO, 'test', 'support', 'adhoc_sign.py'),
        path.join(dir, 'hello-arm64'),
        out,
        '--identifier',
        'com.example.rules',
      ],
      CHILD_LIMIT,
    );
    return { bytes: fs.readFileSync(out), at: objdumpFacts(out).codeSignature!.dataOffset };
  };
  const cases: [string, () => Buffer, RegExp][] = [
    [
      'a foreign magic',
      () => {
        const b = Buffer.from(go);
        b.writeUInt32BE(0xfade0b02, goSignature);
        return b;
      },
      /does not start with the embedded-signature magic \(found 0xfade0b02\)/,
    ],
    [
      'a length beyond LC_CODE_SIGNATURE',
      () => {
        const b = Buffer.from(go);
        b.writeUInt32BE(objdumpFacts(path.join(dir, 'hello-arm64')).codeSignature!.dataSize + 100, goSignature + 4);
        return b;
      },
      /the SuperBlob claims \d+ bytes but LC_CODE_SIGNATURE gives \d+/,
    ],
    [
      'an index larger than the SuperBlob',
      () => {
        const b = Buffer.from(go);
        b.writeUInt32BE(0x0fffffff, goSignature + 8);
        return b;
      },
      /the SuperBlob index \(268435455 entries\) does not fit/,
    ],
    [
      'a blob offset inside the index',
      () => {
        const b = Buffer.from(go);
        b.writeUInt32BE(8, blobIndex(b, goSignature)[0].entry + 4);
        return b;
      },
      /CodeDirectory blob offset 8 lies outside the SuperBlob/,
    ],
    [
      'a blob length past the SuperBlob',
      () => {
        const b = Buffer.from(go);
        b.writeUInt32BE(0x7fffffff, blobIndex(b, goSignature)[0].blob + 4);
        return b;
      },
      /CodeDirectory blob at offset 20 has length 2147483647, which runs past the SuperBlob/,
    ],
    [
      'a slot indexed twice',
      () => {
        const { bytes, at } = adhoc();
        bytes.writeUInt32BE(0, blobIndex(bytes, at).find((e) => e.slot === 2)!.entry);
        return bytes;
      },
      /CodeDirectory appears more than once in the SuperBlob/,
    ],
    [
      'two blobs that overlap',
      () => {
        const { bytes, at } = adhoc();
        const index = blobIndex(bytes, at);
        const cd = index.find((e) => e.slot === 0)!;
        bytes.writeUInt32BE(cd.blob - at, index.find((e) => e.slot === 2)!.entry + 4); // requirements where the CodeDirectory is
        return bytes;
      },
      /Requirements blob overlaps CodeDirectory blob/,
    ],
  ];
  for (const [what, make, message] of cases) {
    it(`superblob-malformed: ${what}`, async () => {
      const slice = await sliceOf(`superblob-${what.replace(/\W+/g, '-')}`, make());
      assert.ok(
        failures(slice, 'superblob-malformed').some((m) => message.test(m)),
        JSON.stringify(slice.verification.failures),
      );
    });
  }
});
