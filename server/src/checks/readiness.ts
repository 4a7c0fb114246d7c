/**
 * Notarization readiness: pure functions from the inspection model to pass/warn/fail results, one per rule.
 *
 * Each check reads facts the parsers already established (no re-parsing) and names the architectures it is about.
 * Rules, their explanations and sources are in the rule catalog (`rules/`).
 */
import type {
  CheckOptions,
  CheckResult,
  CheckStatus,
  ResourceSeal,
  SignerKind,
  SliceReport,
  TimestampInfo,
} from '../protocol';
import { GET_TASK_ALLOW, meansTrue, RESTRICTED_PREFIX } from '../rules/entitlementFacts';
import { RuleId } from '../rules';

export interface ReadinessInput {
  kind: 'macho' | 'universal' | 'app';
  slices: SliceReport[];
  /** For bundles: whether Contents/embedded.provisionprofile exists. */
  hasProvisioningProfile?: boolean;
  /** For bundles: the file-by-file check of _CodeSignature/CodeResources. */
  resourceSeal?: ResourceSeal | null;
}

const SIGNER_DESCRIPTIONS: Record<SignerKind, string> = {
  none: 'unsigned',
  'linker-signed': 'linker-signed (the automatic ad-hoc signature of `go build` / ld64)',
  adhoc: 'ad-hoc signed (codesign -s -)',
  'developer-id-application': 'Developer ID Application',
  'developer-id-installer': 'Developer ID Installer (for .pkg files, not code)',
  'apple-development': 'Apple Development (a development identity)',
  'apple-distribution': 'Apple Distribution (Mac App Store only)',
  other: 'a certificate that does not chain to Apple',
};

/** The default architecture set when none is configured: any of these, alone or together. */
const SHIPPABLE_ARCHS = ['arm64', 'x86_64'];
const MIN_SDK = 0x000a0900; // 10.9.0

function result(id: RuleId, status: CheckStatus, message: string, architectures?: string[]): CheckResult {
  return architectures && architectures.length > 0 ? { id, status, message, architectures } : { id, status, message };
}

/** Groups slices failing a predicate and reports them, or passes with `passMessage`. */
function perSlice(
  id: RuleId,
  slices: SliceReport[],
  bad: (s: SliceReport) => string | null,
  passMessage: string,
): CheckResult {
  const problems = slices.map((s) => ({ arch: s.arch, why: bad(s) })).filter((p) => p.why !== null);
  if (problems.length === 0) return result(id, 'pass', passMessage);
  return result(
    id,
    'fail',
    problems.map((p) => `${p.arch}: ${p.why}`).join('; '),
    problems.map((p) => p.arch),
  );
}

export function checkSignaturePresent(input: ReadinessInput): CheckResult {
  return perSlice(
    'signature/present',
    input.slices,
    (s) => (s.signature ? null : 'no code signature'),
    'every architecture carries a code signature',
  );
}

export function checkSignatureIntact(input: ReadinessInput): CheckResult {
  const seal = input.resourceSeal;
  if (seal?.error) return result('signature/intact', 'fail', `the resource seal cannot be read: ${seal.error}`);
  if (seal && seal.problems.length > 0) {
    const listed = seal.problems
      .slice(0, 5)
      .map((p) => `${p.path} (${p.kind})`)
      .join(', ');
    return result(
      'signature/intact',
      'fail',
      `bundle files changed after signing: ${listed}${seal.problems.length > 5 ? `, and ${seal.problems.length - 5} more` : ''}`,
    );
  }
  const signed = input.slices.filter((s) => s.signature);
  if (signed.length === 0) return result('signature/intact', 'n/a', 'nothing is signed');
  return perSlice(
    'signature/intact',
    signed,
    (s) => {
      if (s.verification.valid) return null;
      const [first, ...rest] = s.verification.failures;
      return `${first.message}${rest.length > 0 ? ` (and ${rest.length} more)` : ''}`;
    },
    `the signature matches the file (${signed.reduce((n, s) => n + s.verification.pagesChecked, 0)} pages checked)`,
  );
}

export function checkDeveloperId(input: ReadinessInput): CheckResult {
  return perSlice(
    'signature/developer-id',
    input.slices,
    (s) => {
      const kind = s.signature?.kind ?? 'none';
      return kind === 'developer-id-application' ? null : SIGNER_DESCRIPTIONS[kind];
    },
    `signed by ${input.slices[0]?.signature?.certificates[0]?.commonName ?? 'a Developer ID Application certificate'}`,
  );
}

export function checkHardenedRuntime(input: ReadinessInput): CheckResult {
  return perSlice(
    'signature/hardened-runtime',
    input.slices,
    (s) =>
      !s.signature
        ? 'unsigned'
        : s.signature.hardenedRuntime
          ? null
          : 'the runtime flag is not set (sign with --options runtime)',
    'the hardened runtime is enabled',
  );
}

