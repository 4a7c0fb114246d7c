/**
 * Readable text for the CLI: the inspection model and the readiness report, the way `codesign -dvvv` users expect to
 * read them, but for every slice at once. Pure functions from the model to lines.
 */
import { RULES, RuleId } from '../rules';
import type {
  CertificateInfo,
  CheckResult,
  DiskImageReport,
  InspectReport,
  NotarizationStatus,
  PackageReport,
  SignatureReport,
  SliceReport,
} from '../protocol';

export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
}

const ESC = '\u001b[';
export const COLOR: Style = {
  bold: (s) => `${ESC}1m${s}${ESC}22m`,
  dim: (s) => `${ESC}2m${s}${ESC}22m`,
  red: (s) => `${ESC}31m${s}${ESC}39m`,
  yellow: (s) => `${ESC}33m${s}${ESC}39m`,
  green: (s) => `${ESC}32m${s}${ESC}39m`,
};
export const PLAIN: Style = { bold: (s) => s, dim: (s) => s, red: (s) => s, yellow: (s) => s, green: (s) => s };

function field(label: string, value: string): string {
  return `    ${label.padEnd(14)}${value}`;
}

const KIND_LABEL: Partial<Record<InspectReport['kind'], string>> = {
  app: 'app bundle',
  dmg: 'disk image',
  pkg: 'installer package',
};

export function formatReport(report: InspectReport, style: Style): string[] {
  const archs = report.architectures.map((s) => s.arch).join(', ');
  const lines = [`${style.bold(report.path)}  ${KIND_LABEL[report.kind] ?? report.kind}${archs ? ` (${archs})` : ''}`];
  if (report.diskImage) lines.push(...formatDiskImage(report.diskImage, style));
  if (report.package) lines.push(...formatPackage(report.package, style));
  if (report.notarization) lines.push(formatNotarization(report.notarization, style));
  if (report.bundle) {
    lines.push(field('bundle id', report.bundle.identifier ?? '(none)'));
    lines.push(field('executable', `${report.bundle.executable} (Info.plist ${report.bundle.infoPlistFormat})`));
    lines.push(
      field('resources', report.bundle.codeResources ? 'sealed (_CodeSignature/CodeResources)' : 'not sealed'),
    );
    lines.push(field('stapled', report.bundle.stapledTicket ? 'yes (Contents/CodeResources)' : 'no'));
  }
  for (const slice of report.architectures) lines.push(...formatSlice(slice, style));
  lines.push(`  ${style.bold('readiness for notarization')}`);
  for (const check of report.checks) lines.push(formatCheck(check, style));
  return lines;
}

function formatCertificates(certificates: CertificateInfo[], style: Style, label = 'authority'): string[] {
  return certificates.map((cert, i) =>
    field(
      i === 0 ? label : '',
      `${cert.commonName ?? cert.subject}  ${style.dim(`(valid ${cert.notBefore.slice(0, 10)} to ${cert.notAfter.slice(0, 10)})`)}`,
    ),
  );
}

function formatDiskImage(image: DiskImageReport, style: Style): string[] {
  const lines = [field('koly', `version ${image.koly.version} · data fork ${image.koly.dataFork.length} bytes`)];
  const sig = image.signature;
  if (!sig) {
    lines.push(field('signature', style.red('none')));
  } else {
    lines.push(
      field(
        'signature',
        `${sig.signer ?? 'other'} · ${sig.size} bytes at ${sig.offset} · slots ${sig.slots.join(', ')}`,
      ),
    );
    for (const cd of sig.codeDirectories)
      lines.push(
        field('directory', `v${cd.version.replace(/^0x/, '')} ${cd.hashType} · ${cd.identifier} · cdhash ${cd.cdhash}`),
      );
    lines.push(...formatCertificates(sig.certificates ?? [], style));
    if (sig.timestamp) lines.push(field('timestamp', sig.timestamp));
    lines.push(
      sig.problems.length === 0
        ? field('verification', style.green('valid: the image and its trailer match the signed hashes'))
        : field('verification', style.red(`INVALID: ${sig.problems.join('; ')}`)),
    );
  }
  lines.push(field('stapled', image.stapledTicket ? 'yes (signature slot 0x10002)' : 'no'));
  return lines;
}

function formatPackage(pkg: PackageReport, style: Style): string[] {
  const lines = [
    field('checksum', `${pkg.checksum.style} ${pkg.checksum.value} ${style.green('(matches the table of contents)')}`),
    field('files', `${pkg.files.length}: ${pkg.files.slice(0, 8).join(', ')}${pkg.files.length > 8 ? ', ...' : ''}`),
  ];
  if (pkg.signatures.length === 0) lines.push(field('signature', style.red('none')));
  for (const sig of pkg.signatures) {
    lines.push(field('signature', `<${sig.element}> ${sig.style} · ${sig.signer}`));
    lines.push(...formatCertificates(sig.certificates, style));
  }
  lines.push(field('stapled', pkg.stapledTicket ? 'yes (t8lr trailer)' : 'no'));
  return lines;
}

function formatNotarization(status: NotarizationStatus, style: Style): string {
  const text =
    status.ticket === 'found'
      ? style.green('notarized (ticket found)')
      : status.ticket === 'not-found'
        ? status.records.some((r) => r.status === 'deleted')
          ? style.red('ticket withdrawn by Apple')
          : style.yellow('not notarized (no ticket)')
        : style.dim(
            `unknown (${[...new Set(status.records.map((r) => r.reason).filter(Boolean))].join('; ') || 'not asked'})`,
          );
  return field('notarization', `${text} · asked ${status.checkedAt}`);
}

