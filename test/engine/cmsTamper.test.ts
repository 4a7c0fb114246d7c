/**
 * The CMS check on a real Developer ID signature (@sentry/cli-darwin), tampered with one byte at a time.
 *
 * Bytes are located without our parser: the fat header, SuperBlob index and CodeDirectory header are read with the
 * layouts Apple documents, and the parts of the CMS blob (signatures, certificates, the timestamp token) with
 * `openssl asn1parse`. Whether a tampered certificate breaks the signature is asked of OpenSSL (`openssl cms -verify`,
 * `openssl ts -verify`, `openssl verify`), trusting only Apple Root CA as Apple publishes its fingerprint.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { inspectPath } from '../../server/src/inspect';
import { analyzeCms } from '../../server/src/macho/cms';
import type { InspectReport, SliceReport } from '../../server/src/protocol';
import { CHILD_LIMIT } from '../support/bounds';
import { npmPackage, runCli, tempDir } from '../support/tools';
import { opensslAsn1 } from '../support/oracle';

const dir = tempDir();
let original: Buffer;
/** File offsets of the arm64 slice's blobs. */
let arm64: { slice: number; codeDirectory: number; cms: number; cmsLength: number };
/** Apple Root CA's SHA-256 fingerprint as Apple publishes it (https://www.apple.com/certificateauthority/). */
const APPLE_ROOT_SHA256 =
  'B0:B1:73:0E:CB:C7:FF:45:05:14:2C:49:F1:29:5E:6E:DA:6B:CA:ED:7E:2C:68:C5:BE:91:B5:A1:10:01:F0:24';

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
  for (let i = 0, n = bytes.readUInt32BE(sb + 8); i < n; i++)
    index.set(bytes.readUInt32BE(sb + 12 + i * 8), sb + bytes.readUInt32BE(sb + 16 + i * 8));
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
  const slices = [0, 1].map((i) => ({
    cpu: original.readUInt32BE(8 + i * 20),
    offset: original.readUInt32BE(8 + i * 20 + 8),
  }));
  arm64 = blobOffsets(original, slices.find((s) => s.cpu === 0x0100000c)!.offset);
});

