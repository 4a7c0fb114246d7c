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

const ROLE_BY_OID: [string, SignerKind][] = [
  ['1.2.840.113635.100.6.1.13', 'developer-id-application'],
  ['1.2.840.113635.100.6.1.14', 'developer-id-installer'],
  ['1.2.840.113635.100.6.1.12', 'apple-development'], // Mac Developer / Apple Development
  ['1.2.840.113635.100.6.1.2', 'apple-development'], // iPhone Developer (also in Apple Development certificates)
  ['1.2.840.113635.100.6.1.7', 'apple-distribution'], // Mac App Store application signing
  ['1.2.840.113635.100.6.1.8', 'apple-distribution'],
  ['1.2.840.113635.100.6.1.9', 'apple-distribution'],
  ['1.2.840.113635.100.6.1.4', 'apple-distribution'], // iPhone Distribution
];

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
  for (const [oid, role] of ROLE_BY_OID) if (leaf.appleExtensions.includes(oid)) return role;
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
