/**
 * Loads the identity the builtin signer signs with: a PKCS#12 file and its password, or a PEM private key with its PEM
 * certificate (and optionally the PEM chain above it).
 *
 * Contract:
 * - The result is a SigningIdentity: the leaf's DER exactly as the file holds it, the certificates above it ordered
 *   issuer first (the ones that link by name and signature, completed with Apple's Developer ID intermediates and
 *   root when the file stops short of them, then any others as given), node:crypto's private key,
 *   the team id (the leaf subject's OU), its common name and its kind (Apple's certificate extension OIDs).
 * - Everything a user can fix is an InputError of one line: a password that does not open the file, a file without a
 *   key or a certificate, a key that is not the certificate's, a certificate outside its validity period. No message
 *   ever contains the password or key material.
 * - Files are read through fileAccess.ts.
 *
 * PKCS#12 is decrypted by node-forge: node:crypto cannot read it, and a .p12 exported by OpenSSL 3 (PBES2 with
 * AES-256 and a SHA-256 MAC), by `openssl pkcs12 -legacy` or by macOS Keychain Access (3DES and RC2-40, SHA-1 MAC) all
 * need ciphers forge implements in JavaScript (OpenSSL 3, and so node, only has RC2 in its legacy provider). Only
 * forge's ASN.1 of the key and certificates is kept; keys become node:crypto KeyObjects and certificates are read by
 * macho/certificate.ts.
 */
import { createPrivateKey, createPublicKey, KeyObject, X509Certificate } from 'node:crypto';
import type * as Forge from 'node-forge';
import { InputError } from '../errors';
import { readFileBounded, readTextBounded } from '../fileAccess';
import { Certificate, holds, isCryptoFailure, readCertificateDer } from '../macho/certificate';
import { APPLE_PINNED, APPLE_ROOTS } from '../macho/appleRoots';
import { appleCertificateKind } from '../macho/classify';
import { name, nameAttribute, readNode } from '../macho/der';
import { APPLE_INTERMEDIATES } from './appleIntermediates';
import type { CertificateKind, SigningIdentity } from './types';

/** What each kind is called in messages, as Apple's developer portal names the certificate types. */
export const KIND_NAMES: Record<CertificateKind, string> = {
  'developer-id-application': 'Developer ID Application',
  'developer-id-installer': 'Developer ID Installer',
  'apple-development': 'Apple Development',
  'apple-distribution': 'Apple Distribution',
  'mac-installer-distribution': 'Mac Installer Distribution',
  other: 'non-Apple',
};

export interface LoadOptions {
  /** How the file is named in messages (its path). */
  name?: string;
  /** The moment the certificate must be valid at; default now. */
  now?: Date;
}

/**
 * node-forge, loaded on first use: initialising it costs tens of milliseconds, which every other command of the CLI
 * (verify above all) would otherwise pay at start-up.
 */
function nodeForge(): typeof Forge {
  return require('node-forge') as typeof Forge;
}

export function certificateKind(appleExtensions: string[]): CertificateKind {
  return appleCertificateKind(appleExtensions) ?? 'other';
}

