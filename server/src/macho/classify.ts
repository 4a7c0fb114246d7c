/**
 * Who signed a slice: none, the linker, ad-hoc, or which kind of Apple-issued identity.
 *
 * The leaf certificate's role comes from Apple's certificate-extension OIDs (the same ones rcodesign's
 * `certificate.rs` and Apple's policies use), with the common-name prefix as a fallback for certificates that lack
 * them. A certificate only counts as Apple-issued when its chain verifies up to the pinned Apple Root CA; a
 * self-made "Developer ID Application" certificate is `other`.
 */
import type { CertificateInfo, SignerKind } from '../protocol';
import { CS_ADHOC, CS_LINKER_SIGNED } from './format';

/** What an Apple-issued leaf certificate is for, finer than SignerKind: the signer refuses installer kinds by name. */
export type AppleCertificateKind =
  | 'developer-id-application'
  | 'developer-id-installer'
  | 'apple-development'
  | 'apple-distribution'
  | 'mac-installer-distribution';

/**
 * Apple's leaf certificate-extension OIDs (1.2.840.113635.100.6.1.*), most specific first: a certificate carrying
 * several is named by the first. The one table for the signature reader and the signer (sign/identity.ts).
 */
const KIND_BY_OID: [string, AppleCertificateKind][] = [
  ['1.2.840.113635.100.6.1.13', 'developer-id-application'],
  ['1.2.840.113635.100.6.1.14', 'developer-id-installer'],
  ['1.2.840.113635.100.6.1.8', 'mac-installer-distribution'], // 3rd Party Mac Developer Installer
  ['1.2.840.113635.100.6.1.12', 'apple-development'], // Mac Developer / Apple Development
  ['1.2.840.113635.100.6.1.2', 'apple-development'], // iPhone Developer (also in Apple Development certificates)
  ['1.2.840.113635.100.6.1.7', 'apple-distribution'], // 3rd Party Mac Developer Application (Mac App Store)
  ['1.2.840.113635.100.6.1.9', 'apple-distribution'],
  ['1.2.840.113635.100.6.1.4', 'apple-distribution'], // iPhone Distribution
];

/** The kind Apple's extensions give a leaf certificate, or null when it carries none of them. */
export function appleCertificateKind(appleExtensions: readonly string[]): AppleCertificateKind | null {
  return KIND_BY_OID.find(([oid]) => appleExtensions.includes(oid))?.[1] ?? null;
}

const ROLE_BY_NAME: [RegExp, SignerKind][] = [
  [/^Developer ID Application:/, 'developer-id-application'],
  [/^Developer ID Installer:/, 'developer-id-installer'],
  [/^(Apple Development|Mac Developer|iPhone Developer):/, 'apple-development'],
  [
    /^(Apple Distribution|3rd Party Mac Developer Application|Mac App Distribution|iPhone Distribution):/,
    'apple-distribution',
  ],
];

/** The role a leaf certificate claims, whatever its chain. */
export function certificateRole(leaf: CertificateInfo): SignerKind {
  const kind = appleCertificateKind(leaf.appleExtensions);
  if (kind) return kind === 'mac-installer-distribution' ? 'apple-distribution' : kind;
  for (const [pattern, role] of ROLE_BY_NAME) if (leaf.commonName && pattern.test(leaf.commonName)) return role;
  return 'other';
}

export function classifySigner(
  cdFlags: number | null,
  leaf: CertificateInfo | null,
  chainToAppleRoot: boolean,
): SignerKind {
  if (cdFlags === null) return 'none';
  if (cdFlags & CS_ADHOC) return cdFlags & CS_LINKER_SIGNED ? 'linker-signed' : 'adhoc';
  if (!leaf || !chainToAppleRoot) return 'other';
  return certificateRole(leaf);
}
