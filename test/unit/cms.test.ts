/**
 * CMS signatures made by OpenSSL with a self-made "Developer ID Application" certificate: parsed like Apple's, but
 * never trusted, because the chain does not reach the pinned Apple Root CA.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { certificateRole, classifySigner } from '../../server/src/macho/classify';
import { analyzeCms } from '../../server/src/macho/cms';
import { CHILD_LIMIT } from '../support/bounds';
import { prng, randomBytes } from '../support/random';
import { tempDir } from '../support/tools';
import { opensslAsn1, opensslCmsVerify } from '../support/oracle';

const dir = tempDir();
const file = (name: string) => path.join(dir, name);
const openssl = (...args: string[]) =>
  execFileSync('openssl', args, { ...CHILD_LIMIT, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
const rand = prng(0xc0de);
const codeDirectory = randomBytes(rand, 600);
/** When OpenSSL signed: the signing time it writes (UTCTime, whole seconds) falls between these two clock readings. */
const signed = { from: 0, until: 0 };

function makeChain(keyArgs: string[], prefix: string): void {
  openssl(
    'req',
    '-x509',
    '-newkey',
    ...keyArgs,
    '-nodes',
    '-keyout',
    `${prefix}ca.key`,
    '-out',
    `${prefix}ca.pem`,
    '-days',
    '30',
    '-subj',
    '/CN=Test Root CA/O=Test',
  );
  openssl(
    'req',
    '-newkey',
    ...keyArgs,
    '-nodes',
    '-keyout',
    `${prefix}leaf.key`,
    '-out',
    `${prefix}leaf.csr`,
    '-subj',
    '/UID=TEAM123456/CN=Developer ID Application: Test Corp (TEAM123456)/OU=TEAM123456/O=Test Corp/C=US',
  );
  fs.writeFileSync(
    file(`${prefix}ext.cnf`),
    'extendedKeyUsage=critical,codeSigning\n1.2.840.113635.100.6.1.13=critical,DER:0500\n',
  );
  openssl(
    'x509',
    '-req',
    '-in',
    `${prefix}leaf.csr`,
    '-CA',
    `${prefix}ca.pem`,
    '-CAkey',
    `${prefix}ca.key`,
    '-CAcreateserial',
    '-days',
    '30',
    '-extfile',
    `${prefix}ext.cnf`,
    '-out',
    `${prefix}leaf.pem`,
  );
  openssl(
    'cms',
    '-sign',
    '-binary',
    '-nosmimecap',
    '-md',
    'sha256',
    '-in',
    'cd.bin',
    '-signer',
    `${prefix}leaf.pem`,
    '-inkey',
    `${prefix}leaf.key`,
    '-certfile',
    `${prefix}ca.pem`,
    '-outform',
    'DER',
    '-out',
    `${prefix}cms.der`,
  );
}

before(() => {
  fs.writeFileSync(file('cd.bin'), codeDirectory);
  signed.from = Math.floor(Date.now() / 1000) * 1000;
  makeChain(['rsa:2048'], 'rsa-');
  makeChain(['ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'], 'ec-');
  signed.until = Date.now();
});

for (const kind of ['rsa', 'ec']) {
  describe(`a ${kind.toUpperCase()} signature from a self-made Developer ID certificate`, () => {
    const cms = () => fs.readFileSync(file(`${kind}-cms.der`));
    const digests = [{ slot: 0, hashType: 2, cdhashFull: Buffer.alloc(32) }];

    it('is parsed: leaf, team ID, Apple extension, signing time; the signature verifies', () => {
      const a = analyzeCms(cms(), codeDirectory, digests);
      assert.deepEqual(a.failures, []);
      assert.equal(a.signer?.commonName, 'Developer ID Application: Test Corp (TEAM123456)');
      assert.equal(a.signer?.teamId, 'TEAM123456');
      assert.ok(a.signer?.appleExtensions.includes('1.2.840.113635.100.6.1.13'));
      assert.deepEqual(
        a.certificates.map((c) => c.commonName),
        ['Developer ID Application: Test Corp (TEAM123456)', 'Test Root CA'],
      );
      const signingTime = Date.parse(a.signingTime ?? '');
      assert.ok(signingTime >= signed.from && signingTime <= signed.until, `${a.signingTime} is when OpenSSL signed`);
      assert.equal(a.timestamp, null);
    });

    it('claims Developer ID but is not trusted: the chain does not reach Apple Root CA', () => {
      const a = analyzeCms(cms(), codeDirectory, digests);
      assert.equal(a.chainToAppleRoot, false);
      assert.ok(a.warnings.some((w) => /Apple Root CA/.test(w)));
      assert.equal(certificateRole(a.signer!), 'developer-id-application');
      assert.equal(classifySigner(0x10000, a.signer, a.chainToAppleRoot), 'other');
    });

    it('detects a different CodeDirectory and a damaged signature', () => {
      const other = Buffer.from(codeDirectory);
      other[10] ^= 1;
      assert.deepEqual(
        analyzeCms(cms(), other, digests).failures.map((f) => f.code),
        ['cms-message-digest'],
      );
      const damaged = cms();
      damaged[damaged.length - 20] ^= 1; // inside the signature value, the last field of the only SignerInfo
      assert.deepEqual(
        analyzeCms(damaged, codeDirectory, digests).failures.map((f) => f.code),
        ['cms-signature'],
      );
    });

    it('never throws on truncated or random input', () => {
      const bytes = cms();
      for (let end = 0; end < bytes.length; end += 7) {
        const a = analyzeCms(bytes.subarray(0, end), codeDirectory, digests);
        assert.ok(a.failures.length > 0, `truncated at ${end}`);
      }
      for (let i = 0; i < 200; i++)
        assert.ok(analyzeCms(randomBytes(rand, 1 + (i % 300)), codeDirectory, digests).failures.length > 0);
    });
  });
}

