/**
 * What the macOS Signing view shows for an artifact: an overall state from the engine's inspect report plus what the
 * extension remembers of its notarization, and the children (checks, entitlements, certificates, cdhash, timestamp).
 * Pure (no `vscode` import; the report's types are imported type-only): unit-tested.
 */
import type { CertificateInfo, InspectReport } from '../../server/src/protocol';

export type ArtifactState = 'unsigned' | 'ad-hoc' | 'signed' | 'ready' | 'notarized' | 'stapled' | 'broken';

export interface NotarizationRecord {
  status: string;
  submissionId: string;
  /** The cdhashes the ticket covered; the record holds only while the artifact still has them. */
  cdhashes: string[];
  log?: string | null;
}

/** Codicon per state, distinct for each. */
export const STATE_ICON: Record<ArtifactState, string> = {
  unsigned: 'circle-slash',
  'ad-hoc': 'unverified',
  signed: 'key',
  ready: 'pass',
  notarized: 'verified-filled',
  stapled: 'pinned',
  broken: 'error',
};

export const STATE_LABEL: Record<ArtifactState, string> = {
  unsigned: 'unsigned',
  'ad-hoc': 'ad-hoc',
  signed: 'signed',
  ready: 'ready to notarize',
  notarized: 'notarized',
  stapled: 'notarized, stapled',
  broken: 'broken',
};

export function cdhashesOf(report: InspectReport): string[] {
  return report.architectures.flatMap((a) => (a.signature ? [a.signature.cdhash] : []));
}

/**
 * What Apple's ticket service said (only when `goMacosSign.checkTicketsOnline` is on): a label for the view, or
 * undefined when it was not asked or could not answer (offline shows nothing rather than a guess).
 */
export function ticketLabel(report: InspectReport): string | undefined {
  const ticket = report.notarization?.ticket;
  if (ticket === 'found') return 'notarized (ticket found)';
  if (ticket === 'not-found') return 'not notarized (no ticket)';
  return undefined;
}

/** What the view shows before the state: the architectures, or what kind of container it is. */
export function artifactKindLabel(report: InspectReport): string {
  if (report.kind === 'dmg') return 'disk image';
  if (report.kind === 'pkg') return 'installer package';
  return report.architectures.map((a) => a.arch).join(' + ') || 'no code';
}

/** A disk image's or package's state, from its own signature (its contents are not inspected). */
function containerState(report: InspectReport): ArtifactState {
  const image = report.diskImage?.signature;
  if (report.diskImage && !image) return 'unsigned';
  if (image && image.problems.length > 0) return 'broken';
  if (report.package && report.package.signatures.length === 0) return 'unsigned';
  if (report.notarization?.ticket === 'found') return report.stapledTicket ? 'stapled' : 'notarized';
  if (report.stapledTicket) return 'stapled';
  if (image?.signer === 'adhoc') return 'ad-hoc';
  return report.checks.every((c) => c.status !== 'fail') ? 'ready' : 'signed';
}

export function artifactState(report: InspectReport, notarized?: NotarizationRecord): ArtifactState {
  if (report.kind === 'dmg' || report.kind === 'pkg') return containerState(report);
  const slices = report.architectures;
  if (slices.some((a) => a.signature && !a.verification.valid)) return 'broken';
  if (
    report.bundle?.resourceSeal &&
    (report.bundle.resourceSeal.problems.length > 0 || report.bundle.resourceSeal.error)
  )
    return 'broken';
  if (slices.length === 0 || slices.some((a) => !a.signature)) return 'unsigned';
  const own = cdhashesOf(report);
  const online = report.notarization?.ticket === 'found';
  if (online || (notarized?.status === 'Accepted' && own.every((c) => notarized.cdhashes.includes(c))))
    return report.bundle?.stapledTicket ? 'stapled' : 'notarized';
  if (report.bundle?.stapledTicket) return 'stapled';
  if (slices.every((a) => a.signature?.kind === 'linker-signed' || a.signature?.kind === 'adhoc')) return 'ad-hoc';
  return report.checks.every((c) => c.status !== 'fail') ? 'ready' : 'signed';
}

