/**
 * `inspect --online`: asks Apple's ticket service whether the artifacts of inspection reports are notarized, and adds
 * the answer to each report (`notarization`, and the readiness check `notarization/ticket`).
 *
 * Contract:
 * - Every cdhash of every report goes into ONE lookup (`notary/ticketLookup.ts`): a slice's SHA-256 CodeDirectory
 *   (SHA-1 when it has none) for a Mach-O or an .app's main executable; the record the image's or package's own
 *   signature gives for a .dmg or .pkg. Only those record names leave the machine.
 * - Nothing here throws for network trouble: an offline lookup leaves `ticket: "unknown"` and a not-applicable check.
 *   Only a refused `GO_MACOS_SIGN_TICKET_URL` (plain http to another host, not a URL) is an InputError.
 * - Reports are changed in place and returned; nothing is looked up when there is no cdhash at all.
 */
import { lookupTickets, LookupOptions, recordName, TicketQuery, ticketQueryFor } from './notary/ticketLookup';
import { checkNotarizationTicket, ticketSummary } from './checks/notarization';
import type { InspectReport, TicketRecordStatus } from './protocol';

interface Wanted {
  query: TicketQuery;
  arch: string | null;
}

const RECORD = /^2\/([12])\/([0-9a-f]{40})$/;

/** The records a report's notarization is looked up by. */
export function ticketQueriesOf(report: InspectReport): Wanted[] {
  const own = report.diskImage?.ticketRecord ?? report.package?.ticketRecord;
  if (own !== undefined) {
    const m = own === null ? null : RECORD.exec(own);
    return m ? [{ query: { digestType: Number(m[1]) as 1 | 2, cdhash: m[2] }, arch: null }] : [];
  }
  const out: Wanted[] = [];
  for (const slice of report.architectures) {
    const query = slice.signature ? ticketQueryFor(slice.signature.codeDirectories) : null;
    if (query) out.push({ query, arch: slice.arch });
  }
  return out;
}

export async function addNotarization(reports: InspectReport[], options: LookupOptions = {}): Promise<InspectReport[]> {
  const wanted = reports.map(ticketQueriesOf);
  const queries = wanted.flat().map((w) => w.query);
  const answers = queries.length > 0 ? await lookupTickets(queries, options) : new Map();
  const checkedAt = new Date((options.now ?? Date.now)()).toISOString();
  reports.forEach((report, i) => {
    const records: TicketRecordStatus[] = wanted[i].map(({ query, arch }) => {
      const answer = answers.get(query.cdhash) ?? { status: 'unknown', reason: 'not asked' };
      return {
        record: recordName(query),
        cdhash: query.cdhash,
        arch,
        status: answer.status,
        ...(answer.status === 'unknown' ? { reason: answer.reason } : {}),
      };
    });
    report.notarization = {
      ticket: ticketSummary(records),
      cdhashes: [...new Set(records.map((r) => r.cdhash))],
      checkedAt,
      records,
    };
    report.checks.push(checkNotarizationTicket(report.notarization));
  });
  return reports;
}