/** `openssl asn1parse` of a DER file in the test folder. */
const asn1 = (der: string) => opensslAsn1(file(der));

describe('the certificates a CMS signature carries', () => {
  const digests = [{ slot: 0, hashType: 2, cdhashFull: Buffer.alloc(32) }];
  /** The carried certificates of rsa-cms.der and the offset of each one's signature BIT STRING. */
  const carried = () => {
    const items = asn1('rsa-cms.der');
    const field = items.find((e) => e.depth === 3 && e.type.startsWith('cont [ 0 ]'))!;
    return items
      .filter((e) => e.depth === 4 && e.offset > field.offset && e.offset < field.offset + field.header + field.length)
      .map((cert) => {
        const signature = items.find(
          (e) =>
            e.depth === 5 &&
            e.type === 'BIT STRING' &&
            e.offset > cert.offset &&
            e.offset < cert.offset + cert.header + cert.length,
        )!;
        const der = `carried-${cert.offset}.der`;
        fs.writeFileSync(file(der), cms().subarray(cert.offset, cert.offset + cert.header + cert.length));
        const subject = openssl(
          'x509',
          '-inform',
          'DER',
          '-in',
          der,
          '-noout',
          '-subject',
          '-nameopt',
          'multiline',
        ).toString();
        return { commonName: /commonName\s*=\s*(.*)/.exec(subject)![1].trim(), signature };
      });
  };
  const cms = () => fs.readFileSync(file('rsa-cms.der'));
  const opensslVerifies = (bytes: Buffer) =>
    opensslCmsVerify(bytes, fs.readFileSync(file('cd.bin')), file('rsa-ca.pem'), { ignoreCritical: true }).ok;

  it('a changed signature on any of them is a failure naming it, as OpenSSL refuses it', () => {
    assert.equal(opensslVerifies(cms()), true);
    const certificates = carried();
    assert.deepEqual(certificates.map((c) => c.commonName).sort(), [
      'Developer ID Application: Test Corp (TEAM123456)',
      'Test Root CA',
    ]);
    for (const { commonName, signature } of certificates) {
      const bytes = cms();
      bytes[signature.offset + signature.header + 20] ^= 0x01;
      if (commonName !== 'Test Root CA') assert.equal(opensslVerifies(bytes), false, commonName);
      const failures = analyzeCms(bytes, codeDirectory, digests).failures;
      assert.deepEqual(
        failures.map((f) => f.code),
        ['cms-certificate'],
        commonName,
      );
      assert.match(
        failures[0].message,
        new RegExp(`^the certificate "${commonName.replace(/[()]/g, '\\$&')}" in the CMS signature is damaged`),
      );
    }
  });

  it("a certificate OpenSSL cannot read is named in our words, not OpenSSL's", () => {
    const leaf = carried().find((c) => c.commonName.startsWith('Developer ID'))!;
    const bytes = cms();
    bytes[leaf.signature.offset + leaf.signature.header] = 0x09; // a BIT STRING cannot have 9 unused bits
    fs.writeFileSync(file('unreadable.der'), bytes);
    assert.throws(
      () => openssl('pkcs7', '-inform', 'DER', '-in', 'unreadable.der', '-print_certs'),
      'OpenSSL refuses it too',
    );
    const failures = analyzeCms(bytes, codeDirectory, digests).failures;
    assert.deepEqual(
      failures.map((f) => f.code),
      ['cms-malformed'],
    );
    assert.match(
      failures[0].message,
      /certificate \d of the CMS signature \("Developer ID Application: Test Corp \(TEAM123456\)"\) is not a valid X\.509 certificate/,
    );
    assert.doesNotMatch(failures[0].message, /routines|error:/);
  });

  it('a self-made root named "Apple Root CA" is not trusted: trust comes from Apple\'s key, not the name', () => {
    fs.writeFileSync(file('apple-name.cnf'), '[req]\ndistinguished_name = dn\nstring_mask = default\n[dn]\n');
    openssl(
      'req',
      '-config',
      'apple-name.cnf',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'fake-root.key',
      '-out',
      'fake-root.pem',
      '-days',
      '30',
      '-subj',
      '/C=US/O=Apple Inc./OU=Apple Certification Authority/CN=Apple Root CA',
    );
    openssl(
      'x509',
      '-req',
      '-in',
      'rsa-leaf.csr',
      '-CA',
      'fake-root.pem',
      '-CAkey',
      'fake-root.key',
      '-CAcreateserial',
      '-days',
      '30',
      '-extfile',
      'rsa-ext.cnf',
      '-out',
      'fake-leaf.pem',
    );
    openssl(
      'cms',
      '-sign',
      '-binary',
      '-nosmimecap',
      '-md',
      'sha256',
      '-in',
      'cd.bin',
      '-signer',
      'fake-leaf.pem',
      '-inkey',
      'rsa-leaf.key',
      '-certfile',
      'fake-root.pem',
      '-outform',
      'DER',
      '-out',
      'fake-cms.der',
    );
    const a = analyzeCms(fs.readFileSync(file('fake-cms.der')), codeDirectory, digests);
    assert.deepEqual(a.failures, [], 'intact, only untrusted');
    assert.equal(a.chainToAppleRoot, false);
    assert.equal(a.certificates.at(-1)?.commonName, 'Apple Root CA');
    assert.equal(a.certificates.at(-1)?.pinnedRoot, null);
    assert.equal(classifySigner(0x10000, a.signer, a.chainToAppleRoot), 'other');
  });
});
