/**
 * A test public-key infrastructure made by the openssl CLI at test time (once per process, in a temporary directory):
 * a root CA, an intermediate carrying Apple's Developer ID CA marker (1.2.840.113635.100.6.2.6), leaves shaped like
 * Apple's (Developer ID Application, Apple Development, Developer ID Installer, an expired one, an ECDSA P-256 one), and
 * a time-stamp authority certificate issued by the root. Each leaf comes as PEM key and certificate and as .p12 files:
 * OpenSSL 3's default (PBES2, AES-256, SHA-256 MAC) and, where this openssl has the legacy provider, `-legacy`
 * (3DES key, RC2-40 certificates, SHA-1 MAC), as macOS Keychain Access writes them.
 *
 * Apple marks its leaf extensions (1.2.840.113635.100.6.1.13) critical; here they are not, so that OpenSSL, which
 * knows none of them, accepts the chain in `openssl cms -verify` without `-ignore_critical`.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CHILD_LIMIT } from './bounds';
import { run, tempDir } from './tools';

export const TEST_TEAM = '97JCY7859U';

export interface TestLeaf {
  key: string;
  cert: string;
  /** OpenSSL 3's default PKCS#12 (AES-256-CBC, PBKDF2 with HMAC-SHA-256, SHA-256 MAC). */
  p12: string;
  /** `openssl pkcs12 -legacy` (3DES key, RC2-40 certificates, SHA-1 MAC), or null without the legacy provider. */
  p12Legacy: string | null;
  commonName: string;
}

export interface TestPki {
  dir: string;
  /** The password of every .p12 here (random per process, so tests can check it never shows). */
  password: string;
  root: { key: string; cert: string };
  intermediate: { key: string; cert: string };
  /** intermediate then root, PEM. */
  chain: string;
  developerId: TestLeaf;
  development: TestLeaf;
  installer: TestLeaf;
  expired: TestLeaf;
  ec: TestLeaf;
  tsa: { key: string; cert: string };
  /** PKCS#12 files that hold only the certificates, only the key. */
  p12NoKey: string;
  p12NoCert: string;
}

