/**
 * Sources that rules of several areas cite, named once. Sources used by a single table stay in that table.
 */
import type { RuleSource } from './types';

export const NOTARIZING: RuleSource = {
  label: 'Apple: Notarizing macOS software before distribution',
  url: 'https://developer.apple.com/documentation/security/notarizing-macos-software-before-distribution',
};

/** Anchors as Apple's notary service puts them in the `docUrl` of real notarization logs. */
export const RESOLVING = (anchor: string, label: string): RuleSource => ({
  label: `Apple: Resolving common notarization issues — ${label}`,
  url: `https://developer.apple.com/documentation/security/notarizing_macos_software_before_distribution/resolving_common_notarization_issues#${anchor}`,
});

export const DISTRIBUTION_SIGNED: RuleSource = {
  label: 'Apple: Creating distribution-signed code for macOS',
  url: 'https://developer.apple.com/documentation/xcode/creating-distribution-signed-code-for-the-mac',
};
