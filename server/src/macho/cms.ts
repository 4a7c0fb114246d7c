/**
 * The CMS signature of a code signature (slot 0x10000): who signed, whether the signature holds, and when.
 *
 * RFC 5652 SignedData, detached over the slot-0 CodeDirectory, as Security's `signer.cpp` writes it: signed
 * attributes contentType, signingTime, messageDigest and Apple's hash-agility attributes (1.2.840.113635.100.9.1 and
 * .2) that bind the alternate CodeDirectories; an RFC 3161 timestamp token as unsigned attribute. Certificates are
 * read by `certificate.ts` and their chains checked by `chain.ts` against Apple's compiled-in roots (an embedded
 * certificate named "Apple Root CA" is only bytes). Revocation needs the network and is not checked.
 *
 * Input that cannot be read (an InputError) and signatures that fail become `failures`; any other exception is a
 * bug and propagates.
 */
import { createHash, verify as verifySignature } from 'node:crypto';
import { InputError } from '../errors';
import { OIDS } from './oids';
import type { CertificateInfo, TimestampInfo, VerificationFailure } from '../protocol';
import { isPlistDict, parsePlist } from '../plist';
import { Certificate, certificateLabel, holds, readCertificate, stripZeros } from './certificate';
import { ChainResult, checkChain } from './chain';
import { children, content, context, expect, integerHex, name, Node, oid, raw, readNode, TAG, time } from './der';

export interface CodeDirectoryDigest {
  slot: number;
  /** CodeDirectory hash type: 1 SHA-1, 2 SHA-256, 3 SHA-256 truncated, 4 SHA-384. */
  hashType: number;
  cdhashFull: Uint8Array;
}

export interface CmsAnalysis {
  /** Leaf first, then its issuers; certificates outside the chain after them. */
  certificates: CertificateInfo[];
  signer: CertificateInfo | null;
  signingTime: string | null;
  timestamp: TimestampInfo | null;
  chainToAppleRoot: boolean;
  failures: VerificationFailure[];
  warnings: string[];
}

/** Digest algorithms by OID, and the CodeDirectory hash types each can stand for. */
const DIGESTS: Record<string, { name: string; hashTypes: number[] }> = {
  '1.3.14.3.2.26': { name: 'sha1', hashTypes: [1] },
  '2.16.840.1.101.3.4.2.1': { name: 'sha256', hashTypes: [2, 3] },
  '2.16.840.1.101.3.4.2.2': { name: 'sha384', hashTypes: [4] },
  '2.16.840.1.101.3.4.2.3': { name: 'sha512', hashTypes: [] },
};

