/**
 * Credential-free notarization ticket lookup: the question Gatekeeper asks Apple online ("is there a ticket for this
 * cdhash?"), sent to the public CloudKit database Apple publishes tickets in. Only cdhashes leave the machine.
 *
 * Contract:
 * - `lookupTickets(queries, options)` sends ONE POST for all queries (every slice of a universal binary, every artifact
 *   of a folder) and answers, per cdhash (lower-case hex, the first 20 bytes): `found` with the ticket bytes,
 *   `not-found`, `deleted` (Apple withdrew the ticket: it is not a ticket), or `unknown` with a reason.
 * - Network trouble (offline, refused, timeout, an HTTP error, a body that is too large or not the expected JSON, the
 *   caller's cancellation) is `unknown`, never an exception: "is it notarized?" must not break `inspect`.
 *   Only a malformed query or a `GO_MACOS_SIGN_TICKET_URL` we refuse to use throws (InputError).
 * - Definite answers are cached in memory per URL and cdhash: found/deleted for an hour (a ticket rarely changes),
 *   not-found for two minutes (a ticket appears shortly after a submission is Accepted, and the user will ask again).
 * - The response is read up to a bound, and the whole exchange has a timeout.
 *
 * The request shape is rcodesign's (ticket_lookup.rs) and Apple's CloudKit Web Services records/lookup:
 * `{"records":[{"recordName":"2/<digestType>/<hex>"}]}`; a hit has `fields.signedTicket {type: "BYTES", value}`.
 */
import { InputError } from '../errors';
import type { CodeDirectoryInfo } from '../protocol';

export const APPLE_TICKET_LOOKUP_URL =
  'https://api.apple-cloudkit.com/database/1/com.apple.gk.ticket-delivery/production/public/records/lookup';

/** 1 = SHA-1, 2 = SHA-256: Security's hash type numbers, as the record name carries them. */
export type TicketDigestType = 1 | 2;

export interface TicketQuery {
  digestType: TicketDigestType;
  /** The cdhash: the first 20 bytes of the CodeDirectory's hash (of a .pkg, of its TOC checksum), hex. */
  cdhash: string;
}

export type TicketStatus =
  | { status: 'found'; ticket: Buffer }
  | { status: 'not-found' }
  | { status: 'deleted' }
  | { status: 'unknown'; reason: string };

export interface LookupOptions {
  /** The full lookup URL; default `GO_MACOS_SIGN_TICKET_URL` or Apple's. */
  url?: string;
  signal?: AbortSignal;
  /** For tests and proxies; default the global fetch. */
  fetchImpl?: typeof fetch;
  /** Default 15 s for the whole exchange. */
  timeoutMs?: number;
  /** Default Date.now (the cache's clock). */
  now?: () => number;
}

/** A ticket is a few kilobytes; this bounds a reply of many records without letting a hostile server fill memory. */
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 15_000;
const FOUND_TTL_MS = 60 * 60 * 1000;
const NOT_FOUND_TTL_MS = 2 * 60 * 1000;
const CACHE_ENTRIES = 2000;
/** Tickets start with this magic (Apple's stapler checks it too). */
export const TICKET_MAGIC = 's8ch';

const CDHASH = /^[0-9a-f]{40}$/;

export function recordName(query: TicketQuery): string {
  return `2/${query.digestType}/${query.cdhash.toLowerCase()}`;
}

/**
 * Which cdhash a Mach-O's notarization is looked up by: the SHA-256 CodeDirectory's when there is one (what Gatekeeper
 * and stapler ask for), else the SHA-1 one; null when the slice has neither (unsigned, or only other hash types).
 */
export function ticketQueryFor(codeDirectories: Pick<CodeDirectoryInfo, 'hashType' | 'cdhash'>[]): TicketQuery | null {
  const sha256 = codeDirectories.find((cd) => cd.hashType === 'sha256');
  if (sha256) return { digestType: 2, cdhash: sha256.cdhash.toLowerCase() };
  const sha1 = codeDirectories.find((cd) => cd.hashType === 'sha1');
  return sha1 ? { digestType: 1, cdhash: sha1.cdhash.toLowerCase() } : null;
}

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** The URL to ask: the option, else `GO_MACOS_SIGN_TICKET_URL`, else Apple's. Plain http only for loopback. */
export function ticketLookupUrl(option?: string, env: NodeJS.ProcessEnv = process.env): string {
  const text = option ?? env.GO_MACOS_SIGN_TICKET_URL ?? APPLE_TICKET_LOOKUP_URL;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InputError(`GO_MACOS_SIGN_TICKET_URL ${JSON.stringify(text)} is not a URL`);
  }
  if (url.protocol === 'https:') return url.href;
  if (url.protocol === 'http:' && isLoopback(url.hostname)) return url.href;
  throw new InputError(
    `GO_MACOS_SIGN_TICKET_URL must be an https:// URL (plain http:// only for a loopback address): ${url.origin}`,
  );
}

