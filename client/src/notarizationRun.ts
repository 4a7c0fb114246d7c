/**
 * The notarization runs the editor keeps track of, so that a release can be left alone: what the status bar says while
 * a submission is in flight (read from the CLI's progress lines), which runs to take up again when VS Code starts
 * (the records this workspace keeps, joined with the CLI's saved submissions), and the one sentence and actions the
 * verdict notification offers. Pure (no `vscode` import): unit-tested; notarizeCommand.ts does the I/O.
 */
import type { NotarizeResult, StapleResult, Submission } from '../../server/src/protocol';

/** A wait that timed out: the submission is still Apple's to judge, so the run stays remembered. */
export function stillWaiting(r: NotarizeResult | { error: string }): boolean {
  return !('error' in r) && r.status === 'In Progress';
}

/** What the workspace remembers of a run it started (workspaceState), until the run's verdict is recorded. */
export interface PendingRun {
  /** When the user asked (ISO-8601). */
  startedAt: string;
  /** Known once the CLI said it created (or resumed) the submission. */
  submissionId?: string;
  /** The service's last answer ("In Progress"), or what the CLI was doing ("uploading"). */
  state?: string;
}

export type PendingRuns = Record<string, PendingRun>;

/** What one progress line of `notarize` (its stderr; notary/submitApi.ts and the notarytool driver) tells. */
export interface RunProgress {
  submissionId?: string;
  state?: string;
}

const STATUS = /^submission ([0-9a-f-]{8,}): (In Progress|Accepted|Invalid|Rejected)\s*$/i;
const CREATED = /^submission ([0-9a-f-]{8,}) created\b/i;
const RESUMING = /^resuming submission ([0-9a-f-]{8,})\s*$/i;
// pipeline/steps.ts uploadProgress: `uploaded 48.0 of 120.0 MB (40%)` at each tenth of a large upload.
const UPLOADED = /^uploaded [\d.]+ of [\d.]+ MB \((\d{1,3})%\)$/;
const DONE_BEFORE = /^submission ([0-9a-f-]{8,}) already has a verdict for these bytes: (.+)$/i;

/** Reads one line the CLI printed while notarizing; undefined when it says nothing about the submission. */
export function runProgress(line: string): RunProgress | undefined {
  const text = line.trim();
  let m = STATUS.exec(text);
  if (m) return { submissionId: m[1], state: m[2] };
  if ((m = CREATED.exec(text))) return { submissionId: m[1], state: 'uploading' };
  if ((m = RESUMING.exec(text))) return { submissionId: m[1], state: 'waiting' };
  if ((m = DONE_BEFORE.exec(text))) return { submissionId: m[1], state: m[2].trim() };
  if (/^uploaded; waiting\b/i.test(text)) return { state: 'waiting' };
  if ((m = UPLOADED.exec(text))) return { state: `uploading ${m[1]}%` };
  if (/^zipped\b/i.test(text)) return { state: 'zipped' };
  return undefined;
}

/** The status-bar text of a run in flight: the artifact and where its submission stands. */
export function statusText(name: string, run: { state?: string } | undefined): string {
  const state = run?.state;
  return `$(sync~spin) Notarizing ${name}${state ? `: ${state}` : '…'}`;
}

/** The run's notification while it works: where the submission stands, and that leaving is safe. */
export function progressMessage(run: PendingRun): string {
  const id = run.submissionId ? ` (submission ${run.submissionId})` : '';
  return `${run.state ?? 'working'}${id}; saved: a reload or a restart of VS Code resumes the wait`;
}

/** The status bar's tooltip: enough to find the submission elsewhere (`go-macos-sign submissions`). */
export function statusTooltip(artifact: string, run: PendingRun | undefined): string {
  return [
    `Notarization of ${artifact}`,
    run?.submissionId ? `submission ${run.submissionId}` : 'not submitted yet',
    run?.state ? `state: ${run.state}` : undefined,
    'Saved: a reload or a restart of VS Code resumes the wait without uploading again.',
  ]
    .filter(Boolean)
    .join('\n');
}

/**
 * Which artifacts to resume when the extension starts: every saved submission still In Progress for an artifact of
 * this workspace (a CLI run in a terminal included, as before), and every run this workspace started that has a saved
 * submission at all (a verdict that arrived while VS Code was closed is read from the store without uploading). A run
 * that never got as far as a submission is not resumed: nothing was sent, and sending now is the user's choice.
 */
export function resumePlan(
  pending: PendingRuns,
  saved: readonly Submission[],
  inWorkspace: (artifact: string) => boolean,
): { resume: string[]; forget: string[] } {
  const resume = new Set<string>();
  for (const s of saved) if (s.status === 'In Progress' && inWorkspace(s.artifact)) resume.add(s.artifact);
  const forget: string[] = [];
  for (const [artifact, run] of Object.entries(pending)) {
    const submitted = saved.some(
      (s) =>
        s.artifact === artifact &&
        s.status !== 'Abandoned' &&
        (s.id === run.submissionId || s.submittedAt.localeCompare(run.startedAt) >= 0),
    );
    if (submitted && inWorkspace(artifact)) resume.add(artifact);
    else if (!resume.has(artifact)) forget.push(artifact);
  }
  return { resume: [...resume].sort(), forget: forget.sort() };
}

export type VerdictAction = 'Open Log' | 'Staple';

/** What the run's one notification says at the end, and the actions it offers. */
export interface VerdictNotice {
  text: string;
  actions: VerdictAction[];
}

/** Whether a ticket can be stapled to this artifact: an .app, a disk image or a flat package (not a bare binary). */
export function canCarryTicket(artifact: string): boolean {
  return /\.(app|dmg|pkg)\/?$/i.test(artifact);
}

/**
 * The verdict's sentence and actions. `staple` is what the automatic staple after an Accepted verdict reported
 * (undefined when none ran). "Staple" is offered when the artifact can carry a ticket that is not on it yet (Apple's
 * ticket is often published a little after the verdict); "Open Log" whenever the developer log was saved.
 */
export function verdictNotice(
  artifact: string,
  r: NotarizeResult | { error: string },
  staple: StapleResult | { error: string } | undefined,
): VerdictNotice {
  if ('error' in r) return { text: `failed: ${r.error}`, actions: [] };
  const actions: VerdictAction[] = r.log ? ['Open Log'] : [];
  if (r.status === 'In Progress')
    return {
      text: 'still In Progress when the wait timed out (goMacosSign.notarization.timeout). The submission is saved: Notarize… again, or the next start of VS Code, waits for it without uploading.',
      actions: [],
    };
  if (r.status !== 'Accepted')
    return {
      text: `${r.status}: ${r.issues.length} issue${r.issues.length === 1 ? '' : 's'} in the Problems panel.`,
      actions,
    };
  const coverage = r.covered
    ? 'the ticket covers every cdhash'
    : 'but the ticket does not list every cdhash of the file: was it changed after submission?';
  if (!canCarryTicket(artifact))
    return {
      text: `notarized (${coverage}); not stapled: a bare binary cannot carry a ticket, Gatekeeper checks it online.`,
      actions,
    };
  if (staple && !('error' in staple) && staple.stapled)
    return { text: `notarized (${coverage}) and stapled.`, actions };
  const why = staple ? ('error' in staple ? staple.error : staple.message) : 'not stapled yet';
  return { text: `notarized (${coverage}); not stapled: ${why}`, actions: [...actions, 'Staple'] };
}