/** Loads a PKCS#12 file's identity. `bytes` are the file's contents. */
export function loadP12(bytes: Uint8Array, password: string, options: LoadOptions = {}): SigningIdentity {
  const file = options.name ?? 'the PKCS#12 file';
  const forge = nodeForge();
  let pfx: Forge.asn1.Asn1;
  try {
    pfx = forge.asn1.fromDer(forge.util.createBuffer(Buffer.from(bytes).toString('binary')), false);
  } catch {
    throw new InputError(`${file} is not a PKCS#12 (.p12) file`);
  }
  let p12: Forge.pkcs12.Pkcs12Pfx;
  try {
    p12 = forge.pkcs12.pkcs12FromAsn1(pfx, false, password);
  } catch (error) {
    const message = error instanceof Error ? error.message : '';
    // forge says "Invalid password?" when the MAC does not verify and "wrong password?" when a key does not decrypt;
    // any other refusal is about the file's structure. Neither message may carry the password, so neither is shown.
    if (/password/i.test(message)) throw new InputError(`the password does not open ${file}`);
    throw new InputError(`${file} cannot be read as PKCS#12 (an unsupported or damaged file)`);
  }
  const keys: Buffer[] = [];
  const certificates: Buffer[] = [];
  for (const safeContents of p12.safeContents) {
    for (const bag of safeContents.safeBags) {
      if (bag.type === forge.pki.oids.pkcs8ShroudedKeyBag || bag.type === forge.pki.oids.keyBag) {
        // An RSA key forge understood comes back as its own object; any other (EC) as the PrivateKeyInfo's ASN.1.
        const info = bag.key
          ? forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(bag.key as Forge.pki.rsa.PrivateKey))
          : bag.asn1;
        if (info) keys.push(Buffer.from(forge.asn1.toDer(info).getBytes(), 'binary'));
      } else if (bag.type === forge.pki.oids.certBag) {
        const asn1 = bag.cert ? forge.pki.certificateToAsn1(bag.cert) : bag.asn1;
        if (asn1) certificates.push(Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary'));
      }
    }
  }
  if (keys.length === 0) throw new InputError(`${file} holds no private key (export the identity with its key)`);
  if (certificates.length === 0) throw new InputError(`${file} holds no certificate`);
  const privateKey = privateKeyFromDer(keys[0], file);
  // The leaf is the certificate whose public key is the private key's; the others are its chain.
  const parsed = certificates.map((der, i) => readCertificateDer(der, `certificate ${i + 1} of ${file}`));
  const leaf = parsed.find((c) => keyMatches(privateKey, c.x509));
  if (!leaf) {
    throw new InputError(`the private key in ${file} does not belong to ${certificateName(parsed[0])}`);
  }
  return identityFrom(
    leaf,
    parsed.filter((c) => c !== leaf),
    privateKey,
    options.now,
  );
}

/** Loads a PKCS#12 file from disk. */
export function loadP12File(file: string, password: string, now?: Date): SigningIdentity {
  return loadP12(readFileBounded(file), password, { name: file, now });
}

/**
 * Loads a PEM private key (PKCS#8, PKCS#1 or SEC 1, not encrypted) and PEM certificates: the first certificate of
 * `certificate` is the leaf; any further ones, then those of `chain`, are its chain.
 */
export function loadPem(key: string, certificate: string, chain?: string, options: LoadOptions = {}): SigningIdentity {
  const what = options.name ?? 'the PEM files';
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,ENCRYPTED/.test(key)) {
    throw new InputError(`the private key of ${what} is encrypted: give it decrypted, or use a .p12 file`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key, format: 'pem' });
  } catch (error) {
    if (!isCryptoFailure(error)) throw error;
    throw new InputError(`the private key of ${what} cannot be read (expected a PEM private key)`);
  }
  const certificates = pemCertificates(certificate);
  if (certificates.length === 0) throw new InputError(`the certificate of ${what} holds no PEM certificate`);
  const others = chain === undefined ? [] : pemCertificates(chain);
  if (chain !== undefined && others.length === 0) throw new InputError(`the chain of ${what} holds no PEM certificate`);
  const parsed = [...certificates, ...others].map((der, i) =>
    readCertificateDer(der, `certificate ${i + 1} of ${what}`),
  );
  const [leaf, ...rest] = parsed;
  if (!keyMatches(privateKey, leaf.x509)) {
    throw new InputError(`the private key of ${what} does not belong to ${certificateName(leaf)}`);
  }
  return identityFrom(leaf, rest, privateKey, options.now);
}

/** Loads PEM files from disk. */
export function loadPemFiles(
  keyFile: string,
  certificateFile: string,
  chainFile?: string,
  now?: Date,
): SigningIdentity {
  return loadPem(
    readTextBounded(keyFile),
    readTextBounded(certificateFile),
    chainFile === undefined ? undefined : readTextBounded(chainFile),
    { name: `${keyFile} and ${certificateFile}`, now },
  );
}

/** Throws unless the leaf certificate is valid at `now`. */
export function checkValidity(identity: SigningIdentity, now: Date = new Date()): void {
  checkCertificateValidity(readCertificateDer(identity.certificate, 'the signing certificate'), now);
}

/**
 * Throws unless the identity can sign an application for distribution with Developer ID: a valid certificate of kind
 * Developer ID Application. A certificate Apple did not issue (`other`, such as a company's own CA) passes: the caller
 * decides what to say about it; an Apple certificate of another kind cannot be notarized and is refused.
 */