describe('CMS verification of a Developer ID signature', () => {
  it("a flipped byte in the signer's signature fails the signature and the timestamp imprint over it", async () => {
    const cmsFile = path.join(dir, 'cms.der');
    fs.writeFileSync(cmsFile, original.subarray(arm64.cms, arm64.cms + arm64.cmsLength));
    const parsed = execFileSync('openssl', ['asn1parse', '-inform', 'DER', '-in', cmsFile], {
      ...CHILD_LIMIT,
      encoding: 'utf8',
    });
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

  it('the signed cdhash lists (hash agility v1 and v2) are each checked against the CodeDirectories present', () => {
    const cms = original.subarray(arm64.cms, arm64.cms + arm64.cmsLength);
    const cd = original.subarray(
      arm64.codeDirectory,
      arm64.codeDirectory + original.readUInt32BE(arm64.codeDirectory + 4),
    );
    assert.equal(cd[0x25], 2, 'one SHA-256 CodeDirectory (cs_blobs.h hashType at 0x25)');
    const primary = { slot: 0, hashType: 2, cdhashFull: createHash('sha256').update(cd).digest() };
    const codes = (digests: (typeof primary)[]) =>
      analyzeCms(cms, cd, digests, new Date()).failures.map((f) => f.message);
    assert.deepEqual(codes([primary]), []);
    // An extra SHA-384 CodeDirectory: absent from v1's list; v2 has no SHA-384 entry, which Security tolerates.
    const extra = { slot: 0x1000, hashType: 4, cdhashFull: createHash('sha384').update(cd).digest() };
    assert.deepEqual(codes([primary, extra]), [
      'the signed list of cdhashes (hash agility v1) does not match the CodeDirectories present',
    ]);
    // A cdhash that differs only after its first 20 bytes: v1 holds truncated cdhashes, v2 the whole digest.
    const late = { ...primary, cdhashFull: Buffer.from(primary.cdhashFull) };
    late.cdhashFull[25] ^= 0x01;
    assert.deepEqual(codes([late]), [
      'the signed cdhash for the CodeDirectory in slot 0x0 (hash agility v2) does not match it',
    ]);
  });

  it('an untouched copy is valid and chains to the pinned Apple Root CA', async () => {
    const slice = await arm64Slice(variant('untouched', () => {}));
    assert.deepEqual(slice.verification.failures, []);
    assert.equal(slice.signature?.chainToAppleRoot, true);
    assert.equal(slice.signature?.certificates.at(-1)?.pinnedRoot, 'Apple Root CA');
  });
});

// ---- certificates: every certificate the CMS and its timestamp token carry, body and signature

/** `openssl asn1parse` of a DER file, one element per line. */
const asn1 = opensslAsn1;

interface CarriedCertificate {
  commonName: string;
  /** Offsets inside the SignedData file: the certificate, a byte of its public key, a byte of its signature. */
  start: number;
  end: number;
  keyByte: number;
  signatureByte: number;
  /** The last character of the issuer Name (a letter in every Apple name): the issuer a certificate claims. */
  issuerNameByte: number;
}

/** The certificates field ([0] right after encapContentInfo) of a SignedData ContentInfo in `file`. */
function carriedCertificates(file: string): CarriedCertificate[] {
  const items = asn1(file);
  const field = items.find((e) => e.depth === 3 && e.type.startsWith('cont [ 0 ]'))!;
  const bytes = fs.readFileSync(file);
  return items
    .filter((e) => e.depth === 4 && e.offset > field.offset && e.offset < field.offset + field.header + field.length)
    .map((cert) => {
      const end = cert.offset + cert.header + cert.length;
      const inside = items.filter((e) => e.offset > cert.offset && e.offset < end);
      const key = inside.find((e) => e.depth === 7 && e.type === 'BIT STRING')!;
      const tbsFields = inside.filter((e) => e.depth === 6);
      const issuer = tbsFields[tbsFields[0].type.startsWith('cont [ 0 ]') ? 3 : 2]; // [0] version, serial, signature, issuer
      const issuerNameByte = issuer.offset + issuer.header + issuer.length - 1;
      assert.match(String.fromCharCode(bytes[issuerNameByte]), /[A-Za-z]/);
      const signature = inside.find((e) => e.depth === 5 && e.type === 'BIT STRING')!;
      const der = path.join(dir, `cert-${cert.offset}.der`);
      fs.writeFileSync(der, bytes.subarray(cert.offset, end));
      const subject = execFileSync(
        'openssl',
        ['x509', '-inform', 'DER', '-in', der, '-noout', '-subject', '-nameopt', 'multiline'],
        { ...CHILD_LIMIT, encoding: 'utf8' },
      );
      return {
        commonName: /commonName\s*=\s*(.*)/.exec(subject)![1].trim(),
        start: cert.offset,
        end,
        keyByte: key.offset + key.header + Math.floor(key.length / 2),
        signatureByte: signature.offset + signature.header + Math.floor(signature.length / 2),
        issuerNameByte,
      };
    });
}

const openssl = (args: string[]) => spawnSync('openssl', args, { ...CHILD_LIMIT, encoding: 'utf8', cwd: dir });

const cli = runCli;

describe('a changed byte in a certificate the signature carries breaks the signature', () => {
  const files = { cms: '', codeDirectory: '', root: '', token: '', tokenImprint: '', tokenTime: 0 };
  let outer: CarriedCertificate[];
  let timestamp: CarriedCertificate[];
  let tokenOffset: number;

  before(() => {
    files.cms = path.join(dir, 'outer-cms.der');
    fs.writeFileSync(files.cms, original.subarray(arm64.cms, arm64.cms + arm64.cmsLength));
    files.codeDirectory = path.join(dir, 'code-directory.bin');
    fs.writeFileSync(
      files.codeDirectory,
      original.subarray(arm64.codeDirectory, arm64.codeDirectory + original.readUInt32BE(arm64.codeDirectory + 4)),
    );
    outer = carriedCertificates(files.cms);
    // The trust anchor: the carried Apple Root CA, accepted only because its fingerprint is the one Apple publishes.
    const root = outer.find((c) => c.commonName === 'Apple Root CA')!;
    files.root = path.join(dir, 'apple-root.pem');
    execFileSync(
      'openssl',
      ['x509', '-inform', 'DER', '-in', path.join(dir, `cert-${root.start}.der`), '-out', files.root],
      CHILD_LIMIT,
    );
    assert.match(
      execFileSync('openssl', ['x509', '-in', files.root, '-noout', '-fingerprint', '-sha256'], {
        ...CHILD_LIMIT,
        encoding: 'utf8',
      }),
      new RegExp(APPLE_ROOT_SHA256),
    );
    // The RFC 3161 token: the SignedData after the id-smime-aa-timeStampToken attribute type.
    const items = asn1(files.cms);
    const attribute = items.findIndex((e) => e.type.endsWith(':id-smime-aa-timeStampToken'));
    const token = items.slice(attribute).find((e) => e.type === 'SEQUENCE')!;
    tokenOffset = token.offset;
    files.token = path.join(dir, 'token.der');
    fs.writeFileSync(
      files.token,
      original.subarray(arm64.cms + token.offset, arm64.cms + token.offset + token.header + token.length),
    );
    timestamp = carriedCertificates(files.token);
    const text = execFileSync('openssl', ['ts', '-reply', '-token_in', '-token_out', '-in', files.token, '-text'], {
      ...CHILD_LIMIT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const hash = /Hash Algorithm: (\S+)/.exec(text)![1];
    files.tokenTime = Math.floor(Date.parse(/Time stamp: (.*)/.exec(text)![1]) / 1000);
    const signatureLine = items.find((e) => e.depth === 5 && e.type.startsWith('OCTET STRING') && e.length === 256)!; // the signer's RSA signature
    const signature = original.subarray(
      arm64.cms + signatureLine.offset + signatureLine.header,
      arm64.cms + signatureLine.offset + signatureLine.header + 256,
    );
    files.tokenImprint = createHash(hash).update(signature).digest('hex');
  });

  /** OpenSSL's verdict on the outer CMS (content: the CodeDirectory), trusting only the pinned Apple Root CA. */
  function opensslCmsAccepts(cms: Buffer): boolean {
    const file = path.join(dir, 'candidate-cms.der');
    fs.writeFileSync(file, cms);
    // Apple's certificate extensions are critical and unknown to OpenSSL; its own purpose checks are not codesign's.
    return (
      openssl([
        'cms',
        '-verify',
        '-binary',
        '-inform',
        'DER',
        '-in',
        file,
        '-content',
        files.codeDirectory,
        '-CAfile',
        files.root,
        '-purpose',
        'any',
        '-ignore_critical',
        '-out',
        '/dev/null',
      ]).status === 0
    );
  }

  function opensslTsAccepts(token: Buffer): boolean {
    const file = path.join(dir, 'candidate-token.der');
    fs.writeFileSync(file, token);
    return (
      openssl([
        'ts',
        '-verify',
        '-token_in',
        '-in',
        file,
        '-digest',
        files.tokenImprint,
        '-CAfile',
        files.root,
        '-attime',
        String(files.tokenTime),
      ]).status === 0
    );
  }

  /** A root is never what OpenSSL trusts from the message; its own check is that its self-signature holds. */
  function opensslSelfSignatureHolds(cert: Buffer): boolean {
    const der = path.join(dir, 'candidate-root.der');
    const pem = path.join(dir, 'candidate-root.pem');
    fs.writeFileSync(der, cert);
    if (openssl(['x509', '-inform', 'DER', '-in', der, '-out', pem]).status !== 0) return false;
    return openssl(['verify', '-check_ss_sig', '-CAfile', pem, pem]).status === 0;
  }

  it('OpenSSL accepts the untouched CMS and timestamp token (the oracle works)', () => {
    assert.equal(opensslCmsAccepts(fs.readFileSync(files.cms)), true);
    assert.equal(opensslTsAccepts(fs.readFileSync(files.token)), true);
    assert.deepEqual(outer.map((c) => c.commonName).sort(), [
      'Apple Root CA',
      'Developer ID Application: GetSentry LLC (97JCY7859U)',
      'Developer ID Certification Authority',
    ]);
    assert.deepEqual(timestamp.map((c) => c.commonName).sort(), [
      'Apple Root CA',
      'Apple Timestamp Certification Authority',
      'Timestamp Signer ST1',
    ]);
  });

  for (const part of ['keyByte', 'issuerNameByte', 'signatureByte'] as const) {
    const what = { keyByte: 'body (public key)', issuerNameByte: 'issuer name', signatureByte: 'signature' }[part];
    const flip = part === 'issuerNameByte' ? 0x20 : 0x01; // a letter's case: the name stays a valid string
    it(`in the CMS signature: a certificate's ${what}`, async () => {
      for (const cert of outer) {
        const cms = Buffer.from(original.subarray(arm64.cms, arm64.cms + arm64.cmsLength));
        cms[cert[part]] ^= flip;
        const refused =
          cert.commonName === 'Apple Root CA'
            ? !opensslSelfSignatureHolds(cms.subarray(cert.start, cert.end))
            : !opensslCmsAccepts(cms);
        assert.equal(refused, true, `OpenSSL refuses a changed ${cert.commonName}`);
        const file = variant(`cert-${part}-${cert.start}`, (b) => {
          b[arm64.cms + cert[part]] ^= flip;
        });
        const slice = await arm64Slice(file);
        assert.equal(slice.verification.valid, false, cert.commonName);
        const named = slice.verification.failures.filter(
          (f) => f.code === 'cms-certificate' && f.message.startsWith(`the certificate "${cert.commonName}" `),
        );
        assert.equal(named.length, 1, `${cert.commonName}: ${JSON.stringify(slice.verification.failures)}`);
      }
    });

    it(`in the timestamp token: a certificate's ${what}`, async () => {
      for (const cert of timestamp) {
        const token = Buffer.from(fs.readFileSync(files.token));
        token[cert[part]] ^= flip;
        const refused =
          cert.commonName === 'Apple Root CA'
            ? !opensslSelfSignatureHolds(token.subarray(cert.start, cert.end))
            : !opensslTsAccepts(token);
        assert.equal(refused, true, `OpenSSL refuses a changed ${cert.commonName}`);
        const file = variant(`ts-cert-${part}-${cert.start}`, (b) => {
          b[arm64.cms + tokenOffset + cert[part]] ^= flip;
        });
        const report = (await inspectPath(file)).reports[0];
        const slice = report.architectures.find((s) => s.arch === 'arm64')!;
        assert.equal(slice.verification.valid, false, cert.commonName);
        assert.ok(
          slice.verification.failures.some(
            (f) => f.code === 'timestamp-certificate' && f.message.startsWith(`the certificate "${cert.commonName}" `),
          ),
          `${cert.commonName}: ${JSON.stringify(slice.verification.failures)}`,
        );
        const secure = checkOf(report, 'signature/secure-timestamp');
        assert.equal(secure.status, 'fail', `${cert.commonName}: ${secure.message}`);
        assert.match(secure.message, /arm64: .*timestamp/);
        assert.ok(
          !slice.verification.warnings.some((w) => /not issued by Apple/.test(w)),
          'a damaged token is not "someone else\'s" token',
        );
      }
    });
  }

  it('verify exits 1 and names the damaged certificate, in the CMS and in the timestamp token', () => {
    const leaf = outer.find((c) => c.commonName.startsWith('Developer ID Application'))!;
    const cms = cli(
      'verify',
      variant('cli-leaf', (b) => void (b[arm64.cms + leaf.signatureByte] ^= 0x01)),
    );
    assert.equal(cms.code, 1, cms.stdout + cms.stderr);
    assert.match(
      cms.stdout,
      /\(arm64\): INVALID: the certificate "Developer ID Application: GetSentry LLC \(97JCY7859U\)" in the CMS signature is damaged/,
    );
    assert.match(cms.stdout, /\(x86_64\): valid developer-id-application signature/);
    const tsa = timestamp.find((c) => c.commonName === 'Timestamp Signer ST1')!;
    const token = cli(
      'verify',
      variant('cli-tsa', (b) => void (b[arm64.cms + tokenOffset + tsa.keyByte] ^= 0x01)),
    );
    assert.equal(token.code, 1, token.stdout + token.stderr);
    assert.match(token.stdout, /\(arm64\): INVALID: .*"Timestamp Signer ST1" in the timestamp token is damaged/);
    assert.doesNotMatch(cms.stdout + token.stdout + cms.stderr + token.stderr, /error:[0-9A-F]{8}|routines/);
  });
});

const checkOf = (report: InspectReport, id: string) => report.checks.find((c) => c.id === id)!;
