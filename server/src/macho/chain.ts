/**
 * Certificate chains of a CMS signature (the code signature's, or a time-stamp token's): is every certificate it
 * carries intact, and does the signer's chain end at a trust anchor?
 *
 * Trust anchors are Apple's roots compiled in (appleRoots.ts), each checked against its pinned fingerprint. As in
 * OpenSSL's default "trusted first" path building, an issuer found among the anchors is preferred, so the copy of a
 * root that a signature carries is never what is trusted. Every carried certificate must verify under its issuer's
 * key (an anchor, another carried certificate, or its own key when it is self-issued), the way `openssl cms -verify`
 * and `codesign --verify` refuse a signature whose certificates were changed: a damaged one is a broken signature,
 * not merely an untrusted one. A certificate whose issuer is not there at all cannot be checked and is only left
 * out of the chain.
 */
import { APPLE_PINNED, APPLE_ROOTS } from './appleRoots';
import { Certificate, holds, readCertificateDer } from './certificate';

export interface ChainResult {
  /** The signer first, then each issuer found among the carried certificates. */
  chain: Certificate[];
  /** The trust anchor the chain ends at, or null when it does not reach one. */
  anchor: Certificate | null;
  /** Carried certificates whose signature does not verify under their issuer's key, with that issuer (null: self-issued). */
  damaged: { certificate: Certificate; issuer: Certificate | null }[];
}

let anchors: Certificate[] | null = null;

/** The compiled-in roots, read once; a root whose fingerprint is not the pinned one is a defect in this build. */
export function appleAnchors(): readonly Certificate[] {
  anchors ??= APPLE_ROOTS.map((base64, i) => {
    const cert = readCertificateDer(Buffer.from(base64, 'base64'), `compiled-in Apple root ${i + 1}`);
    if (APPLE_PINNED[cert.info.sha256] === undefined)
      throw new Error(`compiled-in Apple root ${i + 1} does not match its pinned fingerprint`);
    return cert;
  });
  return anchors;
}

const selfIssued = (c: Certificate) => c.issuerRaw.equals(c.subjectRaw);
const signedBy = (c: Certificate, issuer: Certificate) => holds(() => c.x509.verify(issuer.x509.publicKey));
/**
 * Whether `issuer` claims to have issued `cert`: by name, or by key identifier, so that a certificate whose issuer or
 * subject name was changed is still checked against the key that really signed it (and found damaged).
 */
const claims = (issuer: Certificate, cert: Certificate) =>
  issuer.subjectRaw.equals(cert.issuerRaw) ||
  (cert.authorityKeyId !== null && issuer.subjectKeyId === cert.authorityKeyId);

/** Checks every carried certificate and follows issuers from `signer` to an anchor. */
export function checkChain(
  carried: Certificate[],
  signer: Certificate | null,
  trusted: readonly Certificate[] = appleAnchors(),
): ChainResult {
  const damaged: ChainResult['damaged'] = [];
  for (const cert of carried) {
    const issuers = [
      ...trusted.filter((a) => claims(a, cert)),
      ...carried.filter((c) => claims(c, cert) && (c !== cert || selfIssued(cert))),
    ];
    if (issuers.length > 0 && !issuers.some((issuer) => signedBy(cert, issuer))) {
      damaged.push({ certificate: cert, issuer: selfIssued(cert) ? null : issuers[0] });
    }
  }
  const chain: Certificate[] = [];
  let anchor: Certificate | null = null;
  for (let current = signer; current && !chain.includes(current);) {
    chain.push(current);
    anchor = trusted.find((a) => claims(a, current!) && signedBy(current!, a)) ?? null;
    if (anchor || selfIssued(current)) break;
    const from: Certificate = current;
    current = carried.find((c) => c !== from && claims(c, from) && signedBy(from, c)) ?? null;
  }
  return { chain, anchor, damaged };
}
