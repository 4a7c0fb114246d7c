/**
 * One X.509 certificate as a CMS signature carries it: the names and fields compared byte for byte (read with our DER
 * reader), and node:crypto's X509Certificate for keys and signatures.
 *
 * A certificate that cannot be read is an InputError naming it, with our words: node:crypto's own message (such as
 * "error:0480006C:PEM routines::no start line") describes its parser, not the file.
 */
import { X509Certificate } from 'node:crypto';
import { InputError } from '../errors';
import type { CertificateInfo } from '../protocol';
import { APPLE_PINNED } from './appleRoots';
import {
  children,
  content,
  context,
  expect,
  integerHex,
  name,
  nameAttribute,
  Node,
  oid,
  raw,
  readNode,
  TAG,
  time,
} from './der';

export interface Certificate {
  der: Buffer;
  x509: X509Certificate;
  issuerRaw: Buffer;
  subjectRaw: Buffer;
  serialHex: string;
  subjectKeyId: string | null;
  /** The keyIdentifier of the authority key identifier extension: the issuer's subjectKeyId. */
  authorityKeyId: string | null;
  /** Validity, ISO 8601. */
  notBefore: string;
  notAfter: string;
  info: CertificateInfo;
}

const OID = {
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  commonName: '2.5.4.3',
  organizationalUnit: '2.5.4.11',
  appleCertificateExtensions: '1.2.840.113635.100.6.',
} as const;

export function stripZeros(hex: string): string {
  return hex.replace(/^(00)+(?=.)/, '');
}

/** Apple puts the team ID in the subject's OU; CA certificates have a descriptive OU instead. */
function teamId(ou: string | null): string | null {
  return ou && /^[A-Z0-9]{10}$/.test(ou) ? ou : null;
}

/** How a certificate is named in messages: its common name, else its whole subject. */
export function certificateLabel(cert: { info: CertificateInfo }): string {
  return `"${cert.info.commonName ?? cert.info.subject}"`;
}

/** Reads the certificate at `node` of `buf`; `what` names it in errors ("certificate 2 of the CMS signature"). */
export function readCertificate(buf: Buffer, node: Node, what: string): Certificate {
  const der = Buffer.from(raw(buf, node));
  const tbs = children(
    buf,
    expect(children(buf, expect(node, TAG.sequence, what))[0], TAG.sequence, `${what}: TBSCertificate`),
  );
  const fields = tbs[0]?.tag === context(0) ? tbs.slice(1) : tbs; // skip the explicit version
  const [serial, , issuer, validity, subject] = fields;
  const subjectName = name(buf, expect(subject, TAG.sequence, `${what}: subject`));
  const issuerName = name(buf, expect(issuer, TAG.sequence, `${what}: issuer`));
  const label = `${what} ("${nameAttribute(subjectName, OID.commonName) ?? subjectName.text}")`;
  const [notBefore, notAfter] = children(buf, expect(validity, TAG.sequence, `${label}: validity`)).map((t) =>
    time(buf, t),
  );
  if (!notBefore || !notAfter) throw new InputError(`${label}: the validity period is incomplete`);
  const x509 = parseX509(der, label);
  const appleExtensions: string[] = [];
  let subjectKeyId: string | null = null;
  let authorityKeyId: string | null = null;
  const extensionsNode = fields.find((f) => f.tag === context(3));
  if (extensionsNode) {
    for (const ext of children(buf, expect(children(buf, extensionsNode)[0], TAG.sequence, `${label}: extensions`))) {
      const parts = children(buf, ext);
      const id = oid(buf, expect(parts[0], TAG.oid, `${label}: extension`));
      if (id.startsWith(OID.appleCertificateExtensions)) appleExtensions.push(id);
      if (id === OID.subjectKeyIdentifier) {
        const value = expect(parts[parts.length - 1], TAG.octetString, `${label}: subject key identifier`);
        subjectKeyId = content(buf, readNode(buf, value.contentStart, value.contentEnd)).toString('hex');
      }
      if (id === OID.authorityKeyIdentifier) {
        // AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING OPTIONAL, ... } (RFC 5280)
        const value = expect(parts[parts.length - 1], TAG.octetString, `${label}: authority key identifier`);
        const sequence = expect(
          readNode(buf, value.contentStart, value.contentEnd),
          TAG.sequence,
          `${label}: authority key identifier`,
        );
        const keyId = children(buf, sequence).find((n) => n.tag === context(0, false));
        if (keyId) authorityKeyId = content(buf, keyId).toString('hex');
      }
    }
  }
  const sha256 = x509.fingerprint256.replace(/:/g, '').toLowerCase();
  return {
    der,
    x509,
    issuerRaw: Buffer.from(raw(buf, issuer)),
    subjectRaw: Buffer.from(raw(buf, subject)),
    serialHex: stripZeros(integerHex(buf, expect(serial, TAG.integer, `${label}: serial number`))),
    subjectKeyId,
    authorityKeyId,
    notBefore,
    notAfter,
    info: {
      subject: subjectName.text,
      commonName: nameAttribute(subjectName, OID.commonName),
      issuer: issuerName.text,
      teamId: teamId(nameAttribute(subjectName, OID.organizationalUnit)),
      notBefore,
      notAfter,
      sha256,
      serialNumber: x509.serialNumber.toLowerCase(),
      appleExtensions,
      pinnedRoot: APPLE_PINNED[sha256] ?? null,
    },
  };
}

/** Reads one DER certificate on its own (a compiled-in trust anchor). */
export function readCertificateDer(der: Buffer, what: string): Certificate {
  return readCertificate(der, readNode(der, 0), what);
}

function parseX509(der: Buffer, label: string): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch (error) {
    if (!isCryptoFailure(error)) throw error;
    throw new InputError(`${label} is not a valid X.509 certificate`);
  }
}

/**
 * OpenSSL's refusals of the data it was given (a key it cannot use, a malformed signature) carry ERR_OSSL_* codes;
 * node's own argument checks (ERR_INVALID_ARG_*) and plain TypeErrors are programming errors and must surface.
 */
export function isCryptoFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^ERR_(OSSL|CRYPTO)_/.test(code);
}

/** Whether a signature check holds; OpenSSL refusing the key or signature bytes counts as "does not hold". */
export function holds(check: () => boolean): boolean {
  try {
    return check();
  } catch (error) {
    if (isCryptoFailure(error)) return false;
    throw error;
  }
}
