/**
 * The contracts between the parts of the builtin signer, so each part can be written and tested on its own:
 * the identity (who signs), the CMS producer (how a signature over CodeDirectories is made), and the request a
 * caller (CLI, pipeline, language server) gives the signer. No I/O here.
 */
import type { KeyObject } from 'node:crypto';
import type { AppleCertificateKind } from '../macho/classify';

/** Digest algorithms a CodeDirectory can use (`CS_HASHTYPE_SHA1` = 1, `CS_HASHTYPE_SHA256` = 2). */
export type HashName = 'sha1' | 'sha256';

/** What the leaf certificate says it may sign (macho/classify.ts reads Apple's extension OIDs), or `other`. */
export type CertificateKind = AppleCertificateKind | 'other';

/** A loaded signing identity: the leaf certificate, the chain above it, and the private key. */
export interface SigningIdentity {
  /** DER of the leaf certificate. */
  certificate: Buffer;
  /** DER of the certificates above the leaf, issuer first (intermediates, then the root when it was given). */
  chain: Buffer[];
  privateKey: KeyObject;
  /** The leaf subject's organizational unit: Apple's team identifier. */
  teamId: string | null;
  commonName: string;
  kind: CertificateKind;
}

/** One CodeDirectory as the CMS must cover it: the whole blob and the digest algorithm it uses. */
export interface SignedCodeDirectory {
  blob: Buffer;
  hash: HashName;
}

/**
 * Makes the CMS blob's content (a DER ContentInfo with SignedData) over the CodeDirectories, primary first.
 * The slice signer calls it once the CodeDirectories are final; it must not change them.
 */
export type CmsProducer = (codeDirectories: SignedCodeDirectory[]) => Promise<Buffer>;

/** Everything the slice and bundle signers need beyond the bytes. */
export interface SignRequest {
  /** The code's identifier (codesign's `--identifier`; default: the file name, or CFBundleIdentifier in a bundle). */
  identifier?: string;
  /** null signs ad hoc (no certificate, empty CMS). */
  identity: SigningIdentity | null;
  /** The entitlements plist's bytes as the user wrote them (XML). */
  entitlements?: Buffer;
  /** Hardened runtime (`CS_RUNTIME`, flag 0x10000). */
  runtime: boolean;
  /** RFC 3161 time-stamp authority URL, or null for no secure timestamp. */
  timestampUrl: string | null;
}
