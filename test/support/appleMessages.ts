/**
 * The issues Apple's notary log gives (apple-rules §3.2): the exact message of each and the docUrl real logs give
 * with it. Written from the document, not from our output: the pre-flight tests compare ours with these.
 */
const RESOLVING =
  'https://developer.apple.com/documentation/security/notarizing_macos_software_before_distribution/resolving_common_notarization_issues#';

export const APPLE = {
  unsigned: ['The binary is not signed.', `${RESOLVING}3087721`],
  developerId: ['The binary is not signed with a valid Developer ID certificate.', `${RESOLVING}3087721`],
  invalid: ['The signature of the binary is invalid.', `${RESOLVING}3087735`],
  timestamp: ['The signature does not include a secure timestamp.', `${RESOLVING}3087733`],
  runtime: ['The executable does not have the hardened runtime enabled.', `${RESOLVING}3087724`],
  getTaskAllow: ['The executable requests the com.apple.security.get-task-allow entitlement.', `${RESOLVING}3087731`],
  sdk: ['The binary uses an SDK older than the 10.9 SDK.', `${RESOLVING}3087723`],
  // §3.2 records no anchor for these two; the log for malformed entitlements says "Embedded entitlements are
  // invalid: <reason>" (electron-builder#4825). Ours: the section each belongs to.
  entitlements: ['Embedded entitlements are invalid', `${RESOLVING}3561456`],
  weak: ['The signature algorithm used is too weak.', `${RESOLVING}3087735`],
} as const;
