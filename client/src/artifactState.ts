/**
 * What the macOS Signing view shows for an artifact: an overall state from the engine's inspect report plus what the
 * extension remembers of its notarization, and the children (checks, entitlements, certificates, cdhash, timestamp).
 * Pure (no `vscode` import; the report's types are imported type-only): unit-tested.
 */
import type { InspectReport } from '../../server/src/protocol';

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

export function artifactState(report: InspectReport, notarized?: NotarizationRecord): ArtifactState {
  const slices = report.architectures;
  if (slices.some((a) => a.signature && !a.verification.valid)) return 'broken';
  if (
    report.bundle?.resourceSeal &&
    (report.bundle.resourceSeal.problems.length > 0 || report.bundle.resourceSeal.error)
  )
    return 'broken';
  if (slices.length === 0 || slices.some((a) => !a.signature)) return 'unsigned';
  const own = cdhashesOf(report);
  if (notarized?.status === 'Accepted' && own.every((c) => notarized.cdhashes.includes(c)))
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