export function requireApplicationSigning(identity: SigningIdentity, now: Date = new Date()): void {
  checkValidity(identity, now);
  if (identity.kind === 'developer-id-application' || identity.kind === 'other') return;
  const cert = readCertificateDer(identity.certificate, 'the signing certificate');
  const organization = nameAttribute(name(cert.subjectRaw, readNode(cert.subjectRaw, 0)), '2.5.4.10');
  const wanted = `Developer ID Application: ${organization ?? 'NAME'} (${identity.teamId ?? 'TEAM'})`;
  throw new InputError(
    `"${identity.commonName}" is ${article(KIND_NAMES[identity.kind])} ${KIND_NAMES[identity.kind]} certificate: ` +
      `an application distributed outside the Mac App Store must be signed with a Developer ID Application ` +
      `certificate ("${wanted}")`,
  );
}

function article(word: string): string {
  return /^[AEIOU]/.test(word) ? 'an' : 'a';
}

function certificateName(cert: Certificate): string {
  return `the certificate "${cert.info.commonName ?? cert.info.subject}"`;
}

function checkCertificateValidity(cert: Certificate, now: Date): void {
  if (now < new Date(cert.notBefore)) {
    throw new InputError(`${certificateName(cert)} is not valid yet: its validity begins ${cert.notBefore}`);
  }
  if (now > new Date(cert.notAfter)) {
    throw new InputError(`${certificateName(cert)} expired on ${cert.notAfter}`);
  }
}

function identityFrom(leaf: Certificate, others: Certificate[], privateKey: KeyObject, now?: Date): SigningIdentity {
  checkCertificateValidity(leaf, now ?? new Date());
  return {
    certificate: leaf.der,
    chain: completeChain(leaf, others).map((c) => c.der),
    privateKey,
    teamId: leaf.info.teamId,
    commonName: leaf.info.commonName ?? leaf.info.subject,
    kind: certificateKind(leaf.info.appleExtensions),
  };
}

/**
 * The chain above `leaf`, issuer first: the given certificates as far as names and signatures link, completed with
 * Apple's Developer ID intermediates and Apple Root CA when the given ones stop short of them (a .p12 exported by
 * Keychain Access holds the leaf alone; codesign completes the chain from the keychain); then the given certificates
 * that do not link, as given.
 */
export function completeChain(leaf: Certificate, others: Certificate[]): Certificate[] {
  const remaining = others.filter((c) => !c.der.equals(leaf.der));
  const chain: Certificate[] = [];
  const known = appleCertificates();
  let current = leaf;
  for (;;) {
    if (current.issuerRaw.equals(current.subjectRaw) || chain.length > 8) break; // self-signed: the top
    const issues = (c: Certificate) =>
      c.subjectRaw.equals(current.issuerRaw) && holds(() => current.x509.verify(c.x509.publicKey));
    const given = remaining.find(issues);
    const issuer = given ?? known.find(issues);
    if (!issuer || chain.includes(issuer)) break;
    if (given) remaining.splice(remaining.indexOf(given), 1);
    chain.push(issuer);
    current = issuer;
  }
  return [...chain, ...remaining];
}

let appleKnown: Certificate[] | undefined;

/** Apple's Developer ID intermediates and roots, each only if its fingerprint is the pinned one. */
function appleCertificates(): Certificate[] {
  appleKnown ??= [...APPLE_INTERMEDIATES, ...APPLE_ROOTS]
    .map((b64, i) => readCertificateDer(Buffer.from(b64, 'base64'), `Apple certificate ${i + 1}`))
    .filter((c) => APPLE_PINNED[c.info.sha256] !== undefined);
  return appleKnown;
}

function privateKeyFromDer(der: Buffer, file: string): KeyObject {
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } catch (error) {
    if (!isCryptoFailure(error)) throw error;
    throw new InputError(`the private key in ${file} is of a kind that cannot be read`);
  }
}

function keyMatches(privateKey: KeyObject, cert: X509Certificate): boolean {
  const spki = (k: KeyObject) => k.export({ type: 'spki', format: 'der' });
  return spki(createPublicKey(privateKey)).equals(spki(cert.publicKey));
}

/** The DER of every `CERTIFICATE` block of a PEM text. */
function pemCertificates(text: string): Buffer[] {
  const blocks = text.matchAll(/-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]*?)-----END CERTIFICATE-----/g);
  return [...blocks].map((m) => Buffer.from(m[1].replace(/\s+/g, ''), 'base64'));
}
