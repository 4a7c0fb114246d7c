/**
 * The builtin signer's CMS signature and secure timestamp, judged by independent tools:
 * - `openssl cms -verify` (trusting only the test root) accepts every CMS we write, RSA and ECDSA, with the
 *   CodeDirectory as detached content; `openssl ts -verify` accepts the embedded token over the signature value;
 * - `openssl cms -cmsout -print` shows the same structure as a real Developer ID signature by Apple's codesign
 *   (@sentry/cli-darwin 3.8.0): versions, algorithms, the signed attributes in the same order, the token;
 * - Python's plistlib reads the CDHashes plist; `openssl ts -query -text` reads the request we sent;
 * - our own reader (macho/cms.ts analyzeCms) finds the digest, both hash agility attributes and the timestamp valid.
 * The time-stamp authority is real `openssl ts -reply` (test/support/tsa.ts), also in its misbehaving variants.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { analyzeCms } from '../../server/src/macho/cms';
import { cdHashesPlist, cmsSizeEstimate, createCmsProducer } from '../../server/src/sign/cms';
import { loadP12File } from '../../server/src/sign/identity';
import { DEFAULT_TSA_URL, timestampUrlFromEnv } from '../../server/src/sign/timestamp';
import type { SignedCodeDirectory, SigningIdentity } from '../../server/src/sign/types';
import { CHILD_LIMIT } from '../support/bounds';
import { opensslAsn1, opensslCmsVerify } from '../support/oracle';
import { testPki } from '../support/testPki';
import { closedUrl, startTsa, Tsa } from '../support/tsa';
import { npmPackage, tempDir } from '../support/tools';
import { rejection } from '../support/rejection';

const dir = tempDir();
const pki = testPki();
let tsa: Tsa;
/** Apple's CMS blob content and CodeDirectory from the arm64 slice of a real Developer ID binary. */
let apple: { cms: Buffer; codeDirectory: Buffer };

/** The blobs of the first slice of a universal file, read with the layouts Apple documents (not our parser). */
function firstSliceBlobs(bytes: Buffer): Map<number, Buffer> {
  const slice = bytes.readUInt32BE(8 + 8);
  let at = slice + 32;
  let dataoff = -1;
  for (let i = 0, n = bytes.readUInt32LE(slice + 16); i < n; i++) {
    if (bytes.readUInt32LE(at) === 0x1d) dataoff = bytes.readUInt32LE(at + 8);
    at += bytes.readUInt32LE(at + 4);
  }
  const sb = slice + dataoff;
  const blobs = new Map<number, Buffer>();
  for (let i = 0, n = bytes.readUInt32BE(sb + 8); i < n; i++) {
    const start = sb + bytes.readUInt32BE(sb + 16 + i * 8);
    blobs.set(bytes.readUInt32BE(sb + 12 + i * 8), bytes.subarray(start, start + bytes.readUInt32BE(start + 4)));
  }
  return blobs;
}

function write(name: string, bytes: Buffer): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

