/**
 * Readiness of a disk image (.dmg) and of a flat installer package (.pkg): pure functions from the report `inspect`
 * read (bundle/dmg.ts, bundle/pkg.ts) to one check each. Their contents are not inspected here: the Mach-O files a
 * .dmg or .pkg holds are checked by notarize's pre-flight where they can be read.
 */
import type { CheckResult, DiskImageReport, PackageReport, SignerKind } from '../protocol';
import type { RuleId } from '../rules';

function result(id: RuleId, status: CheckResult['status'], message: string): CheckResult {
  return { id, status, message };
}

const SIGNERS: Partial<Record<SignerKind, string>> = {
  adhoc: 'signed ad hoc (no certificate)',
  'developer-id-installer': 'signed with a Developer ID Installer certificate',
  'developer-id-application': 'signed with a Developer ID Application certificate',
  other: 'signed with a certificate that does not chain to Apple',
};

function signerText(kind: SignerKind | undefined, commonName: string | null | undefined): string {
  const base = SIGNERS[kind ?? 'other'] ?? `signed by an ${kind} identity`;
  return commonName ? `${base} (${commonName})` : base;
}

/** pass: Developer ID Application, intact; warn: unsigned, ad hoc or not Apple's; fail: modified or broken. */
export function checkDiskImageSignature(report: DiskImageReport): CheckResult {
  const sig = report.signature;
  if (!sig)
    return result(
      'dmg/signature',
      'warn',
      'the disk image is not signed: it has no cdhash to staple a ticket to or to look up offline',
    );
  if (sig.problems.length > 0)
    return result(
      'dmg/signature',
      'fail',
      `${sig.problems.slice(0, 3).join('; ')}${sig.problems.length > 3 ? ` (and ${sig.problems.length - 3} more)` : ''}`,
    );
  const leaf = sig.certificates?.[0]?.commonName;
  if (sig.signer !== 'developer-id-application') return result('dmg/signature', 'warn', signerText(sig.signer, leaf));
  return result('dmg/signature', 'pass', signerText(sig.signer, leaf));
}

/** pass: Developer ID Installer with a CMS x-signature; warn: no x-signature; fail: unsigned or another identity. */
export function checkPackageSignature(report: PackageReport): CheckResult {
  if (report.signatures.length === 0)
    return result('pkg/signature', 'fail', 'the package is not signed: notarytool submits only signed packages');
  const wrong = report.signatures.filter((s) => s.signer !== 'developer-id-installer');
  if (wrong.length > 0)
    return result(
      'pkg/signature',
      'fail',
      wrong.map((s) => `<${s.element}> ${signerText(s.signer, s.certificates[0]?.commonName)}`).join('; '),
    );
  const leaf = report.signatures[0].certificates[0]?.commonName;
  if (!report.signatures.some((s) => s.element === 'x-signature'))
    return result(
      'pkg/signature',
      'warn',
      `${signerText('developer-id-installer', leaf)}, but only with an RSA <signature>: without the CMS <x-signature> the package cannot be stapled`,
    );
  return result('pkg/signature', 'pass', signerText('developer-id-installer', leaf));
}

export function runDiskImageChecks(report: DiskImageReport): CheckResult[] {
  return [checkDiskImageSignature(report)];
}

export function runPackageChecks(report: PackageReport): CheckResult[] {
  return [checkPackageSignature(report)];
}