function formatSlice(slice: SliceReport, style: Style): string[] {
  const os = slice.platform
    ? `${slice.platform} ${slice.minOS ?? '?'} (SDK ${slice.sdk ?? '?'})`
    : 'no platform version';
  const flags = slice.headerFlags.includes('PIE') ? ', PIE' : '';
  const lines = [
    `  ${style.bold(slice.arch)}  ${slice.fileType}${flags} · ${os}${slice.offset ? ` · at offset ${slice.offset}` : ''}`,
  ];
  lines.push(field('uuid', slice.uuid ?? 'none (no LC_UUID)'));
  if (!slice.signature) {
    lines.push(field('signature', style.red('none')));
    for (const w of slice.verification.warnings) lines.push(`      ${style.yellow('note:')} ${w}`);
    return lines;
  }
  lines.push(...formatSignature(slice.signature, style));
  const v = slice.verification;
  if (v.valid)
    lines.push(field('verification', style.green(`valid: ${v.pagesChecked} pages and every sealed component match`)));
  else {
    lines.push(
      field('verification', style.red(`INVALID (${v.failures.length} problem${v.failures.length === 1 ? '' : 's'})`)),
    );
    for (const f of v.failures.slice(0, 20)) lines.push(`      ${f.message}`);
    if (v.failures.length > 20) lines.push(`      ... and ${v.failures.length - 20} more`);
  }
  for (const w of v.warnings) lines.push(`      ${style.yellow('note:')} ${w}`);
  return lines;
}

function formatSignature(sig: SignatureReport, style: Style): string[] {
  const lines = [
    field(
      'signature',
      `${sig.kind}${sig.certificates.length > 0 && !sig.chainToAppleRoot ? style.yellow(' (certificate chain does not reach Apple Root CA)') : ''}`,
    ),
    field('identifier', sig.identifier),
    field('team id', sig.teamId ?? 'not set'),
    field('flags', sig.flags.length > 0 ? sig.flags.join(', ') : 'none'),
  ];
  for (const cd of sig.codeDirectories) {
    const runtime = cd.runtimeVersion ? ` runtime ${cd.runtimeVersion}` : '';
    lines.push(
      field(
        cd.slot === 0 ? 'directory' : 'alternate',
        `v${cd.version} ${cd.hashType} · ${cd.nCodeSlots} pages of ${cd.pageSize} · cdhash ${cd.cdhash}${runtime}`,
      ),
    );
  }
  for (const [i, cert] of sig.certificates.entries()) {
    lines.push(
      field(
        i === 0 ? 'authority' : '',
        `${cert.commonName ?? cert.subject}  ${style.dim(`(valid ${cert.notBefore.slice(0, 10)} to ${cert.notAfter.slice(0, 10)})`)}`,
      ),
    );
  }
  if (sig.timestamp)
    lines.push(
      field('timestamp', `${sig.timestamp.time}${sig.timestamp.authority ? ` by ${sig.timestamp.authority}` : ''}`),
    );
  else if (sig.signingTime)
    lines.push(field('signed time', `${sig.signingTime} (asserted by the signer, not a secure timestamp)`));
  const req = sig.requirements?.find((r) => r.type === 'designated');
  if (req) lines.push(field('designated', req.text ?? `(${req.bytes.length / 2} bytes, not decoded)`));
  lines.push(...formatEntitlementBlobs(sig, style));
  return lines;
}

/** One line when the forms agree; otherwise what each form says, so a disagreement or an unreadable blob is visible. */
function formatEntitlementBlobs(sig: SignatureReport, style: Style): string[] {
  const xml = sig.entitlementsXml;
  const der = sig.entitlementsDer;
  const same = xml && der ? JSON.stringify(xml) === JSON.stringify(der) : !xml || !der;
  if (sig.entitlementsUnreadable.length === 0 && same) {
    return [field('entitlements', sig.entitlements ? formatEntitlements(sig.entitlements) : 'none')];
  }
  return (['XML', 'DER'] as const).map((form) => {
    const bad = sig.entitlementsUnreadable.find((b) => b.form === form);
    const value = form === 'XML' ? xml : der;
    return field(
      form === 'XML' ? 'entitlements' : '',
      `(${form}) ${bad ? style.red(`unreadable: ${bad.reason}`) : value ? formatEntitlements(value) : 'none'}`,
    );
  });
}

function formatEntitlements(entitlements: Record<string, unknown>): string {
  const keys = Object.keys(entitlements);
  if (keys.length === 0) return '(empty)';
  return keys.map((k) => `${k}=${JSON.stringify(entitlements[k])}`).join(', ');
}

function formatCheck(check: CheckResult, style: Style): string {
  const mark = {
    pass: style.green('pass'),
    warn: style.yellow('warn'),
    fail: style.red('FAIL'),
    'n/a': style.dim('n/a '),
  }[check.status];
  const title = RULES[check.id as RuleId]?.title ?? check.id;
  return `    ${mark}  ${check.id.padEnd(40)} ${check.status === 'pass' ? style.dim(check.message || title) : check.message}`;
}
