/**
 * The online readiness check `notarization/ticket`: what Apple's ticket service answered for every cdhash of an
 * artifact (`inspect --online`) → one result. Pure.
 *
 * A withdrawn ticket (a deleted record) fails: Gatekeeper refuses the file, and nothing but a new, notarized build
 * helps. A missing ticket only warns: every build lacks one until it is notarized, and `inspect --online` before
 * `notarize` must not fail a release script for that. No answer (offline) is not applicable, never a failure.
 */
import type { CheckResult, NotarizationStatus, TicketRecordStatus } from '../protocol';
import type { RuleId } from '../rules';

const ID: RuleId = 'notarization/ticket';

function named(records: TicketRecordStatus[]): string {
  return records.map((r) => (r.arch ? `${r.arch} (${r.record})` : r.record)).join(', ');
}

export function checkNotarizationTicket(status: NotarizationStatus): CheckResult {
  const { records } = status;
  const by = (s: TicketRecordStatus['status']) => records.filter((r) => r.status === s);
  const archs = (list: TicketRecordStatus[]) => {
    const a = [...new Set(list.flatMap((r) => (r.arch ? [r.arch] : [])))];
    return a.length > 0 ? { architectures: a } : {};
  };
  if (records.length === 0) return { id: ID, status: 'n/a', message: 'not signed: there is no cdhash to look up' };
  const deleted = by('deleted');
  if (deleted.length > 0)
    return {
      id: ID,
      status: 'fail',
      message: `Apple withdrew the notarization ticket of ${named(deleted)}: Gatekeeper refuses it`,
      ...archs(deleted),
    };
  const missing = by('not-found');
  if (missing.length > 0)
    return {
      id: ID,
      status: 'warn',
      message: `Apple's ticket service has no ticket for ${named(missing)}: not notarized (yet)`,
      ...archs(missing),
    };
  const unknown = by('unknown');
  if (unknown.length > 0)
    return {
      id: ID,
      status: 'n/a',
      message: `not checked: ${[...new Set(unknown.map((r) => r.reason ?? 'no answer'))].join('; ')}`,
    };
  return {
    id: ID,
    status: 'pass',
    message: `notarized: Apple's ticket service has a ticket for ${records.length === 1 ? 'its cdhash' : `all ${records.length} cdhashes`}`,
  };
}

/** The per-path summary of per-record answers (see NotarizationStatus). */
export function ticketSummary(records: TicketRecordStatus[]): NotarizationStatus['ticket'] {
  if (records.some((r) => r.status === 'deleted' || r.status === 'not-found')) return 'not-found';
  if (records.length === 0) return 'not-found';
  return records.every((r) => r.status === 'found') ? 'found' : 'unknown';
}
