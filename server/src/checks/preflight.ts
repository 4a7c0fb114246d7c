/**
 * Pre-flight for notarization: from the readiness reports of every Mach-O that would be submitted, the findings that
 * make Apple's notary service CERTAIN to reject the submission, each with the message and `docUrl` Apple's developer
 * log gives for it (apple-rules §3.2) and our one-line fix. Pure: reports in, findings out.
 *
 * Why only certain rejections: `notarize` refuses to upload when there is any finding (unless `--force`), so a finding
 * must never be a guess. Warnings (the identifier, architectures, restricted entitlements, an SDK we cannot read) are
 * left to `inspect`. The readiness checks stay the one place the facts are judged; this module only selects their
 * failures and, per slice, drops the ones Apple words differently or does not judge:
 * - an unsigned slice is "not signed", not also "not signed with a valid Developer ID certificate" (Apple's logs for
 *   unsigned code list "not signed", the timestamp and the hardened runtime);
 * - the hardened runtime and get-task-allow are required of executables ("The executable ..."), not of libraries;
 * - an entitlements blob that cannot be read is "Embedded entitlements are invalid", not also "invalid signature";
 * - get-task-allow is certain only when a readable entitlements blob sets it (an unreadable one is
 *   `entitlements/well-formed`'s finding).
 * A signature that does not chain to Apple's root (a self-made or test "Developer ID Application" certificate) is a
 * certain rejection: the notary service accepts only Developer ID certificates Apple issued.
 */
import type { CheckResult, InspectReport, PreflightFinding, SliceReport } from '../protocol';
import { requestsGetTaskAllow } from './readiness';

const RESOLVING =
  'https://developer.apple.com/documentation/security/notarizing_macos_software_before_distribution/resolving_common_notarization_issues#';

interface CertainRejection {
  appleMessage: string;
  docUrl: string;
  fix: string;
  /** Whether a failing slice really is rejected with this message (see the header). */
  applies?: (slice: SliceReport) => boolean;
}

/** The verification failure code of an entitlements blob that cannot be read (macho/signature.ts). */
const ENTITLEMENTS_MALFORMED = 'entitlements-malformed';

const isExecutable = (s: SliceReport) => s.fileType === 'execute';

/**
 * The rules whose failure Apple certainly rejects, in the order a user fixes them, with Apple's words. The `docUrl`s
 * are the anchors real logs give (apple-rules §3.2). Two are ours: Apple's logs give no known anchor for "too weak"
 * (we point to "Ensure a valid code signature"), and for malformed entitlements the observed log had `docUrl: null`
 * and the message "Embedded entitlements are invalid: <the parser's reason>" (we give the prefix, and the anchor of
 * "Ensure properly formatted entitlements").
 */
export const CERTAIN_REJECTIONS: Record<string, CertainRejection> = {
  'signature/present': {
    appleMessage: 'The binary is not signed.',
    docUrl: `${RESOLVING}3087721`,
    fix: 'Sign every file (each slice, after lipo) with your Developer ID Application identity, the hardened runtime and a secure timestamp.',
  },
  'signature/intact': {
    appleMessage: 'The signature of the binary is invalid.',
    docUrl: `${RESOLVING}3087735`,
    fix: 'The file changed after signing (strip, lipo, a patch, a zip tool): make every change first and sign last.',
    // Unreadable entitlements also fail verification; Apple words that as "Embedded entitlements are invalid" alone.
    applies: (s) => s.verification.failures.some((f) => f.code !== ENTITLEMENTS_MALFORMED),
  },
  'signature/developer-id': {
    appleMessage: 'The binary is not signed with a valid Developer ID certificate.',
    docUrl: `${RESOLVING}3087721`,
    fix: 'Re-sign with a "Developer ID Application" certificate issued by Apple (not ad hoc, the Go linker\'s signature, a development or a self-made certificate).',
    applies: (s) => s.signature !== null,
  },
  'signature/hardened-runtime': {
    appleMessage: 'The executable does not have the hardened runtime enabled.',
    docUrl: `${RESOLVING}3087724`,
    fix: "Sign with the hardened runtime (codesign --options runtime, or the signer's runtime option).",
    applies: isExecutable,
  },
  'signature/secure-timestamp': {
    appleMessage: 'The signature does not include a secure timestamp.',
    docUrl: `${RESOLVING}3087733`,
    fix: "Sign with a secure timestamp from Apple's time-stamp service (codesign --timestamp; never --timestamp=none).",
  },
  'signature/algorithm': {
    appleMessage: 'The signature algorithm used is too weak.',
    docUrl: `${RESOLVING}3087735`,
    fix: 'Re-sign with a current signer (codesign, or go-macos-sign sign), which writes a SHA-256 CodeDirectory.',
  },
  'entitlements/well-formed': {
    appleMessage: 'Embedded entitlements are invalid',
    docUrl: `${RESOLVING}3561456`,
    fix: 'Fix the entitlements file (go-macos-sign lint; keep it an XML property list) and re-sign.',
  },
  'entitlements/get-task-allow': {
    appleMessage: 'The executable requests the com.apple.security.get-task-allow entitlement.',
    docUrl: `${RESOLVING}3087731`,
    fix: 'Remove com.apple.security.get-task-allow from the entitlements (it is for debuggers such as Delve) and re-sign.',
    applies: (s) => isExecutable(s) && requestsGetTaskAllow(s),
  },
  'macho/min-sdk': {
    appleMessage: 'The binary uses an SDK older than the 10.9 SDK.',
    docUrl: `${RESOLVING}3087723`,
    fix: 'Rebuild with a current Go toolchain (with cgo, also a current macOS SDK), then sign.',
  },
};

/** "arm64: no secure timestamp; x86_64: ..." → the part about one architecture. */
function detailFor(check: CheckResult, arch: string | null): string {
  if (arch === null) return check.message;
  const part = check.message.split('; ').find((p) => p.startsWith(`${arch}: `));
  return part ? part.slice(arch.length + 2) : check.message;
}

/** The certain rejections of one report (one file or bundle), in rule order, then slice order. */
export function preflightReport(report: InspectReport): PreflightFinding[] {
  const path = report.kind === 'app' && report.executable ? report.executable : report.path;
  const findings: PreflightFinding[] = [];
  for (const [ruleId, rejection] of Object.entries(CERTAIN_REJECTIONS)) {
    const check = report.checks.find((c) => c.id === ruleId);
    if (!check || check.status !== 'fail') continue;
    const base = { ruleId, appleMessage: rejection.appleMessage, docUrl: rejection.docUrl, fix: rejection.fix };
    if (!check.architectures) {
      // About the whole file (a bundle's resource seal): the slices that break the rule, or the file as a whole.
      findings.push({ path: report.kind === 'app' ? report.path : path, arch: null, ...base, detail: check.message });
      continue;
    }
    for (const arch of check.architectures) {
      const slice = report.architectures.find((s) => s.arch === arch);
      if (slice && rejection.applies && !rejection.applies(slice)) continue;
      findings.push({ path, arch, ...base, detail: detailFor(check, arch) });
    }
  }
  return findings;
}

/** The certain rejections of everything that would be submitted. */
export function preflight(reports: InspectReport[]): PreflightFinding[] {
  return reports.flatMap(preflightReport);
}
