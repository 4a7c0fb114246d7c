/**
 * A client of Apple's Notary REST API v2 (what notarytool speaks): create a submission, read its status, wait for a
 * verdict, fetch its developer log, list the last submissions. Any OS; only an App Store Connect team API key.
 *
 * Contract:
 * - Every request carries a token minted for it (jwt.ts), so a wait of hours never meets an expired token.
 * - The base URL is `https://appstoreconnect.apple.com/notary/v2`, or `GO_MACOS_SIGN_NOTARY_URL` (https, or http on a
 *   loopback address).
 * - The developer log is fetched from the presigned URL the service returns, without our token, bounded to 50 MB; that
 *   URL and the upload credentials are never put in a message (http.ts `redact`, and messages name hosts only).
 * - Failures are one line a user can act on: a 401 names the key id, issuer and clock; a 403 carries Apple's code and
 *   detail; any other status carries Apple's `errors[].detail`; network failures name the host.
 * - `wait` polls with a growing interval (5 s to 60 s), retries transient failures, stops at the timeout (returning
 *   the last status, `In Progress`) and rejects at once when its AbortSignal fires.
 */
import { InputError } from '../errors';
import { Clock, HttpResponse, NetworkError, redact, request, systemClock } from './http';
import { ApiKey, mintToken } from './jwt';

export const DEFAULT_NOTARY_URL = 'https://appstoreconnect.apple.com/notary/v2';
/** quill's bound on the developer log; real logs are kilobytes. */
export const MAX_LOG_BYTES = 50 * 1024 * 1024;

export interface UploadTarget {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  bucket: string;
  object: string;
}

export interface CreatedSubmission {
  id: string;
  upload: UploadTarget;
}

export interface SubmissionStatus {
  id: string;
  status: 'Accepted' | 'In Progress' | 'Invalid' | 'Rejected' | string;
  name: string | null;
  createdDate: string | null;
}

/** An answer from the service that is not a success, as one line. */
export class NotaryApiError extends InputError {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | null = null,
  ) {
    super(redact(message));
  }
}

export function notaryBaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  return (env.GO_MACOS_SIGN_NOTARY_URL || DEFAULT_NOTARY_URL).replace(/\/+$/, '');
}

interface AppleError {
  code: string | null;
  detail: string | null;
}

function appleErrors(body: Buffer): AppleError[] {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { errors?: unknown };
    if (!Array.isArray(parsed.errors)) return [];
    return parsed.errors.map((e: Record<string, unknown>) => ({
      code: typeof e?.code === 'string' ? e.code : null,
      detail: typeof e?.detail === 'string' ? e.detail : typeof e?.title === 'string' ? e.title : null,
    }));
  } catch {
    return [];
  }
}

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim().slice(0, 300);

/** The one-line message for a failed answer to `what` (pure: a status, Apple's errors, the key in use). */
export function describeFailure(what: string, res: { status: number; body: Buffer }, key: ApiKey): NotaryApiError {
  const errors = appleErrors(res.body);
  const first = errors[0] ?? { code: null, detail: null };
  const detail = first.detail ? `: ${oneLine(first.detail)}` : '';
  if (res.status === 401)
    return new NotaryApiError(
      `${what}: App Store Connect did not accept the API key (HTTP 401): check the key id (${key.keyId}), the issuer id (${key.issuer ?? 'none'}) and that the .p8 is AuthKey_${key.keyId}.p8, and that this machine's clock is right`,
      401,
      first.code,
    );
  if (res.status === 403) {
    const code = first.code ?? 'FORBIDDEN';
    const text = `${first.code ?? ''} ${first.detail ?? ''}`;
    const fix = /agreement/i.test(text)
      ? 'the Account Holder must accept the latest agreement at https://developer.apple.com/account'
      : /MISSING_PROVIDER|provider/i.test(text)
        ? 'this key belongs to no team that may notarize: use a team key (with its issuer id) of a Developer Program team'
        : 'give the key the Developer role or higher in App Store Connect (Users and Access, Integrations)';
    return new NotaryApiError(`${what}: App Store Connect refused (HTTP 403 ${code})${detail}; ${fix}`, 403, code);
  }
  if (res.status === 404) return new NotaryApiError(`${what}: not found (HTTP 404)${detail}`, 404, first.code);
  return new NotaryApiError(`${what}: the notary service answered HTTP ${res.status}${detail}`, res.status, first.code);
}

/** A status worth asking again: the service or the network was briefly unavailable. */
export function isTransient(error: unknown): boolean {
  if (error instanceof NetworkError) return !error.aborted;
  return error instanceof NotaryApiError && (error.status >= 500 || error.status === 429);
}

export interface NotaryClientOptions {
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
}

export class NotaryClient {
  private readonly base: string;
  private readonly clock: Clock;

  constructor(
    private readonly key: ApiKey,
    o: NotaryClientOptions = {},
  ) {
    if (key.issuer === null)
      throw new InputError(
        'an individual App Store Connect key cannot notarize (Apple allows only team keys): create a team key with the Developer role and give its issuer id',
      );
    this.base = notaryBaseUrl(o.env);
    this.clock = o.clock ?? systemClock;
    const url = new URL(this.base);
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new InputError(`GO_MACOS_SIGN_NOTARY_URL must be an http(s) URL`);
  }

