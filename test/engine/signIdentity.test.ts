/**
 * Loading the builtin signer's identity from the files users have: .p12 files as OpenSSL 3 writes them by default
 * (AES) and with `-legacy` (3DES / RC2-40, as Keychain Access writes them), and PEM key + certificate + chain, all
 * made by the openssl CLI (test/support/testPki.ts). Expectations come from openssl: the leaf's DER is the PEM
 * certificate's, the chain is what openssl was given. Every refusal is one line that never shows the password.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { InputError } from '../../server/src/errors';
import { readCertificateDer } from '../../server/src/macho/certificate';
import {
  checkValidity,
  completeChain,
  loadP12,
  loadP12File,
  loadPemFiles,
  requireApplicationSigning,
} from '../../server/src/sign/identity';
import { prng } from '../support/random';
import { npmPackage, run, tempDir } from '../support/tools';
import { TEST_TEAM, TestLeaf, testPki } from '../support/testPki';

const pki = testPki();

/** The DER of a PEM certificate, as openssl converts it. */
function opensslDer(file: string): Buffer {
  const out = `${file}.der`;
  run('openssl', ['x509', '-in', file, '-outform', 'DER', '-out', out]);
  return fs.readFileSync(out);
}

/** The one-line InputError `fn` throws. */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`);
    assert.doesNotMatch(error.message, /\n/);
    assert.ok(!error.message.includes(pki.password), 'the message shows the password');
    return error.message;
  }
  assert.fail('no error');
}

const LEAVES: [string, TestLeaf, string][] = [
  ['Developer ID Application (RSA)', pki.developerId, 'developer-id-application'],
  ['Developer ID Application (ECDSA P-256)', pki.ec, 'developer-id-application'],
  ['Apple Development', pki.development, 'apple-development'],
  ['Developer ID Installer', pki.installer, 'developer-id-installer'],
];

describe('signing identity', () => {
  for (const [label, leaf, kind] of LEAVES) {
    const variants: [string, () => ReturnType<typeof loadP12File>][] = [
      ['p12 (OpenSSL 3 default, AES)', () => loadP12File(leaf.p12, pki.password)],
      ['PEM key, certificate and chain', () => loadPemFiles(leaf.key, leaf.cert, pki.chain)],
    ];
    if (leaf.p12Legacy) variants.push(['p12 -legacy (3DES, RC2-40)', () => loadP12File(leaf.p12Legacy!, pki.password)]);
    for (const [form, load] of variants) {
      it(`${label} from ${form}: leaf, chain issuer first, key, team, kind`, () => {
        const identity = load();
        assert.ok(identity.certificate.equals(opensslDer(leaf.cert)));
        assert.deepEqual(identity.chain, [opensslDer(pki.intermediate.cert), opensslDer(pki.root.cert)]);
        assert.equal(identity.teamId, TEST_TEAM);
        assert.equal(identity.commonName, leaf.commonName);
        assert.equal(identity.kind, kind);
        assert.equal(identity.privateKey.asymmetricKeyType, leaf === pki.ec ? 'ec' : 'rsa');
      });
    }
  }

  it('the p12 bytes can be given directly, named in messages by the caller', () => {
    const bytes = fs.readFileSync(pki.developerId.p12);
    assert.equal(loadP12(bytes, pki.password).kind, 'developer-id-application');
    assert.equal(
      refusal(() => loadP12(bytes, 'nope', { name: 'my.p12' })),
      'the password does not open my.p12',
    );
  });

  it('a wrong password is one line naming the file, for both p12 forms', () => {
    for (const file of [pki.developerId.p12, pki.developerId.p12Legacy].filter((f): f is string => !!f)) {
      assert.equal(
        refusal(() => loadP12File(file, `${pki.password}x`)),
        `the password does not open ${file}`,
      );
    }
  });

  it('a p12 without a private key, or without a certificate, says so', () => {
    assert.match(
      refusal(() => loadP12File(pki.p12NoKey, pki.password)),
      /holds no private key/,
    );
    assert.match(
      refusal(() => loadP12File(pki.p12NoCert, pki.password)),
      /holds no certificate/,
    );
  });

  it('a file that is not PKCS#12 says so', () => {
    assert.match(
      refusal(() => loadP12(Buffer.from('not a p12'), pki.password, { name: 'x.p12' })),
      /x\.p12/,
    );
  });

  it('a key that is not the certificate’s is refused', () => {
    assert.match(
      refusal(() => loadPemFiles(pki.ec.key, pki.developerId.cert, pki.chain)),
      /private key .* does not belong to the certificate "Developer ID Application: Test Org \(97JCY7859U\)"/,
    );
  });

  it('an expired certificate is refused with its notAfter, as openssl reads it', () => {
    const notAfter = new Date(
      run('openssl', ['x509', '-in', pki.expired.cert, '-noout', '-enddate']).replace('notAfter=', '').trim(),
    );
    const message = refusal(() => loadP12File(pki.expired.p12, pki.password));
    assert.match(message, /expired/);
    assert.ok(message.includes(notAfter.toISOString()), message);
  });

  it('a certificate not valid yet is refused with its notBefore', () => {
    const notBefore = new Date(
      run('openssl', ['x509', '-in', pki.developerId.cert, '-noout', '-startdate']).replace('notBefore=', '').trim(),
    );
    const early = new Date(notBefore.getTime() - 86_400_000);
    const message = refusal(() => loadP12File(pki.developerId.p12, pki.password, early));
    assert.match(message, /not valid yet/);
    assert.ok(message.includes(notBefore.toISOString()), message);
    const identity = loadP12File(pki.developerId.p12, pki.password);
    assert.match(
      refusal(() => checkValidity(identity, early)),
      /not valid yet/,
    );
  });

  it('an application needs a Developer ID Application certificate: other Apple kinds are named and refused', () => {
    const now = new Date();
    requireApplicationSigning(loadP12File(pki.developerId.p12, pki.password), now);
    requireApplicationSigning(loadP12File(pki.ec.p12, pki.password), now);
    const development = refusal(() =>
      requireApplicationSigning(loadPemFiles(pki.development.key, pki.development.cert), now),
    );
    assert.match(development, /"Apple Development: Test Person \(AB12CD34EF\)" is an Apple Development certificate/);
    assert.match(development, /"Developer ID Application: Test Org \(97JCY7859U\)"/);
    const installer = refusal(() =>
      requireApplicationSigning(loadPemFiles(pki.installer.key, pki.installer.cert), now),
    );
    assert.match(installer, /is a Developer ID Installer certificate/);
  });

  it('a leaf alone is completed with Apple’s chain: the same certificates Apple’s codesign embedded', () => {
    // The certificates of a real Developer ID signature (@sentry/cli-darwin), extracted by openssl.
    const dir = tempDir();
    const binary = fs.readFileSync(path.join(npmPackage('@sentry/cli-darwin@3.8.0'), 'bin', 'sentry-cli'));
    const slice = binary.readUInt32BE(16);
    let at = slice + 32;
    let dataoff = 0;
    for (let i = 0, n = binary.readUInt32LE(slice + 16); i < n; i++) {
      if (binary.readUInt32LE(at) === 0x1d) dataoff = binary.readUInt32LE(at + 8);
      at += binary.readUInt32LE(at + 4);
    }
    const sb = slice + dataoff;
    let cms = Buffer.alloc(0);
    for (let i = 0, n = binary.readUInt32BE(sb + 8); i < n; i++) {
      if (binary.readUInt32BE(sb + 12 + i * 8) !== 0x10000) continue;
      const start = sb + binary.readUInt32BE(sb + 16 + i * 8);
      cms = binary.subarray(start + 8, start + binary.readUInt32BE(start + 4));
    }
    fs.writeFileSync(path.join(dir, 'apple.cms'), cms);
    const pems = run('openssl', ['pkcs7', '-inform', 'DER', '-in', path.join(dir, 'apple.cms'), '-print_certs'])
      .split(/(?=-----BEGIN CERTIFICATE-----)/)
      .filter((p) => p.includes('BEGIN CERTIFICATE'))
      .map((pem, i) => {
        const file = path.join(dir, `c${i}.pem`);
        fs.writeFileSync(file, pem);
        return opensslDer(file);
      });
    const subjects = pems.map((der) => readCertificateDer(der, 'apple').info.commonName ?? '');
    const leaf = pems[subjects.findIndex((s) => s.startsWith('Developer ID Application:'))];
    const expected = ['Developer ID Certification Authority', 'Apple Root CA'].map((cn) => pems[subjects.indexOf(cn)]);
    const chain = completeChain(readCertificateDer(leaf, 'leaf'), []).map((c) => c.der);
    assert.equal(chain.length, 2);
    assert.ok(chain[0].equals(expected[0]), 'Developer ID Certification Authority');
    assert.ok(chain[1].equals(expected[1]), 'Apple Root CA');
    // A chain given up to the intermediate gets the root only; a test chain gets nothing of Apple's.
    const partial = completeChain(readCertificateDer(leaf, 'leaf'), [readCertificateDer(expected[0], 'ca')]);
    assert.deepEqual(
      partial.map((c) => c.info.commonName),
      ['Developer ID Certification Authority', 'Apple Root CA'],
    );
    assert.equal(loadPemFiles(pki.developerId.key, pki.developerId.cert).chain.length, 0);
  });

  it('a damaged .p12 (seeded, both forms) is an identity or one InputError line, never another exception', () => {
    const rand = prng(7);
    for (const file of [pki.developerId.p12, pki.ec.p12Legacy ?? pki.ec.p12]) {
      const original = fs.readFileSync(file);
      for (let i = 0; i < 150; i++) {
        const damaged = Buffer.from(original);
        const at = Math.floor(rand() * damaged.length);
        damaged[at] ^= 1 << Math.floor(rand() * 8);
        const input = i % 3 === 0 ? damaged.subarray(0, at) : damaged;
        try {
          loadP12(input, pki.password, { name: 'damaged.p12' });
        } catch (error) {
          assert.ok(error instanceof InputError, `damage ${i} at ${at}: ${String(error)}`);
          assert.doesNotMatch(error.message, /\n/);
          assert.ok(!error.message.includes(pki.password));
        }
      }
    }
  });
});