const CONFIG = `
[ ca ]
default_ca = test_ca
[ test_ca ]
dir = DIR
database = $dir/index.txt
new_certs_dir = $dir/issued
serial = $dir/serial
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
email_in_dn = no
[ any ]
countryName = optional
organizationName = optional
organizationalUnitName = optional
commonName = supplied
userId = optional
[ req ]
distinguished_name = dn
[ dn ]
[ root ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ intermediate ]
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
1.2.840.113635.100.6.2.6 = ASN1:NULL
[ developer_id ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = critical, codeSigning
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
1.2.840.113635.100.6.1.13 = ASN1:NULL
[ development ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = critical, codeSigning
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
1.2.840.113635.100.6.1.2 = ASN1:NULL
1.2.840.113635.100.6.1.12 = ASN1:NULL
[ installer ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = critical, 1.2.840.113635.100.4.13
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
1.2.840.113635.100.6.1.14 = ASN1:NULL
[ tsa ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

let cached: TestPki | undefined;

export function testPki(): TestPki {
  cached ??= makePki();
  return cached;
}

function makePki(): TestPki {
  const dir = tempDir('gms-pki-');
  const file = (name: string) => path.join(dir, name);
  fs.mkdirSync(file('issued'));
  fs.writeFileSync(file('index.txt'), '');
  fs.writeFileSync(file('serial'), `${randomBytes(8).toString('hex').replace(/^./, '1')}\n`);
  fs.writeFileSync(file('openssl.cnf'), CONFIG.replace('DIR', dir));
  const password = `pw-${randomBytes(6).toString('hex')}`;
  const cnf = file('openssl.cnf');

  const rsaKey = (name: string) => {
    run('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', file(name)]);
    return file(name);
  };
  const ecKey = (name: string) => {
    run('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file(name)]);
    return file(name);
  };
  /** Signs `name`'s request with the CA `issuer` (or itself), extensions from config section `section`. */
  const issue = (
    name: string,
    key: string,
    subject: string,
    section: string,
    issuer: { key: string; cert: string } | null,
    dates: { start: string; end: string } = { start: '20200101000000Z', end: '20491231000000Z' },
  ) => {
    const csr = file(`${name}.csr`);
    run('openssl', ['req', '-new', '-config', cnf, '-key', key, '-subj', subject, '-out', csr]);
    const cert = file(`${name}.pem`);
    const signer = issuer ? ['-cert', issuer.cert, '-keyfile', issuer.key] : ['-selfsign', '-keyfile', key];
    run('openssl', [
      'ca',
      '-batch',
      '-notext',
      '-config',
      cnf,
      ...signer,
      '-extensions',
      section,
      '-startdate',
      dates.start,
      '-enddate',
      dates.end,
      '-in',
      csr,
      '-out',
      cert,
    ]);
    return cert;
  };

  const rootKey = rsaKey('root.key');
  const root = { key: rootKey, cert: issue('root', rootKey, '/C=US/O=Test PKI/CN=Test Root CA', 'root', null) };
  const intermediateKey = rsaKey('intermediate.key');
  const intermediate = {
    key: intermediateKey,
    cert: issue(
      'intermediate',
      intermediateKey,
      '/C=US/O=Test PKI/OU=Test Certification Authority/CN=Test Developer ID Certification Authority',
      'intermediate',
      root,
    ),
  };
  const chain = file('chain.pem');
  fs.writeFileSync(chain, fs.readFileSync(intermediate.cert, 'utf8') + fs.readFileSync(root.cert, 'utf8'));
  const legacy = hasLegacyProvider();

  const leaf = (
    name: string,
    commonName: string,
    section: string,
    options: { ec?: boolean; dates?: { start: string; end: string } } = {},
  ): TestLeaf => {
    const key = options.ec ? ecKey(`${name}.key`) : rsaKey(`${name}.key`);
    const subject = `/UID=${TEST_TEAM}/CN=${commonName}/OU=${TEST_TEAM}/O=Test Org/C=US`;
    const cert = issue(name, key, subject, section, intermediate, options.dates);
    const p12 = file(`${name}.p12`);
    const exportArgs = ['pkcs12', '-export', '-inkey', key, '-in', cert, '-certfile', chain];
    run('openssl', [...exportArgs, '-passout', `pass:${password}`, '-out', p12]);
    let p12Legacy: string | null = null;
    if (legacy) {
      p12Legacy = file(`${name}-legacy.p12`);
      run('openssl', [...exportArgs, '-legacy', '-passout', `pass:${password}`, '-out', p12Legacy]);
    }
    return { key, cert, p12, p12Legacy, commonName };
  };

  const developerId = leaf('developer-id', `Developer ID Application: Test Org (${TEST_TEAM})`, 'developer_id');
  const development = leaf('development', 'Apple Development: Test Person (AB12CD34EF)', 'development');
  const installer = leaf('installer', `Developer ID Installer: Test Org (${TEST_TEAM})`, 'installer');
  const expired = leaf('expired', `Developer ID Application: Test Org (${TEST_TEAM})`, 'developer_id', {
    dates: { start: '20200101000000Z', end: '20210101000000Z' },
  });
  const ec = leaf('ec', `Developer ID Application: Test Org EC (${TEST_TEAM})`, 'developer_id', { ec: true });

  const tsaKey = rsaKey('tsa.key');
  const tsa = { key: tsaKey, cert: issue('tsa', tsaKey, '/C=US/O=Test PKI/CN=Test Timestamp Authority', 'tsa', root) };

  const p12NoKey = file('no-key.p12');
  run('openssl', [
    'pkcs12',
    '-export',
    '-nokeys',
    '-in',
    developerId.cert,
    '-passout',
    `pass:${password}`,
    '-out',
    p12NoKey,
  ]);
  const p12NoCert = file('no-cert.p12');
  run('openssl', [
    'pkcs12',
    '-export',
    '-nocerts',
    '-inkey',
    developerId.key,
    '-passout',
    `pass:${password}`,
    '-out',
    p12NoCert,
  ]);

  return {
    dir,
    password,
    root,
    intermediate,
    chain,
    developerId,
    development,
    installer,
    expired,
    ec,
    tsa,
    p12NoKey,
    p12NoCert,
  };
}

function hasLegacyProvider(): boolean {
  try {
    return /active/.test(run('openssl', ['list', '-providers', '-provider', 'legacy']));
  } catch {
    return false;
  }
}

/** A certificate and key made by openssl in `dir`, as files and bytes, with its SHA-1 fingerprint (hex, lower case). */
export interface OpensslCertificate {
  der: Buffer;
  pem: string;
  key: string;
  /** `${dir}/${name}`: pass it as another certificate's `issuer`. */
  path: string;
  sha1: string;
}

/**
 * One certificate of an exact shape, made by openssl: self-signed, or issued by `issuer` (another one's `path`), with
 * extra `-addext` extensions. testPki() gives the usual chain; this is for tests (and benchmarks) that need one more.
 */
export function opensslCertificate(
  dir: string,
  name: string,
  subject: string,
  options: { extensions?: string[]; issuer?: string } = {},
): OpensslCertificate {
  const openssl = (args: string[]) => execFileSync('openssl', args, { ...CHILD_LIMIT, stdio: 'pipe' });
  const key = path.join(dir, `${name}.key`);
  const pem = path.join(dir, `${name}.pem`);
  const extensions = (options.extensions ?? []).flatMap((e) => ['-addext', e]);
  if (!options.issuer) {
    openssl([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      pem,
      '-days',
      '30',
      '-subj',
      subject,
      ...extensions,
    ]);
  } else {
    const csr = path.join(dir, `${name}.csr`);
    openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', subject]);
    const ca = ['-CA', `${options.issuer}.pem`, '-CAkey', `${options.issuer}.key`, '-CAcreateserial'];
    openssl(['x509', '-req', '-in', csr, ...ca, '-out', pem, '-days', '30']);
  }
  const der = openssl(['x509', '-in', pem, '-outform', 'DER']);
  const fingerprint = String(openssl(['x509', '-in', pem, '-noout', '-fingerprint', '-sha1']));
  const sha1 = fingerprint.split('=')[1].trim().replace(/:/g, '').toLowerCase();
  return { der, pem, key, path: path.join(dir, name), sha1 };
}