/** Signature algorithms that name their digest; plain rsaEncryption / ecPublicKey use the SignerInfo's digest. */
const SIGNATURE_DIGESTS: Record<string, string> = {
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.1': 'sha1',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};

interface SignerInfo {
  sidIssuer: Buffer | null;
  sidSerial: string | null;
  sidKeyId: string | null;
  digest: string;
  signedAttrs: Node | null;
  signatureAlgorithm: string;
  signature: Buffer;
  unsignedAttrs: Node | null;
}

interface SignedData {
  buf: Buffer;
  certificates: Certificate[];
  signers: SignerInfo[];
  eContentType: string;
  eContent: Buffer | null;
}

function readSignerInfo(buf: Buffer, node: Node): SignerInfo {
  const parts = children(buf, expect(node, TAG.sequence, 'SignerInfo'));
  let i = 1;
  const sid = parts[i++];
  let sidIssuer: Buffer | null = null;
  let sidSerial: string | null = null;
  let sidKeyId: string | null = null;
  if (sid?.tag === TAG.sequence) {
    const [issuer, serial] = children(buf, sid);
    sidIssuer = Buffer.from(raw(buf, issuer));
    sidSerial = stripZeros(integerHex(buf, serial));
  } else if (sid?.tag === context(0, false)) {
    sidKeyId = content(buf, sid).toString('hex');
  } else throw new InputError('SignerInfo has no signer identifier');
  const digest = algorithmOid(buf, parts[i++]);
  const signedAttrs = parts[i]?.tag === context(0) ? parts[i++] : null;
  const signatureAlgorithm = algorithmOid(buf, parts[i++]);
  const signature = content(buf, expect(parts[i++], TAG.octetString, 'SignerInfo signature'));
  const unsignedAttrs = parts[i]?.tag === context(1) ? parts[i] : null;
  return { sidIssuer, sidSerial, sidKeyId, digest, signedAttrs, signatureAlgorithm, signature, unsignedAttrs };
}

function algorithmOid(buf: Buffer, node: Node | undefined): string {
  return oid(buf, expect(children(buf, expect(node, TAG.sequence, 'AlgorithmIdentifier'))[0], TAG.oid, 'algorithm'));
}

/** `what` names the SignedData in messages: "the CMS signature" or "the timestamp token". */
function readSignedData(bytes: Uint8Array, what: string): SignedData {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const contentInfo = readNode(buf, 0);
  const [type, explicit] = children(buf, expect(contentInfo, TAG.sequence, 'ContentInfo'));
  if (oid(buf, expect(type, TAG.oid, 'ContentInfo type')) !== OIDS.signedData)
    throw new InputError('the CMS blob is not SignedData');
  const signedData = children(
    buf,
    expect(children(buf, expect(explicit, context(0), 'ContentInfo content'))[0], TAG.sequence, 'SignedData'),
  );
  const encap = children(buf, expect(signedData[2], TAG.sequence, 'EncapsulatedContentInfo'));
  const eContentType = oid(buf, expect(encap[0], TAG.oid, 'eContentType'));
  let eContent: Buffer | null = null;
  if (encap[1]) {
    const octets = children(buf, expect(encap[1], context(0), 'eContent'));
    // BER may split an OCTET STRING into constructed pieces; join them.
    eContent = Buffer.concat(
      octets.flatMap((o) =>
        o.tag === TAG.octetString ? [content(buf, o)] : children(buf, o).map((p) => content(buf, p)),
      ),
    );
  }
  const rest = signedData.slice(3);
  const certsNode = rest.find((n) => n.tag === context(0));
  const certificates = certsNode
    ? children(buf, certsNode)
        .filter((n) => n.tag === TAG.sequence)
        .map((n, i) => readCertificate(buf, n, `certificate ${i + 1} of ${what}`))
    : [];
  const signerSet = expect(rest[rest.length - 1], TAG.set, 'SignerInfos');
  return {
    buf,
    certificates,
    signers: children(buf, signerSet).map((n) => readSignerInfo(buf, n)),
    eContentType,
    eContent,
  };
}

function attributes(buf: Buffer, node: Node | null): Map<string, Node[]> {
  const out = new Map<string, Node[]>();
  if (!node) return out;
  for (const attr of children(buf, node)) {
    const [type, values] = children(buf, expect(attr, TAG.sequence, 'Attribute'));
    out.set(
      oid(buf, expect(type, TAG.oid, 'attribute type')),
      children(buf, expect(values, TAG.set, 'attribute values')),
    );
  }
  return out;
}

function findSigner(data: SignedData, signer: SignerInfo): Certificate | null {
  return (
    data.certificates.find((c) =>
      signer.sidKeyId
        ? c.subjectKeyId === signer.sidKeyId
        : c.serialHex === signer.sidSerial && signer.sidIssuer !== null && c.issuerRaw.equals(signer.sidIssuer),
    ) ?? null
  );
}

function digestName(algorithmOid: string): string {
  const d = DIGESTS[algorithmOid];
  if (!d) throw new InputError(`unsupported digest algorithm ${algorithmOid}`);
  return d.name;
}

interface SignerCheck {
  signer: SignerInfo;
  certificate: Certificate | null;
  attrs: Map<string, Node[]>;
  digestValid: boolean;
  signatureValid: boolean;
}

/** Checks one SignerInfo over `detached` content: messageDigest and the signature over the signed attributes. */
function checkSigner(data: SignedData, signer: SignerInfo, signedContent: Buffer): SignerCheck {
  const { buf } = data;
  const certificate = findSigner(data, signer);
  const attrs = attributes(buf, signer.signedAttrs);
  const digest = digestName(signer.digest);
  let digestValid = true;
  let signedBytes = signedContent;
  if (signer.signedAttrs) {
    const md = attrs.get(OIDS.messageDigest)?.[0];
    digestValid = !!md && content(buf, md).equals(createHash(digest).update(signedContent).digest());
    // RFC 5652 §5.4: the signature covers the attributes DER-encoded as a SET OF, not as the [0] field.
    signedBytes = Buffer.from(raw(buf, signer.signedAttrs));
    signedBytes[0] = TAG.set;
  }
  const signatureDigest = SIGNATURE_DIGESTS[signer.signatureAlgorithm] ?? digest;
  const signatureValid =
    !!certificate &&
    holds(() => verifySignature(signatureDigest, signedBytes, certificate.x509.publicKey, signer.signature));
  return { signer, certificate, attrs, digestValid, signatureValid };
}

function orderCertificates(certs: Certificate[], chain: Certificate[]): CertificateInfo[] {
  return [...chain, ...certs.filter((c) => !chain.includes(c))].map((c) => c.info);
}

function checkHashAgility(
  buf: Buffer,
  attrs: Map<string, Node[]>,
  cds: CodeDirectoryDigest[],
  fail: (code: string, message: string) => void,
): void {
  const v1 = attrs.get(OIDS.appleCdHashesPlist)?.[0];
  if (v1) {
    const listed = readAgilityV1(content(buf, expect(v1, TAG.octetString, 'hash agility')));
    const expected = cds.map((cd) => Buffer.from(cd.cdhashFull).subarray(0, 20).toString('hex')).sort();
    if (!listed || listed.sort().join() !== expected.join()) {
      fail(
        'cms-hash-agility',
        'the signed list of cdhashes (hash agility v1) does not match the CodeDirectories present',
      );
    }
  }
  const v2 = attrs.get(OIDS.appleCdHashes);
  if (v2) {
    for (const cd of cds) {
      const entry = v2
        .map((n) => children(buf, n))
        .find(([alg]) => DIGESTS[oid(buf, alg)]?.hashTypes.includes(cd.hashType));
      if (!entry) continue; // algorithms Security does not know are tolerated
      const signed = content(buf, entry[1]);
      if (!signed.equals(Buffer.from(cd.cdhashFull).subarray(0, signed.length))) {
        fail(
          'cms-hash-agility',
          `the signed cdhash for the CodeDirectory in slot 0x${cd.slot.toString(16)} (hash agility v2) does not match it`,
        );
      }
    }
  }
}

function readAgilityV1(plist: Buffer): string[] | null {
  try {
    const { value } = parsePlist(plist);
    const list = isPlistDict(value) ? value.cdhashes : undefined;
    if (!Array.isArray(list)) return null;
    return list.map((d) => (d instanceof Uint8Array ? Buffer.from(d).toString('hex') : ''));
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    return null;
  }
}

type Fail = (code: string, message: string) => void;

/** A failure for each carried certificate whose signature does not verify under its issuer's key. */
function reportDamaged({ damaged }: ChainResult, code: string, carrier: string, fail: Fail): void {
  for (const { certificate, issuer } of damaged) {
    const key = issuer ? `the key of its issuer ${certificateLabel(issuer)}` : 'its own key (it is self-signed)';
    fail(
      code,
      `the certificate ${certificateLabel(certificate)} in ${carrier} is damaged: its signature does not verify with ${key}`,
    );
  }
}

/** The RFC 3161 token in the unsigned attributes, if any; a token that cannot be read is a failure of its own. */
function readTimestamp(outer: SignerCheck, buf: Buffer, fail: Fail): TimestampInfo | null {
  const attrs = attributes(buf, outer.signer.unsignedAttrs);
  const token = attrs.get(OIDS.timeStampToken)?.[0];
  if (!token) return null;
  try {
    return checkTimestamp(raw(buf, token), outer.signer.signature, fail);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    fail('timestamp-malformed', `the secure timestamp cannot be read: ${error.message}`);
    return null;
  }
}

function checkTimestamp(token: Buffer, stamped: Buffer, fail: Fail): TimestampInfo {
  const data = readSignedData(token, 'the timestamp token');
  if (data.eContentType !== OIDS.tstInfo || !data.eContent)
    throw new InputError('the timestamp token holds no TSTInfo');
  const tst = data.eContent;
  const fields = children(tst, expect(readNode(tst, 0), TAG.sequence, 'TSTInfo'));
  const [algorithm, hashed] = children(tst, expect(fields[2], TAG.sequence, 'MessageImprint'));
  const imprintAlgorithm = digestName(
    oid(
      tst,
      expect(children(tst, expect(algorithm, TAG.sequence, 'MessageImprint algorithm'))[0], TAG.oid, 'algorithm'),
    ),
  );
  const imprintValid = content(tst, expect(hashed, TAG.octetString, 'MessageImprint hash')).equals(
    createHash(imprintAlgorithm).update(stamped).digest(),
  );
  const genTime = time(tst, expect(fields[4], TAG.generalizedTime, 'genTime'));
  const tsaField = fields.slice(5).find((f) => f.tag === context(0));
  let authority: string | null = null;
  if (tsaField) {
    const general = readNode(tst, tsaField.contentStart, tsaField.contentEnd);
    if (general.tag === context(4)) authority = name(tst, readNode(tst, general.contentStart, general.contentEnd)).text;
  }
  const tokenSigner = data.signers[0] ? checkSigner(data, data.signers[0], tst) : null;
  const signatureValid = !!tokenSigner && tokenSigner.digestValid && tokenSigner.signatureValid;
  const chain = checkChain(data.certificates, tokenSigner?.certificate ?? null);
  authority ??= tokenSigner?.certificate?.info.commonName ?? null;
  if (!imprintValid)
    fail('timestamp-imprint', 'the timestamp does not stamp this signature (message imprint mismatch)');
  if (!signatureValid) fail('timestamp-signature', "the timestamp token's own signature does not verify");
  reportDamaged(chain, 'timestamp-certificate', 'the timestamp token', fail);
  return {
    time: genTime,
    authority,
    imprintValid,
    signatureValid,
    certificatesIntact: chain.damaged.length === 0,
    chainToAppleRoot: chain.anchor !== null,
    certificates: orderCertificates(data.certificates, chain.chain),
  };
}

function validAt(cert: Certificate, when: Date): boolean {
  return new Date(cert.notBefore) <= when && when <= new Date(cert.notAfter);
}

export function analyzeCms(
  cmsDer: Uint8Array,
  primaryCodeDirectory: Uint8Array,
  codeDirectories: CodeDirectoryDigest[],
  now = new Date(),
): CmsAnalysis {
  const analysis: CmsAnalysis = {
    certificates: [],
    signer: null,
    signingTime: null,
    timestamp: null,
    chainToAppleRoot: false,
    failures: [],
    warnings: [],
  };
  const fail: Fail = (code, message) => analysis.failures.push({ code, message });
  try {
    const data = readSignedData(cmsDer, 'the CMS signature');
    const { buf } = data;
    analysis.certificates = data.certificates.map((c) => c.info);
    if (data.signers.length === 0) {
      fail('cms-no-signer', 'the CMS signature has no signer');
      return analysis;
    }
    const outer = checkSigner(data, data.signers[0], Buffer.from(primaryCodeDirectory));
    if (!outer.certificate) fail('cms-no-signer', 'the certificate that made the CMS signature is not included');
    if (!outer.digestValid)
      fail('cms-message-digest', 'the CMS signature was made over a different CodeDirectory (messageDigest mismatch)');
    if (outer.certificate && !outer.signatureValid)
      fail('cms-signature', "the CMS signature does not verify with the signing certificate's key");
    if (digestName(outer.signer.digest) === 'sha1')
      analysis.warnings.push('the CMS signature uses SHA-1, which Apple calls too weak');
    const signingTime = outer.attrs.get(OIDS.signingTime)?.[0];
    if (signingTime) analysis.signingTime = time(buf, signingTime);
    checkHashAgility(buf, outer.attrs, codeDirectories, fail);

    const chain = checkChain(data.certificates, outer.certificate);
    reportDamaged(chain, 'cms-certificate', 'the CMS signature', fail);
    if (outer.certificate) {
      analysis.signer = outer.certificate.info;
      analysis.certificates = orderCertificates(data.certificates, chain.chain);
      analysis.chainToAppleRoot = chain.anchor !== null;
      if (!analysis.chainToAppleRoot && chain.damaged.length === 0) {
        analysis.warnings.push('the certificate chain does not lead to Apple Root CA: not an Apple-issued identity');
      }
    }
    analysis.timestamp = readTimestamp(outer, buf, fail);
    // Security: "if the signature itself draws to Apple, then so must the timestamp signature". A token whose own
    // certificates are damaged already failed above; saying Apple did not issue it would be wrong.
    if (analysis.chainToAppleRoot && analysis.timestamp?.certificatesIntact && !analysis.timestamp.chainToAppleRoot) {
      analysis.warnings.push("the timestamp was not issued by Apple's time-stamp authority");
    }
    const reference =
      analysis.timestamp?.imprintValid && analysis.timestamp.signatureValid ? new Date(analysis.timestamp.time) : now;
    if (outer.certificate && !validAt(outer.certificate, reference)) {
      analysis.warnings.push(
        `the signing certificate was not valid at ${reference.toISOString()} (${analysis.timestamp ? 'the secure timestamp' : 'now; there is no secure timestamp'})`,
      );
    }
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    fail('cms-malformed', `the CMS signature cannot be read: ${error.message}`);
  }
  return analysis;
}