  private async call(what: string, method: 'GET' | 'POST', suffix: string, body?: unknown, signal?: AbortSignal) {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    let res: HttpResponse;
    try {
      res = await request(new URL(`${this.base}${suffix}`), {
        method,
        headers: {
          // A token for this request alone: minted now, whatever happened before.
          Authorization: `Bearer ${mintToken(this.key, this.clock.now())}`,
          Accept: 'application/json',
          ...(payload !== undefined ? { 'Content-Type': 'application/json' } : {}),
        },
        body: payload,
        signal,
      });
    } catch (error) {
      if (error instanceof NetworkError) throw new NetworkError(`${what}: ${error.message}`, error.aborted);
      throw error;
    }
    if (res.status < 200 || res.status > 299) throw describeFailure(what, res, this.key);
    try {
      return JSON.parse(res.body.toString('utf8')) as { data?: Record<string, unknown> | Record<string, unknown>[] };
    } catch {
      throw new NotaryApiError(`${what}: the notary service's answer is not JSON`, res.status);
    }
  }

  /** Creates a submission for an archive of this name and SHA-256; returns its id and where to upload it. */
  async submit(name: string, sha256: string, signal?: AbortSignal): Promise<CreatedSubmission> {
    const what = 'creating the notarization submission';
    const answer = await this.call(what, 'POST', '/submissions', { submissionName: name, sha256 }, signal);
    const data = answer.data as Record<string, unknown> | undefined;
    const a = (data?.attributes ?? {}) as Record<string, unknown>;
    const fields = ['awsAccessKeyId', 'awsSecretAccessKey', 'awsSessionToken', 'bucket', 'object'] as const;
    if (typeof data?.id !== 'string' || fields.some((f) => typeof a[f] !== 'string'))
      throw new NotaryApiError(`${what}: the notary service's answer lacks the submission id or upload credentials`, 0);
    return {
      id: data.id,
      upload: {
        accessKeyId: a.awsAccessKeyId as string,
        secretAccessKey: a.awsSecretAccessKey as string,
        sessionToken: a.awsSessionToken as string,
        bucket: a.bucket as string,
        object: a.object as string,
      },
    };
  }

  async status(id: string, signal?: AbortSignal): Promise<SubmissionStatus> {
    const answer = await this.call(
      `reading submission ${id}`,
      'GET',
      `/submissions/${encodeURIComponent(id)}`,
      undefined,
      signal,
    );
    return toStatus(answer.data as Record<string, unknown> | undefined, id);
  }

  /** The last submissions of the team, newest first as the service lists them. */
  async list(signal?: AbortSignal): Promise<SubmissionStatus[]> {
    const answer = await this.call('listing submissions', 'GET', '/submissions', undefined, signal);
    return (Array.isArray(answer.data) ? answer.data : []).map((d) => toStatus(d, ''));
  }

  /** The presigned URL of the developer log. It holds credentials: never print it. */
  async logUrl(id: string, signal?: AbortSignal): Promise<string> {
    const what = `reading the log location of submission ${id}`;
    const answer = await this.call(what, 'GET', `/submissions/${encodeURIComponent(id)}/logs`, undefined, signal);
    const url = (
      (answer.data as Record<string, unknown> | undefined)?.attributes as Record<string, unknown> | undefined
    )?.developerLogUrl;
    if (typeof url !== 'string') throw new NotaryApiError(`${what}: the answer has no developerLogUrl`, 0);
    return url;
  }

  /** The developer log's text, fetched from its presigned URL without our token, at most 50 MB. */
  async log(id: string, signal?: AbortSignal): Promise<string> {
    const what = `downloading the log of submission ${id}`;
    let url: URL;
    try {
      url = new URL(await this.logUrl(id, signal));
    } catch (error) {
      if (error instanceof TypeError) throw new NotaryApiError(`${what}: the log location is not a URL`, 0);
      throw error;
    }
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await request(url, { method: 'GET', maxBytes: MAX_LOG_BYTES, signal });
        if (res.status === 200) return res.body.toString('utf8');
        // The presigned URL's host only: its path and query are the credentials.
        throw new NotaryApiError(`${what}: ${url.host} answered HTTP ${res.status}`, res.status);
      } catch (error) {
        if (!isTransient(error) || attempt >= 3) {
          if (error instanceof NetworkError) throw new NetworkError(`${what}: ${error.message}`, error.aborted);
          throw error;
        }
        await this.clock.sleep(1000 * 2 ** attempt, signal);
      }
    }
  }

  /**
   * Polls until the submission is no longer In Progress or `timeoutMs` has passed (then returns In Progress).
   * Transient failures (network, 5xx, 429) are retried; six in a row end the wait with the last one.
   */
  async wait(
    id: string,
    o: { timeoutMs: number; signal?: AbortSignal; onStatus?: (s: SubmissionStatus) => void },
  ): Promise<SubmissionStatus> {
    const deadline = this.clock.now() + o.timeoutMs;
    let interval = 5000;
    let failures = 0;
    for (;;) {
      let current: SubmissionStatus | null = null;
      try {
        current = await this.status(id, o.signal);
        failures = 0;
        o.onStatus?.(current);
        if (current.status !== 'In Progress') return current;
      } catch (error) {
        if (!isTransient(error) || ++failures >= 6) throw error;
      }
      const left = deadline - this.clock.now();
      if (left <= 0) return current ?? { id, status: 'In Progress', name: null, createdDate: null };
      await this.clock.sleep(Math.min(interval, left), o.signal);
      interval = Math.min(interval * 1.5, 60_000);
    }
  }
}

function toStatus(data: Record<string, unknown> | undefined, id: string): SubmissionStatus {
  const a = (data?.attributes ?? {}) as Record<string, unknown>;
  if (typeof a.status !== 'string') throw new NotaryApiError(`submission ${id}: the answer has no status`, 0);
  return {
    id: typeof data?.id === 'string' ? data.id : id,
    status: a.status,
    name: typeof a.name === 'string' ? a.name : null,
    createdDate: typeof a.createdDate === 'string' ? a.createdDate : null,
  };
}