function openssl(args: string[]): { code: number | null; out: string } {
  const r = spawnSync('openssl', args, { ...CHILD_LIMIT, encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

function cmsVerify(cms: Buffer, content: Buffer): { code: number; out: string } {
  const r = opensslCmsVerify(cms, content, pki.root.cert);
  return { code: r.ok ? 0 : 1, out: r.out };
}

/** The signature value and the timestamp token of a CMS, located by `openssl asn1parse`. */
function signatureAndToken(cms: Buffer): { signature: Buffer; token: Buffer | null } {
  const elements = opensslAsn1(write('parse.cms', cms));
  const attr = elements.findIndex((e) => e.type.endsWith(':id-smime-aa-timeStampToken'));
  const unsigned = attr > 0 ? elements[attr - 2] : null;
  const signerDepth = unsigned ? unsigned.depth : Math.max(...elements.map((e) => e.depth));
  const candidates = elements.filter(
    (e) =>
      e.type.startsWith('OCTET STRING') && (unsigned ? e.depth === signerDepth && e.offset < unsigned.offset : true),
  );
  const sig = candidates[candidates.length - 1];
  const signature = cms.subarray(sig.offset + sig.header, sig.offset + sig.header + sig.length);
  if (attr < 0) return { signature, token: null };
  const tokenElement = elements[attr + 2];
  return {
    signature,
    token: cms.subarray(tokenElement.offset, tokenElement.offset + tokenElement.header + tokenElement.length),
  };
}

/** What `openssl cms -cmsout -print` says of a CMS's structure, without values that differ per signer. */
function structure(cms: Buffer): string[] {
  const printed = execFileSync(
    'openssl',
    ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', write('print.cms', cms)],
    { ...CHILD_LIMIT, encoding: 'utf8' },
  );
  const signer = printed.slice(printed.indexOf('signerInfos:'));
  return [
    ...printed
      .slice(0, printed.indexOf('certificates:'))
      .split('\n')
      .filter((l) => /version:|algorithm:|parameter:|eContentType:|eContent:/.test(l)),
    ...signer.split('\n').filter((l) => /version:|d\.\w+:|algorithm:|parameter:|object:|Attrs:/.test(l)),
  ].map((l) => l.trim());
}

/** The signed attributes as `openssl asn1parse` reads them: depth and type of each element, values left out. */
function signedAttributeShapes(cms: Buffer): string[] {
  const elements = opensslAsn1(write('attrs.cms', cms));
  const first = elements.findIndex((e) => e.type.endsWith(':contentType'));
  const set = elements[first - 2];
  assert.ok(set.type.startsWith('cont [ 0 ]'), 'the signed attributes are [0] IMPLICIT');
  const end = set.offset + set.header + set.length;
  return elements
    .filter((e) => e.offset >= set.offset && e.offset < end)
    .map(
      (e) =>
        `${e.depth - set.depth}:${e.type.startsWith('OBJECT') ? e.type.replace(/\s+/g, ' ') : e.type.split(/\s*[:[]/)[0]}`,
    );
}

/** A second, SHA-1 CodeDirectory: what an alternate would be for an old deployment target (any bytes do for CMS). */
function codeDirectories(primary: Buffer): SignedCodeDirectory[] {
  return [
    { blob: primary, hash: 'sha256' },
    { blob: Buffer.concat([primary.subarray(0, 64), Buffer.from('alternate')]), hash: 'sha1' },
  ];
}

const HASH_TYPE = { sha1: 1, sha256: 2 } as const;

function digests(cds: SignedCodeDirectory[]) {
  return cds.map((cd, i) => ({
    slot: i === 0 ? 0 : 0x1000 + i - 1,
    hashType: HASH_TYPE[cd.hash],
    cdhashFull: createHash(cd.hash).update(cd.blob).digest(),
  }));
}

describe('CMS signature of the builtin signer', () => {
  let rsa: SigningIdentity;
  let ec: SigningIdentity;

  before(async () => {
    const blobs = firstSliceBlobs(
      fs.readFileSync(path.join(npmPackage('@sentry/cli-darwin@3.8.0'), 'bin', 'sentry-cli')),
    );
    apple = { cms: blobs.get(0x10000)!.subarray(8), codeDirectory: blobs.get(0)! };
    // Apple pads the blob with zeros after the DER; keep the DER only.
    apple.cms = apple.cms.subarray(0, 4 + apple.cms.readUInt16BE(2));
    rsa = loadP12File(pki.developerId.p12, pki.password);
    ec = loadP12File(pki.ec.p12, pki.password);
    tsa = await startTsa();
  });
  after(() => tsa?.stop());

  for (const [label, identity] of [
    ['RSA', () => rsa],
    ['ECDSA P-256', () => ec],
  ] as const) {
    it(`${label}: openssl cms -verify accepts it over the CodeDirectory, and openssl ts -verify the token`, async () => {
      const cds = codeDirectories(apple.codeDirectory);
      const cms = await createCmsProducer(identity(), { timestampUrl: tsa.url })(cds);
      const verified = cmsVerify(cms, cds[0].blob);
      assert.equal(verified.code, 0, verified.out);
      assert.match(verified.out, /Verification successful/);
      assert.ok(cms.length <= cmsSizeEstimate(identity(), cds.length, true), 'the reserved size suffices');
      assert.notEqual(cmsVerify(cms, cds[1].blob).code, 0, 'the CMS covers the primary CodeDirectory only');

      const { signature, token } = signatureAndToken(cms);
      assert.ok(token, 'a timestamp token');
      const ts = openssl([
        'ts',
        '-verify',
        '-in',
        write('token.der', token),
        '-token_in',
        '-data',
        write('signature.bin', signature),
        '-CAfile',
        pki.root.cert,
        '-untrusted',
        pki.tsa.cert,
      ]);
      assert.equal(ts.code, 0, ts.out);
      assert.match(ts.out, /Verification: OK/);

      const analysis = analyzeCms(cms, cds[0].blob, digests(cds));
      assert.deepEqual(analysis.failures, []);
      assert.equal(analysis.signer?.commonName, identity().commonName);
      assert.ok(analysis.timestamp?.imprintValid && analysis.timestamp.signatureValid, 'timestamp recognised');
      assert.equal(analysis.timestamp?.authority?.includes('Test Timestamp Authority'), true);
      assert.deepEqual(
        analysis.certificates.map((c) => c.commonName),
        [identity().commonName, 'Test Developer ID Certification Authority', 'Test Root CA'],
      );
    });
  }

  it('has the structure of Apple’s own: versions, algorithms, signed attributes in order, the token', async () => {
    const ours = await createCmsProducer(rsa, { timestampUrl: tsa.url })([
      { blob: apple.codeDirectory, hash: 'sha256' },
    ]);
    assert.deepEqual(structure(ours), structure(apple.cms));
    assert.deepEqual(signedAttributeShapes(ours), signedAttributeShapes(apple.cms));
    assert.ok(structure(ours).includes('object: undefined (1.2.840.113635.100.9.1)'));
  });

  it('the message digest and Apple’s hash agility attributes bind every CodeDirectory', async () => {
    const cds = codeDirectories(apple.codeDirectory);
    const when = new Date('2026-05-04T03:02:01Z');
    const cms = await createCmsProducer(rsa, { timestampUrl: null, signingTime: when })(cds);
    assert.equal(cmsVerify(cms, cds[0].blob).code, 0);
    const printed = execFileSync(
      'openssl',
      ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', write('p.cms', cms)],
      { ...CHILD_LIMIT, encoding: 'utf8' },
    );
    assert.match(printed, /UTCTIME:May {2}4 03:02:01 2026 GMT/);
    assert.doesNotMatch(printed, /timeStampToken/);
    // Python's plist reader on the 100.9.1 plist: each CodeDirectory's hash, truncated to 20 bytes, primary first.
    const listed = execFileSync(
      'python3',
      [
        '-c',
        'import plistlib,sys; print(" ".join(d.hex() for d in plistlib.loads(sys.stdin.buffer.read())["cdhashes"]))',
      ],
      { ...CHILD_LIMIT, input: cdHashesPlist(cds), encoding: 'utf8' },
    ).trim();
    assert.equal(listed, cds.map((cd) => createHash(cd.hash).update(cd.blob).digest('hex').slice(0, 40)).join(' '));
    assert.ok(cms.includes(cdHashesPlist(cds)), 'the plist is the attribute’s content');
    for (const cd of cds) assert.ok(cms.includes(createHash(cd.hash).update(cd.blob).digest()), 'full digest (v2)');

    const analysis = analyzeCms(cms, cds[0].blob, digests(cds));
    assert.deepEqual(analysis.failures, []);
    assert.equal(analysis.signingTime, when.toISOString());
    assert.equal(analysis.timestamp, null);
    // A CodeDirectory the attributes do not name is caught by the reader's hash agility check.
    const swapped = [cds[0], { blob: Buffer.from('another'), hash: 'sha1' as const }];
    assert.deepEqual(
      analyzeCms(cms, cds[0].blob, digests(swapped)).failures.map((f) => f.code),
      ['cms-hash-agility', 'cms-hash-agility'],
    );
  });

  it('the time-stamp request: SHA-256 of the signature value, a nonce, certReq (read by openssl ts -query)', async () => {
    const before = tsa.requests.length;
    const cms = await createCmsProducer(rsa, { timestampUrl: tsa.url })([
      { blob: apple.codeDirectory, hash: 'sha256' },
    ]);
    const request = tsa.requests[before];
    const text = execFileSync('openssl', ['ts', '-query', '-in', write('req.tsq', request), '-text'], {
      ...CHILD_LIMIT,
      encoding: 'utf8',
    });
    assert.match(text, /Version: 1/);
    assert.match(text, /Hash Algorithm: sha256/);
    assert.match(text, /Nonce: 0x[0-9A-F]+/);
    assert.match(text, /Certificate required: yes/);
    const hex = [...text.matchAll(/^\s*[0-9a-f]{4} - ((?:[0-9a-f]{2}[ -]){1,16})/gm)]
      .map((m) => m[1].replace(/[ -]/g, ''))
      .join('');
    const { signature } = signatureAndToken(cms);
    assert.equal(hex, createHash('sha256').update(signature).digest('hex'));
  });

  it('a time-stamp authority answering with another nonce is refused', async () => {
    const liar = await startTsa({ changeNonce: true });
    try {
      const message = await rejection(
        createCmsProducer(rsa, { timestampUrl: liar.url })([{ blob: apple.codeDirectory, hash: 'sha256' }]),
      );
      assert.match(message, /nonce that is not the request's/);
      assert.equal(liar.requests.length, 1);
    } finally {
      await liar.stop();
    }
  });

  it('a refusal by the time-stamp authority (openssl rejecting SHA-256) is one line with its status', async () => {
    const strict = await startTsa({ digests: 'sha1' });
    try {
      const message = await rejection(
        createCmsProducer(rsa, { timestampUrl: strict.url })([{ blob: apple.codeDirectory, hash: 'sha256' }]),
      );
      assert.match(message, /refused the request: status 2 \(rejection\)/);
    } finally {
      await strict.stop();
    }
  });

  it('an unreachable time-stamp authority is one line naming it, without credentials in the URL', async () => {
    const url = await closedUrl();
    const withCredentials = url.replace('http://', 'http://user:secret@');
    const message = await rejection(
      createCmsProducer(rsa, { timestampUrl: withCredentials })([{ blob: apple.codeDirectory, hash: 'sha256' }]),
    );
    assert.match(message, /cannot be reached \(ECONNREFUSED\)/);
    assert.ok(!message.includes('secret'));
  });

  it('the time-stamp authority is Apple’s unless GO_MACOS_SIGN_TSA_URL says otherwise', () => {
    assert.equal(timestampUrlFromEnv({}), 'http://timestamp.apple.com/ts01');
    assert.equal(DEFAULT_TSA_URL, 'http://timestamp.apple.com/ts01');
    assert.equal(timestampUrlFromEnv({ GO_MACOS_SIGN_TSA_URL: 'http://127.0.0.1:9/ts' }), 'http://127.0.0.1:9/ts');
  });
});
