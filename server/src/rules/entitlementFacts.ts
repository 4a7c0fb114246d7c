/**
 * Facts about entitlements that both the readiness checks (on a signed binary) and the linters (on an entitlements
 * file) apply, so the two always agree.
 */

export const GET_TASK_ALLOW = 'com.apple.security.get-task-allow';

/** Keys in this namespace must be authorized by a provisioning profile. */
export const RESTRICTED_PREFIX = 'com.apple.developer.';

/**
 * Whether a value written as text means true. Notarization rejects get-task-allow "set to any variation of true",
 * so the readiness check and the linter both read text values this way.
 */
export function meansTrue(text: string): boolean {
  return ['true', 'yes', '1'].includes(text.trim().toLowerCase());
}