export function checkSecureTimestamp(input: ReadinessInput): CheckResult {
  return perSlice(
    'signature/secure-timestamp',
    input.slices,
    (s) => {
      const ts = s.signature?.timestamp;
      if (!s.signature) return 'unsigned';
      if (!ts)
        return s.signature.signingTime
          ? `only a signer-asserted signing time (${s.signature.signingTime}), no secure timestamp`
          : 'no secure timestamp';
      if (!ts.imprintValid || !ts.signatureValid) return 'the timestamp token does not verify';
      if (!ts.certificatesIntact)
        return 'a certificate in the timestamp token is damaged, so the timestamp cannot be trusted';
      return null;
    },
    describeTimestamp(input.slices[0]?.signature?.timestamp),
  );
}

function describeTimestamp(ts: TimestampInfo | null | undefined): string {
  if (!ts) return 'a secure timestamp is present';
  return `timestamped ${ts.time}${ts.authority ? ` by ${ts.authority}` : ''}`;
}

/** Notarization rejects get-task-allow "set to any variation of true". */
function isTruthy(value: unknown): boolean {
  if (value === true || value === 1) return true;
  return typeof value === 'string' && meansTrue(value);
}

/** Every entitlements dictionary a slice carries (XML and DER: macOS enforces DER, older systems and tools read XML). */
function entitlementSources(s: SliceReport): Record<string, unknown>[] {
  return [s.signature?.entitlementsXml, s.signature?.entitlementsDer].filter((e): e is Record<string, unknown> => !!e);
}

/** "the XML entitlements cannot be read (…)" for blobs that are present but unreadable, or null. */
function unreadable(s: SliceReport): string | null {
  const blobs = s.signature?.entitlementsUnreadable ?? [];
  return blobs.length > 0
    ? blobs.map((b) => `the ${b.form} entitlements cannot be read (${b.reason})`).join(' and ')
    : null;
}

/** Whether a readable entitlements blob of the slice sets get-task-allow to any variation of true. */
export function requestsGetTaskAllow(s: SliceReport): boolean {
  return entitlementSources(s).some((e) => isTruthy(e[GET_TASK_ALLOW]));
}

export function checkGetTaskAllow(input: ReadinessInput): CheckResult {
  const key = GET_TASK_ALLOW;
  return perSlice(
    'entitlements/get-task-allow',
    input.slices,
    (s) => {
      if (requestsGetTaskAllow(s)) return `${key} is true`;
      const why = unreadable(s);
      return why ? `${why}, so ${key} cannot be ruled out` : null;
    },
    `${key} is not set`,
  );
}

export function checkRestrictedEntitlements(input: ReadinessInput): CheckResult {
  const restricted = (s: SliceReport) =>
    [...new Set(entitlementSources(s).flatMap((e) => Object.keys(e)))].filter((k) => k.startsWith(RESTRICTED_PREFIX));
  const found = input.slices.filter((s) => restricted(s).length > 0);
  const unknown = input.slices.filter((s) => unreadable(s) !== null);
  if (found.length === 0) {
    if (unknown.length > 0) {
      return result(
        'entitlements/restricted-needs-profile',
        'warn',
        unknown.map((s) => `${s.arch}: ${unreadable(s)}`).join('; '),
        unknown.map((s) => s.arch),
      );
    }
    return result(
      'entitlements/restricted-needs-profile',
      'pass',
      'no restricted (com.apple.developer.*) entitlements',
    );
  }
  const keys = [...new Set(found.flatMap(restricted))].join(', ');
  if (input.kind === 'app' && input.hasProvisioningProfile) {
    return result(
      'entitlements/restricted-needs-profile',
      'pass',
      `restricted entitlements (${keys}) with an embedded provisioning profile`,
    );
  }
  const where =
    input.kind === 'app'
      ? 'the bundle has no Contents/embedded.provisionprofile'
      : 'a bare executable cannot embed the provisioning profile they need';
  return result(
    'entitlements/restricted-needs-profile',
    'fail',
    `${keys}: ${where}`,
    found.map((s) => s.arch),
  );
}

/** Digest types a CodeDirectory may use that notarization accepts as strong (anything but SHA-1). */
const STRONG_HASHES = ['sha256', 'sha256-truncated', 'sha384'];

export function checkSignatureAlgorithm(input: ReadinessInput): CheckResult {
  const signed = input.slices.filter((s) => s.signature);
  if (signed.length === 0) return result('signature/algorithm', 'n/a', 'nothing is signed');
  return perSlice(
    'signature/algorithm',
    signed,
    (s) => {
      const types = s.signature!.codeDirectories.map((cd) => cd.hashType);
      if (types.some((t) => STRONG_HASHES.includes(t))) return null;
      return `every CodeDirectory uses ${[...new Set(types)].join(', ') || 'no known digest'}: no SHA-256 one`;
    },
    `a SHA-256 CodeDirectory is present`,
  );
}