const cache = new Map<string, { result: TicketStatus; expires: number }>();

/** Forgets every cached answer (tests; a user's "check again"). */
export function clearTicketCache(): void {
  cache.clear();
}

function remember(key: string, result: TicketStatus, now: number): void {
  if (result.status === 'unknown') return;
  if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value as string);
  cache.set(key, { result, expires: now + (result.status === 'not-found' ? NOT_FOUND_TTL_MS : FOUND_TTL_MS) });
}

export async function lookupTickets(
  queries: TicketQuery[],
  options: LookupOptions = {},
): Promise<Map<string, TicketStatus>> {
  for (const q of queries) {
    if ((q.digestType !== 1 && q.digestType !== 2) || !CDHASH.test(q.cdhash.toLowerCase()))
      throw new InputError(`not a cdhash to look up: ${JSON.stringify(q)}`);
  }
  const url = ticketLookupUrl(options.url);
  const now = options.now ?? Date.now;
  const results = new Map<string, TicketStatus>();
  const ask: TicketQuery[] = [];
  for (const q of queries) {
    const cdhash = q.cdhash.toLowerCase();
    const hit = cache.get(`${url} ${recordName(q)}`);
    if (hit && hit.expires > now()) results.set(cdhash, hit.result);
    else if (!ask.some((a) => recordName(a) === recordName(q))) ask.push({ digestType: q.digestType, cdhash });
  }
  if (ask.length === 0) return results;

  const answers = await askApple(url, ask, options);
  for (const q of ask) {
    const result = answers.get(recordName(q)) ?? {
      status: 'unknown',
      reason: 'the reply does not mention this cdhash',
    };
    results.set(q.cdhash, result);
    remember(`${url} ${recordName(q)}`, result, now());
  }
  return results;
}

/** One POST; per record name, what the reply says. Every failure becomes `unknown` for every record. */
async function askApple(url: string, ask: TicketQuery[], options: LookupOptions): Promise<Map<string, TicketStatus>> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const all = (reason: string) =>
    new Map<string, TicketStatus>(ask.map((q) => [recordName(q), { status: 'unknown', reason }]));
  let text: string;
  try {
    const response = await (options.fetchImpl ?? fetch)(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ records: ask.map((q) => ({ recordName: recordName(q) })) }),
      signal,
      redirect: 'error',
    });
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      return all(`the ticket service answered HTTP ${response.status}`);
    }
    text = await readBounded(response, signal);
  } catch (error) {
    if (options.signal?.aborted) return all('cancelled');
    if (timeout.aborted) return all('the ticket service did not answer in time');
    return all(networkReason(error));
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return all('the ticket service did not answer JSON');
  }
  const records = (parsed as { records?: unknown } | null)?.records;
  if (!Array.isArray(records)) return all('the ticket service answered without records');
  const out = new Map<string, TicketStatus>();
  for (const record of records) {
    if (!record || typeof record !== 'object') continue;
    const name = (record as { recordName?: unknown }).recordName;
    if (typeof name === 'string') out.set(name.toLowerCase(), readRecord(record as Record<string, unknown>));
  }
  return out;
}

/** What one record of the reply says. */
function readRecord(record: Record<string, unknown>): TicketStatus {
  if (typeof record.serverErrorCode === 'string') {
    return record.serverErrorCode === 'NOT_FOUND'
      ? { status: 'not-found' }
      : { status: 'unknown', reason: `the ticket service said ${record.serverErrorCode}` };
  }
  if (record.deleted === true) return { status: 'deleted' };
  const field = (record.fields as Record<string, { type?: unknown; value?: unknown }> | undefined)?.signedTicket;
  if (!field || field.type !== 'BYTES' || typeof field.value !== 'string')
    return { status: 'unknown', reason: 'the record holds no signed ticket' };
  const ticket = Buffer.from(field.value, 'base64');
  if (ticket.length < 8 || ticket.subarray(0, 4).toString('latin1') !== TICKET_MAGIC)
    return { status: 'unknown', reason: 'the record holds something that is not a ticket' };
  return { status: 'found', ticket };
}

/** The body as text, refusing more than MAX_RESPONSE_BYTES without reading on. */
async function readBounded(response: Response, signal: AbortSignal): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > MAX_RESPONSE_BYTES) throw new Error('the reply is too large');
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    if (signal.aborted) throw signal.reason;
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > MAX_RESPONSE_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw new Error('the reply is too large');
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** One line for a failed fetch: the system's code when there is one (ECONNREFUSED, ENOTFOUND...). */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (typeof cause?.code === 'string') return `the ticket service could not be reached (${cause.code})`;
  const message = error instanceof Error ? error.message : String(error);
  if (message === 'the reply is too large') return 'the ticket service sent a reply too large to read';
  return `the ticket service could not be reached (${message.split('\n')[0]})`;
}