export interface DetailNode {
  kind: 'check' | 'entitlements' | 'entitlement' | 'certificate' | 'cdhash' | 'timestamp' | 'group';
  label: string;
  description?: string;
  tooltip?: string;
  icon: string;
  /** For checks: the rule's page. */
  link?: string;
  /** For cdhash: the value to copy. */
  value?: string;
  children?: DetailNode[];
}

const CHECK_ICON = { pass: 'pass', warn: 'warning', fail: 'error', 'n/a': 'circle-outline' } as const;

/** The children of an artifact node. `ruleUrl` gives a rule's page (kept outside so this stays free of the catalog). */
export function artifactDetails(report: InspectReport, ruleUrl: (id: string) => string): DetailNode[] {
  const nodes: DetailNode[] = report.checks.map((c) => ({
    kind: 'check',
    label: c.id,
    description: c.status,
    tooltip: `${c.message}\n\n${ruleUrl(c.id)}`,
    icon: CHECK_ICON[c.status],
    link: ruleUrl(c.id),
  }));
  nodes.push(...containerDetails(report));
  for (const slice of report.architectures) {
    const sig = slice.signature;
    if (!sig) continue;
    const prefix = report.architectures.length > 1 ? `${slice.arch}: ` : '';
    nodes.push({
      kind: 'cdhash',
      label: `${prefix}cdhash`,
      description: sig.cdhash,
      tooltip: 'Click the copy button to copy',
      icon: 'symbol-key',
      value: sig.cdhash,
    });
    if (sig.timestamp)
      nodes.push({
        kind: 'timestamp',
        label: `${prefix}secure timestamp`,
        description: sig.timestamp.time,
        tooltip: sig.timestamp.authority ?? undefined,
        icon: 'clock',
      });
    if (sig.certificates.length > 0) {
      nodes.push({
        kind: 'group',
        label: `${prefix}certificate chain`,
        icon: 'shield',
        children: sig.certificates.map((c) => ({
          kind: 'certificate',
          label: c.commonName ?? c.subject,
          description: c.pinnedRoot ? 'Apple root (pinned)' : undefined,
          tooltip: `${c.subject}\nissued by ${c.issuer}\nvalid ${c.notBefore} – ${c.notAfter}`,
          icon: 'verified',
        })),
      });
    }
    const entitlements = sig.entitlements ?? sig.entitlementsDer;
    if (entitlements && Object.keys(entitlements).length > 0) {
      nodes.push({
        kind: 'entitlements',
        label: `${prefix}entitlements`,
        icon: 'list-unordered',
        children: Object.entries(entitlements).map(([k, v]) => ({
          kind: 'entitlement',
          label: k,
          description: JSON.stringify(v),
          icon: 'symbol-property',
        })),
      });
    }
  }
  return nodes;
}

function certificateNodes(label: string, certificates: CertificateInfo[]): DetailNode[] {
  if (certificates.length === 0) return [];
  return [
    {
      kind: 'group',
      label,
      icon: 'shield',
      children: certificates.map((c) => ({
        kind: 'certificate',
        label: c.commonName ?? c.subject,
        description: c.pinnedRoot ? 'Apple root (pinned)' : undefined,
        tooltip: `${c.subject}\nissued by ${c.issuer}\nvalid ${c.notBefore} – ${c.notAfter}`,
        icon: 'verified',
      })),
    },
  ];
}

/** A disk image's cdhash and certificates, a package's checksum and certificates. */
function containerDetails(report: InspectReport): DetailNode[] {
  const nodes: DetailNode[] = [];
  const image = report.diskImage?.signature;
  if (image?.codeDirectories[0]) {
    const cdhash = image.codeDirectories[0].cdhash;
    nodes.push({ kind: 'cdhash', label: 'cdhash', description: cdhash, icon: 'symbol-key', value: cdhash });
    nodes.push(...certificateNodes('certificate chain', image.certificates ?? []));
  }
  const pkg = report.package;
  if (pkg) {
    nodes.push({
      kind: 'cdhash',
      label: `${pkg.checksum.style} checksum`,
      description: pkg.checksum.value,
      icon: 'symbol-key',
      value: pkg.checksum.value,
    });
    for (const sig of pkg.signatures)
      nodes.push(...certificateNodes(`<${sig.element}> certificates`, sig.certificates));
  }
  return nodes;
}