export function checkEmbeddedEntitlements(input: ReadinessInput): CheckResult {
  const signed = input.slices.filter((s) => s.signature);
  if (signed.length === 0) return result('entitlements/well-formed', 'n/a', 'nothing is signed');
  return perSlice('entitlements/well-formed', signed, unreadable, 'the embedded entitlements, if any, can be read');
}

export function checkMinSdk(input: ReadinessInput): CheckResult {
  const missing = input.slices.filter((s) => s.sdk === null);
  const failing = perSlice(
    'macho/min-sdk',
    input.slices,
    (s) => (s.sdk !== null && sdkValue(s.sdk) < MIN_SDK ? `SDK ${s.sdk} is older than 10.9` : null),
    '',
  );
  if (failing.status === 'fail') return failing;
  if (missing.length > 0) {
    return result(
      'macho/min-sdk',
      'warn',
      `no LC_BUILD_VERSION or LC_VERSION_MIN_MACOSX records the SDK`,
      missing.map((s) => s.arch),
    );
  }
  return result('macho/min-sdk', 'pass', `SDK ${[...new Set(input.slices.map((s) => s.sdk))].join(', ')}`);
}

function sdkValue(version: string): number {
  const [major, minor = 0, patch = 0] = version.split('.').map(Number);
  return (major << 16) | (minor << 8) | patch;
}

export function checkArchitectures(input: ReadinessInput, options: CheckOptions): CheckResult {
  const present = input.slices.map((s) => s.arch);
  const list = present.join(', ');
  if (options.architectures.length > 0) {
    const missing = options.architectures.filter((a) => !present.includes(a));
    const extra = present.filter((a) => !options.architectures.includes(a));
    if (missing.length > 0)
      return result(
        'macho/architectures',
        'fail',
        `missing ${missing.join(', ')} (has ${list}; expected ${options.architectures.join(', ')})`,
      );
    if (extra.length > 0)
      return result(
        'macho/architectures',
        'warn',
        `also contains ${extra.join(', ')} (expected ${options.architectures.join(', ')})`,
        extra,
      );
    return result('macho/architectures', 'pass', list);
  }
  const unexpected = present.filter((a) => !SHIPPABLE_ARCHS.includes(a));
  if (unexpected.length > 0)
    return result('macho/architectures', 'warn', `${unexpected.join(', ')} is not arm64 or x86_64`, unexpected);
  return result('macho/architectures', 'pass', list);
}

export function checkIdentifier(input: ReadinessInput): CheckResult {
  const signed = input.slices.filter((s) => s.signature);
  if (signed.length === 0) return result('signature/identifier', 'n/a', 'nothing is signed');
  const ids = [...new Set(signed.map((s) => s.signature!.identifier))];
  // Names arrive escaped (macho/printable.ts); an unescaped \x or \u{ means the signature held non-printable bytes.
  const disguised = signed.filter((s) =>
    [s.signature!.identifier, s.signature!.teamId ?? ''].some((n) => /(^|[^\\])(\\\\)*\\(x[0-9a-f]{2}|u\{)/.test(n)),
  );
  if (disguised.length > 0) {
    const names = disguised
      .map(
        (s) => `${s.arch} "${s.signature!.identifier}"${s.signature!.teamId ? ` (team ${s.signature!.teamId})` : ''}`,
      )
      .join(', ');
    return result(
      'signature/identifier',
      'warn',
      `the identifier or team ID holds non-printable bytes, shown escaped: ${names}`,
      disguised.map((s) => s.arch),
    );
  }
  const linkerDefault = signed.filter((s) => s.signature!.identifier === 'a.out');
  if (linkerDefault.length > 0) {
    return result(
      'signature/identifier',
      'warn',
      'the identifier is "a.out", the linker\'s default; sign with --identifier com.example.tool',
      linkerDefault.map((s) => s.arch),
    );
  }
  if (ids.length > 1) {
    return result(
      'signature/identifier',
      'warn',
      `slices have different identifiers: ${signed.map((s) => `${s.arch} "${s.signature!.identifier}"`).join(', ')}`,
    );
  }
  return result('signature/identifier', 'pass', `"${ids[0]}"`);
}

/** All readiness checks, in the order a user fixes them. */
export function runReadinessChecks(input: ReadinessInput, options: CheckOptions): CheckResult[] {
  return [
    checkSignaturePresent(input),
    checkSignatureIntact(input),
    checkDeveloperId(input),
    checkHardenedRuntime(input),
    checkSecureTimestamp(input),
    checkSignatureAlgorithm(input),
    checkEmbeddedEntitlements(input),
    checkGetTaskAllow(input),
    checkRestrictedEntitlements(input),
    checkMinSdk(input),
    checkArchitectures(input, options),
    checkIdentifier(input),
  ];
}
