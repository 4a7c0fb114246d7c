/**
 * The CMS signature of a code signature (the blob in slot 0x10000), as Apple's codesign writes it.
 *
 * RFC 5652 SignedData, version 1, detached (eContentType id-data, no eContent: the content is the primary
 * CodeDirectory), one SHA-256 digest algorithm, the identity's whole chain in `certificates`, one SignerInfo (version 1,
 * identified by issuerAndSerialNumber) whose signed attributes are, in DER SET order as Apple's are:
 * contentType (id-data), signingTime, messageDigest (SHA-256 of the primary CodeDirectory blob), and Apple's two hash
 * agility attributes that bind every CodeDirectory (alternates included), so none can be swapped:
 * - 1.2.840.113635.100.9.1: an OCTET STRING holding an XML plist `{cdhashes: [<data>…]}`, each CodeDirectory's hash
 *   (with its own digest type) truncated to 20 bytes, written by the `plist` package;
 * - 1.2.840.113635.100.9.2: one value per CodeDirectory, SEQUENCE { digest algorithm OID, OCTET STRING full hash }.
 * The signature is PKCS#1 v1.5 with SHA-256 (sha256WithRSAEncryption with NULL parameters, as Apple writes it) for RSA
 * keys, ECDSA with SHA-256 for EC keys. With a time-stamp authority, its RFC 3161 token over the signature value goes in
 * the unsigned attribute 1.2.840.113549.1.9.16.2.14.
 *
 * Apple's signer writes the same attribute set and encodings (compared in test/engine/signCms.test.ts with a real
 * Developer ID signature); its plist differs only in whitespace, which the verifier's plist parser ignores.
 */
import { createHash, sign } from 'node:crypto';
import type * as Plist from 'plist';
import { InputError } from '../errors';
import { readCertificateDer } from '../macho/certificate';
import { children, expect, raw, readNode, TAG } from '../macho/der';
import {
  algorithm,
  attribute,
  explicit,
  implicitSetOf,
  integer,
  octetString,
  oid,
  sequence,
  setOf,
  time,
} from './derWriter';
import { OIDS } from '../macho/oids';
import { requestTimestamp, TimestampOptions } from './timestamp';
import type { CmsProducer, HashName, SignedCodeDirectory, SigningIdentity } from './types';

export interface CmsOptions extends TimestampOptions {
  /** RFC 3161 time-stamp authority, or null for no secure timestamp. */
  timestampUrl: string | null;
  /** The signingTime attribute; default: when the CMS is made. */
  signingTime?: Date;
}

const DIGEST_OID: Record<HashName, string> = { sha1: OIDS.sha1, sha256: OIDS.sha256 };

/** The hash of a CodeDirectory with its own digest type: its cdhash before any truncation. */
export function codeDirectoryHash(cd: SignedCodeDirectory): Buffer {
  return createHash(cd.hash).update(cd.blob).digest();
}

/** The signed attribute 1.2.840.113635.100.9.1's plist: every cdhash truncated to 20 bytes, primary first. */
export function cdHashesPlist(codeDirectories: SignedCodeDirectory[]): Buffer {
  const cdhashes = codeDirectories.map((cd) => codeDirectoryHash(cd).subarray(0, 20));
  // Apple's ends with a newline after </plist>; the plist package stops at the closing tag.
  // Loaded on first use, like node-forge in identity.ts: the CLI's other commands should not pay for it at start-up.
  const { build } = require('plist') as typeof Plist;
  return Buffer.from(`${build({ cdhashes }, { indent: '\t' })}\n`, 'utf8');
}

export function createCmsProducer(identity: SigningIdentity, options: CmsOptions): CmsProducer {
  return async (codeDirectories) => {
    if (codeDirectories.length === 0) throw new Error('a CMS signature needs at least one CodeDirectory');
    const signedAttributes = setOf(
      attribute(OIDS.contentType, oid(OIDS.data)),
      attribute(OIDS.signingTime, time(options.signingTime ?? new Date())),
      attribute(OIDS.messageDigest, octetString(createHash('sha256').update(codeDirectories[0].blob).digest())),
      attribute(OIDS.appleCdHashesPlist, octetString(cdHashesPlist(codeDirectories))),
      attribute(
        OIDS.appleCdHashes,
        ...codeDirectories.map((cd) => sequence(oid(DIGEST_OID[cd.hash]), octetString(codeDirectoryHash(cd)))),
      ),
    );
    // RFC 5652 §5.4: the signature covers the attributes' DER as a SET OF; in the SignerInfo they are [0] IMPLICIT.
    const { signatureAlgorithm, signature } = signAttributes(identity, signedAttributes);
    const unsigned = options.timestampUrl
      ? [
          implicitSetOf(1, [
            attribute(OIDS.timeStampToken, await requestTimestamp(options.timestampUrl, signature, options)),
          ]),
        ]
      : [];
    const signerInfo = sequence(
      integer(1),
      issuerAndSerialNumber(identity.certificate),
      algorithm(OIDS.sha256, true),
      Buffer.concat([Buffer.from([0xa0]), signedAttributes.subarray(1)]),
      signatureAlgorithm,
      octetString(signature),
      ...unsigned,
    );
    const signedData = sequence(
      integer(1),
      setOf(algorithm(OIDS.sha256, true)),
      sequence(oid(OIDS.data)),
      implicitSetOf(0, [identity.certificate, ...identity.chain]),
      setOf(signerInfo),
    );
    return sequence(oid(OIDS.signedData), explicit(0, signedData));
  };
}

/**
 * How many bytes to reserve for the CMS blob before it exists (the slice signer sizes the signature first): the
 * certificates, the attributes and signature, and room for a timestamp token (Apple's are about 4.2 KB).
 */
export function cmsSizeEstimate(identity: SigningIdentity, codeDirectories: number, timestamp: boolean): number {
  const certificates = [identity.certificate, ...identity.chain].reduce((n, c) => n + c.length + 4, 0);
  return certificates + 1024 + codeDirectories * 160 + 512 + (timestamp ? 8192 : 0);
}

function signAttributes(
  identity: SigningIdentity,
  signedAttributes: Buffer,
): { signatureAlgorithm: Buffer; signature: Buffer } {
  const type = identity.privateKey.asymmetricKeyType;
  if (type === 'rsa') {
    return {
      signatureAlgorithm: algorithm(OIDS.sha256WithRSAEncryption, true),
      signature: sign('sha256', signedAttributes, identity.privateKey),
    };
  }
  if (type === 'ec') {
    return {
      signatureAlgorithm: algorithm(OIDS.ecdsaWithSHA256, false),
      signature: sign('sha256', signedAttributes, { key: identity.privateKey, dsaEncoding: 'der' }),
    };
  }
  throw new InputError(
    `the signing key is ${type ?? 'of an unknown kind'}: the builtin signer signs with RSA or EC keys`,
  );
}

/** IssuerAndSerialNumber ::= SEQUENCE { issuer Name, serialNumber INTEGER }, both copied byte for byte. */
function issuerAndSerialNumber(certificateDer: Buffer): Buffer {
  const cert = readCertificateDer(certificateDer, 'the signing certificate');
  const tbs = children(certificateDer, children(certificateDer, readNode(certificateDer, 0))[0]);
  const fields = tbs[0]?.tag === 0xa0 ? tbs.slice(1) : tbs;
  const serial = raw(certificateDer, expect(fields[0], TAG.integer, 'the signing certificate: serial number'));
  return sequence(cert.issuerRaw, serial);
}
