/**
 * What the Test Explorer shows for an artifact: its readiness as the tests a user asks about (signed, intact,
 * Developer ID, hardened runtime, secure timestamp, entitlements, then any other check the engine reports, notarized,
 * stapled), each passed, failed or skipped, from the language server's inspect report and what the extension remembers
 * of the artifact's notarization. The checks themselves live in the engine (server/src/checks/readiness.ts); this only
 * groups their results under those names, so a check the engine adds shows up here with no change (under its rule id).
 * Pure (no `vscode` import; protocol types only): unit-tested.
 */
import type { CheckResult, InspectReport } from '../../server/src/protocol';
import { artifactState, NotarizationRecord } from './artifactState';

export type Outcome = 'passed' | 'failed' | 'skipped';

export interface ReadinessTest {
  /** Stable within an artifact: one of the group ids below, or the rule id of a check outside the groups. */
  id: string;
  label: string;
  outcome: Outcome;
  /** What was found: one line per check of the group (rule id, status, the engine's message). */
  message: string;
  /** The rule whose page explains a failure: the first failing check's. */
  ruleId?: string;
}

/** The named groups, in the order a signature is built; a check joins the first group whose rule ids match it. */
const GROUPS: { id: string; label: string; has: (ruleId: string) => boolean }[] = [
  { id: 'signed', label: 'signed', has: (r) => r === 'signature/present' },
  { id: 'intact', label: 'intact', has: (r) => r === 'signature/intact' },
  { id: 'developer-id', label: 'Developer ID', has: (r) => r === 'signature/developer-id' },
  { id: 'hardened-runtime', label: 'hardened runtime', has: (r) => r === 'signature/hardened-runtime' },
  { id: 'timestamp', label: 'secure timestamp', has: (r) => r === 'signature/secure-timestamp' },
  // Every entitlements rule (well-formed, get-task-allow, restricted ones needing a profile, and any added later).
  { id: 'entitlements', label: 'entitlements', has: (r) => r.startsWith('entitlements/') },
];

/** The ids of the tests that do not come from one readiness check, in display order (the Test Explorer keeps these). */
export const NOTARIZED = 'notarized';
export const STAPLED = 'stapled';

function line(c: CheckResult): string {
  return `${c.id}: ${c.status} — ${c.message}`;
}

/** One test from the checks of a group: failed if any failed, skipped if none applies, passed otherwise (warnings say so in the message). */
function fromChecks(id: string, label: string, checks: CheckResult[]): ReadinessTest {
  if (checks.length === 0) return { id, label, outcome: 'skipped', message: 'not checked for this kind of artifact' };
  const failed = checks.find((c) => c.status === 'fail');
  const outcome: Outcome = failed ? 'failed' : checks.every((c) => c.status === 'n/a') ? 'skipped' : 'passed';
  const ordered = [...checks.filter((c) => c.status === 'fail'), ...checks.filter((c) => c.status !== 'fail')];
  return { id, label, outcome, message: ordered.map(line).join('\n'), ...(failed ? { ruleId: failed.id } : {}) };
}

/**
 * The readiness tests of one artifact. `record` is the extension's memory of Apple's verdict for this file; it counts
 * only while the file still has the cdhashes the ticket covered (artifactState decides that, as the view does).
 */
export function readinessTests(report: InspectReport, record?: NotarizationRecord): ReadinessTest[] {
  const grouped = new Set<CheckResult>();
  const tests = GROUPS.map((g) => {
    const checks = report.checks.filter((c) => g.has(c.id));
    checks.forEach((c) => grouped.add(c));
    return fromChecks(g.id, g.label, checks);
  });
  for (const c of report.checks) if (!grouped.has(c)) tests.push(fromChecks(c.id, c.id, [c]));

  const state = artifactState(report, record);
  const notarized = state === 'notarized' || state === 'stapled';
  tests.push({
    id: NOTARIZED,
    label: 'notarized',
    outcome: notarized ? 'passed' : 'failed',
    message: notarized
      ? report.bundle?.stapledTicket && !record
        ? 'a notarization ticket is stapled to the bundle'
        : report.notarization?.ticket === 'found' && !record
          ? "Apple's ticket database has a ticket for every cdhash of this file (goMacosSign.checkTicketsOnline)"
          : `Apple accepted submission ${record?.submissionId ?? ''} and its ticket covers every cdhash of this file`
      : record?.status === 'Accepted'
        ? `Apple accepted submission ${record.submissionId}, but the file changed since: its cdhashes are not in the ticket. Notarize it again.`
        : record
          ? `Apple's verdict on submission ${record.submissionId}: ${record.status}. Fix the issues and notarize again.`
          : 'no notarization from this editor covers this file: run Notarize.',
  });
  tests.push(
    report.kind !== 'app'
      ? {
          id: STAPLED,
          label: 'stapled',
          outcome: 'skipped',
          message: 'a bare Mach-O file cannot carry a ticket: Gatekeeper looks it up online (zip it, or ship an .app)',
        }
      : report.bundle?.stapledTicket
        ? {
            id: STAPLED,
            label: 'stapled',
            outcome: 'passed',
            message: 'the ticket is stapled in Contents/CodeResources',
          }
        : notarized
          ? {
              id: STAPLED,
              label: 'stapled',
              outcome: 'failed',
              message: 'notarized, but no ticket is stapled: run Staple so the app opens offline',
            }
          : { id: STAPLED, label: 'stapled', outcome: 'skipped', message: 'nothing to staple until Apple accepts it' },
  );
  return tests;
}
