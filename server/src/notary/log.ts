/**
 * The notary service's developer log (what `notarytool log ID` prints): its status, its issues, and the cdhashes the
 * ticket covers. Shape as seen in real logs (apple-rules §3): `status`, `statusSummary`, `issues` (null or a list of
 * {severity, code, path, message, docUrl, architecture}) and `ticketContents` (null or a list of
 * {path, digestAlgorithm, cdhash, arch}). Anything else is ignored; anything missing is tolerated.
 */
import type { NotarizeResult, NotaryIssue } from '../protocol';

export type NotaryStatus = 'Accepted' | 'Invalid' | 'Rejected' | 'In Progress' | string;

export interface NotaryLog {
  status: NotaryStatus;
  statusSummary: string | null;
  jobId: string | null;
  issues: NotaryIssue[];
  /** cdhashes (lowercase hex) in the ticket, from `ticketContents`. */
  ticketCdhashes: string[];
}

/** Likely causes in a Go build for the notary service's common messages, from apple-rules §3.2. */
const GO_CAUSES: { match: RegExp; cause: string }[] = [
  {
    match: /not signed with a valid Developer ID certificate/i,
    cause:
      'The Go linker\'s ad-hoc signature was never replaced, or a development identity was used: sign with "Developer ID Application: NAME (TEAMID)" and --force.',
  },
  {
    match: /binary is not signed/i,
    cause: 'darwin/amd64 Go output is unsigned (the linker only signs arm64): sign every file, after lipo.',
  },
  {
    match: /does not include a secure timestamp/i,
    cause: 'codesign ran without --timestamp, or with --timestamp=none.',
  },
  { match: /hardened runtime/i, cause: 'codesign ran without --options runtime.' },
  {
    match: /get-task-allow/i,
    cause:
      'The entitlements file sets com.apple.security.get-task-allow (a debug entitlement, for Delve): remove it for release.',
  },
  {
    match: /SDK older than the 10\.9 SDK/i,
    cause: 'Built with Go 1.12 or older, or an old external C toolchain: rebuild with a current Go.',
  },
  {
    match: /signature of the binary is invalid/i,
    cause:
      'The file changed after signing (strip, lipo, upx, install_name_tool, or a zip tool that mangles files): modify first, sign last, zip with ditto.',
  },
  { match: /too weak/i, cause: 'A legacy SHA-1-only signature: re-sign with a current codesign.' },
  {
    match: /Embedded entitlements are invalid/i,
    cause:
      'The entitlements file was not a well-formed XML property list when signed (binary, truncated or mangled in transit): check it with go-macos-sign lint and re-sign.',
  },
];

export function goCause(message: string): string | undefined {
  return GO_CAUSES.find((c) => c.match.test(message))?.cause;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

export function parseNotaryLog(text: string): NotaryLog {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error('the notary log is not JSON');
  }
  if (typeof raw !== 'object' || raw === null) throw new Error('the notary log is not a JSON object');
  const log = raw as Record<string, unknown>;
  const issues = (Array.isArray(log.issues) ? log.issues : []).flatMap((i): NotaryIssue[] => {
    if (typeof i !== 'object' || i === null) return [];
    const issue = i as Record<string, unknown>;
    const message = str(issue.message) ?? '';
    const parsed: NotaryIssue = {
      severity: str(issue.severity) ?? 'error',
      path: str(issue.path),
      architecture: str(issue.architecture),
      message,
      docUrl: str(issue.docUrl),
      code: typeof issue.code === 'string' || typeof issue.code === 'number' ? issue.code : null,
    };
    const cause = goCause(message);
    if (cause) parsed.goCause = cause;
    return [parsed];
  });
  const ticketCdhashes = (Array.isArray(log.ticketContents) ? log.ticketContents : []).flatMap((t) => {
    const cdhash = typeof t === 'object' && t !== null ? str((t as Record<string, unknown>).cdhash) : null;
    return cdhash && /^[0-9a-f]+$/i.test(cdhash) ? [cdhash.toLowerCase()] : [];
  });
  return {
    status: str(log.status) ?? 'unknown',
    statusSummary: str(log.statusSummary),
    jobId: str(log.jobId),
    issues,
    ticketCdhashes,
  };
}

/**
 * The verdict as `notarize` reports it, whichever backend asked: `covered` only when the notary accepted the archive
 * and its ticket lists every cdhash of the artifact here (a ticket for another build does not make this one notarized).
 */
export function notarizeResult(r: Omit<NotarizeResult, 'covered'>): NotarizeResult {
  const ticket = new Set(r.ticketCdhashes);
  const covered = r.status === 'Accepted' && r.localCdhashes.length > 0 && r.localCdhashes.every((c) => ticket.has(c));
  return { ...r, covered };
}
