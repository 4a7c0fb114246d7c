/**
 * A strict local stand-in for Apple's Notary REST API v2 and the S3 bucket it hands out, on 127.0.0.1, written from
 * Apple's documented API ("Notary API": Submit Software, Get Submission Status, Get Submission Log, Get Previous
 * Submissions; "Generating Tokens for API Requests") and AWS's SigV4 specification — independent of the client's code
 * and of its signing library (the SigV4 check below is computed here with node:crypto alone).
 *
 * What it refuses, as the real services would:
 * - API requests without a valid ES256 JWT: signature checked with the test key's public key; `kid`, `iss`, `aud`,
 *   `alg`, `typ`; `exp` after now, `iat` not in the future, lifetime at most 20 minutes (by the injected clock).
 *   Answer: 401 with Apple's error document. `forbid` makes every API request a 403 with the given code.
 * - Any S3 request whose SigV4 signature does not verify (recomputed here, query string included), whose credential
 *   scope is not `<key>/<date>/us-west-2/s3/aws4_request`, whose session token is not the one issued, whose date is
 *   more than 15 minutes off, whose payload is unsigned, or whose bytes do not hash to its `x-amz-content-sha256`
 *   (S3's XML errors: SignatureDoesNotMatch, InvalidToken, RequestTimeTooSkewed, BadDigest, ...).
 * - A single PUT whose `x-amz-content-sha256` is not the SHA-256 declared at submission.
 * - Multipart uploads, as the S3 API Reference describes them (CreateMultipartUpload `POST ?uploads`, UploadPart
 *   `PUT ?partNumber=N&uploadId=ID` answering the part's ETag, CompleteMultipartUpload `POST ?uploadId=ID` with the
 *   part list, AbortMultipartUpload `DELETE ?uploadId=ID`): an unknown or aborted upload id (NoSuchUpload), a part
 *   number outside 1..10,000, a part list that is empty or not ascending (InvalidPartOrder), a listed part never
 *   received or with another ETag (InvalidPart), a part other than the last under 5 MiB (EntityTooSmall), and, beyond
 *   S3, an assembled object whose SHA-256 is not the one declared at submission (what the notary service would
 *   reject).
 * - Injected faults (`s3Faults`): a request answered 500, a connection dropped before the answer, or a request held
 *   without an answer (for a test that kills the client mid-upload). Every S3 request is recorded with its action
 *   and part number, so tests can count what was sent again.
 * (s3rver 3.7.1, the S3 stand-in on npm, checks SigV4 against fixed keys but never the session token, so it is not
 * strict enough to stand behind this upload.)
 * - Log downloads other than through the presigned URL's token, or that carry an Authorization header.
 *
 * The verdict is the fake notary's judge (fake-apple/notary_review.py, i.e. fake.py `review`): Accepted only for
 * archives whose every Mach-O slice carries a real Developer ID signature with the hardened runtime and a timestamp;
 * Invalid with Apple-shaped issues (message, docUrl) otherwise. A submission stays In Progress until its bytes
 * arrived and `processingMs` (injected clock) passed. Every request is recorded, so tests can assert what was (not) sent.
 */
import { execFile } from 'node:child_process';
import { createHash, createHmac, KeyObject, randomBytes, randomUUID, timingSafeEqual, verify } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as os from 'node:os';
import { REPO } from './tools';

export interface RecordedRequest {
  method: string;
  /** Path without the query (the query of a log download holds its token). */
  path: string;
  /** What the stand-in answered. */
  status: number;
  /** The JWT's claims, for API requests that carried a readable one. */
  claims?: Record<string, unknown>;
  authorization: boolean;
  /** Why it was refused, for failing requests. */
  refused?: string;
  /** For S3 requests: which operation, and the part number of an UploadPart. */
  s3?: { action: S3Action; part?: number };
  /** The bearer token it carried. */
  token?: string;
}

export interface FakeSubmission {
  id: string;
  name: string;
  sha256: string;
  createdMs: number;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string; bucket: string; object: string };
  uploadedMs: number | null;
  verdict: { status: string; issues: unknown[]; hashes: [string, string, string][] } | null;
  logToken: string;
}

export type S3Action = 'put' | 'create' | 'part' | 'complete' | 'abort';

/** A fault injected into the S3 requests it matches, `times` times (default once). */
export interface S3Fault {
  action: S3Action;
  /** Only this part (UploadPart). */
  part?: number;
  /**
   * error500: S3's InternalError; error200: the same error document with 200 (what CompleteMultipartUpload may answer,
   * S3 API Reference); drop: the connection closed without an answer; stall: no answer at all.
   */
  kind: 'error500' | 'error200' | 'drop' | 'stall';
  times?: number;
}

interface MultipartUpload {
  id: string;
  sub: FakeSubmission;
  parts: Map<number, { etag: string; bytes: Buffer }>;
  state: 'open' | 'completed' | 'aborted';
}

export interface FakeNotaryOptions {
  publicKey: KeyObject;
  keyId: string;
  issuer: string;
  /** The stand-in's clock (ms); the client under test gets the same one. */
  now?: () => number;
  /** How long after the upload the verdict appears. */
  processingMs?: number;
  /** Every API request answered 403 with this code and detail. */
  forbid?: { code: string; detail: string };
  /** The next N uploads answered 500 (then normal). */
  s3Failures?: number;
  /** Every upload answered 500. */
  s3AlwaysFails?: boolean;
  /** Flip one received byte before hashing (what a corrupting proxy would do). */
  corruptUploads?: boolean;
  /** Faults for S3 requests; the array stays live (FakeNotary.s3Faults), so a test may change it between runs. */
  s3Faults?: S3Fault[];
}

export interface FakeNotary {
  /** `GO_MACOS_SIGN_NOTARY_URL` and `GO_MACOS_SIGN_S3_ENDPOINT` for the client. */
  env: { GO_MACOS_SIGN_NOTARY_URL: string; GO_MACOS_SIGN_S3_ENDPOINT: string };
  requests: RecordedRequest[];
  submissions: FakeSubmission[];
  /** The live list of injected S3 faults. */
  s3Faults: S3Fault[];
  /** While true, every submission stays In Progress (a wait that a test can end). */
  holdVerdicts: boolean;
  /** Multipart uploads by submission id: their state and the parts S3 holds. */
  multipart(submissionId: string): { state: string; parts: number[] }[];
  /** Every credential and token the stand-in issued: none may appear in any output. */
  secrets(): string[];
  /** Sends a request with a given bearer token (to check that a stale one is refused). */
  rawStatus(id: string, token: string): Promise<number>;
  close(): Promise<void>;
}

const AUD = 'appstoreconnect-v1';
const REGION = 'us-west-2';
const appleError = (status: number, code: string, title: string, detail: string) =>
  JSON.stringify({ errors: [{ id: randomUUID(), status: String(status), code, title, detail }] });
const s3Error = (code: string, message: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;

/** The JWT's claims when it is valid for this key at `nowS`, or the reason it is not. */
function checkJwt(token: string, o: FakeNotaryOptions, nowS: number): Record<string, unknown> | string {
  const parts = token.split('.');
  if (parts.length !== 3) return 'not a JWS compact token';
  let header: Record<string, unknown>;
  let claims: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    return 'unreadable header or claims';
  }
  if (header.alg !== 'ES256' || header.typ !== 'JWT') return 'alg/typ';
  const signature = Buffer.from(parts[2], 'base64url');
  if (signature.length !== 64) return 'signature is not raw r||s';
  const ok = verify(
    'sha256',
    Buffer.from(`${parts[0]}.${parts[1]}`),
    { key: o.publicKey, dsaEncoding: 'ieee-p1363' },
    signature,
  );
  if (!ok) return 'signature';
  if (header.kid !== o.keyId) return 'kid';
  if (claims.iss !== o.issuer) return 'iss';
  if (claims.aud !== AUD) return 'aud';
  const iat = claims.iat;
  const exp = claims.exp;
  if (typeof iat !== 'number' || typeof exp !== 'number') return 'iat/exp';
  if (exp - iat > 20 * 60) return 'lifetime over 20 minutes';
  if (exp <= nowS) return 'expired';
  if (iat > nowS + 60) return 'issued in the future';
  if (claims.scope !== undefined && !(Array.isArray(claims.scope) && claims.scope.includes('/notary/v2')))
    return 'scope';
  return claims;
}

/** RFC 3986 encoding of one path segment, as SigV4 wants it. */
const encodeSegment = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();
const sha256hex = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** Why a PUT's SigV4 signature is refused (S3 code and message), or null when it verifies. */
function checkSigV4(
  req: http.IncomingMessage,
  rawPath: string,
  rawQuery: string,
  sub: FakeSubmission,
  nowMs: number,
): { status: number; code: string; message: string } | null {
  const auth = req.headers.authorization ?? '';
  const m = /^AWS4-HMAC-SHA256 Credential=([^,]+),\s*SignedHeaders=([^,]+),\s*Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return { status: 403, code: 'AccessDenied', message: 'no SigV4 authorization' };
  const [accessKey, date, region, service, terminator] = m[1].split('/');
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  if (accessKey !== sub.credentials.accessKeyId)
    return { status: 403, code: 'InvalidAccessKeyId', message: 'unknown access key' };
  if (date !== amzDate.slice(0, 8) || region !== REGION || service !== 's3' || terminator !== 'aws4_request')
    return { status: 403, code: 'AuthorizationHeaderMalformed', message: 'credential scope' };
  const when = Date.parse(amzDate.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'));
  if (!Number.isFinite(when) || Math.abs(when - nowMs) > 15 * 60_000)
    return { status: 403, code: 'RequestTimeTooSkewed', message: 'date' };
  const signed = m[2].split(';');
  for (const needed of ['host', 'x-amz-content-sha256', 'x-amz-date', 'x-amz-security-token'])
    if (!signed.includes(needed)) return { status: 403, code: 'AccessDenied', message: `${needed} not signed` };
  if (req.headers['x-amz-security-token'] !== sub.credentials.sessionToken)
    return { status: 403, code: 'InvalidToken', message: 'session token' };
  const payloadHash = String(req.headers['x-amz-content-sha256'] ?? '');
  const canonicalUri = rawPath
    .split('/')
    .map((s) => encodeSegment(decodeURIComponent(s)))
    .join('/');
  const headerValue = (name: string) => {
    const v = req.headers[name];
    return (Array.isArray(v) ? v.join(',') : String(v ?? '')).trim().replace(/\s+/g, ' ');
  };
  // SigV4's canonical query: every name and value decoded then RFC 3986-encoded, sorted by name (then value).
  const canonicalQuery = rawQuery
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const eq = pair.indexOf('=');
      const [name, value] = eq < 0 ? [pair, ''] : [pair.slice(0, eq), pair.slice(eq + 1)];
      return [encodeSegment(decodeURIComponent(name)), encodeSegment(decodeURIComponent(value))];
    })
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const canonical = [
    req.method,
    canonicalUri,
    canonicalQuery,
    ...[...signed].sort().map((h) => `${h}:${headerValue(h)}`),
    '',
    signed.join(';'),
    payloadHash,
  ].join('\n');
  const scope = `${date}/${REGION}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256hex(canonical)].join('\n');
  let key = hmac(`AWS4${sub.credentials.secretAccessKey}`, date);
  for (const part of [REGION, 's3', 'aws4_request']) key = hmac(key, part);
  const expected = hmac(key, toSign);
  if (!timingSafeEqual(expected, Buffer.from(m[3], 'hex')))
    return { status: 403, code: 'SignatureDoesNotMatch', message: 'signature' };
  if (!/^[0-9a-f]{64}$/.test(payloadHash))
    return { status: 403, code: 'AccessDenied', message: 'the payload is not signed (x-amz-content-sha256)' };
  return null;
}

function review(file: string, name: string): Promise<FakeSubmission['verdict']> {
  return new Promise((resolve, reject) =>
    execFile(
      'python3',
      [path.join(REPO, 'test', 'support', 'fake-apple', 'notary_review.py'), file, name],
      { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout) => (error ? reject(error) : resolve(JSON.parse(stdout))),
    ),
  );
}

export async function startFakeNotary(o: FakeNotaryOptions): Promise<FakeNotary> {
  const now = o.now ?? (() => Date.now());
  const requests: RecordedRequest[] = [];
  const submissions: FakeSubmission[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gms-fake-notary-'));
  let s3Failures = o.s3Failures ?? 0;
  const s3Faults: S3Fault[] = o.s3Faults ?? [];
  const uploads: MultipartUpload[] = [];
  const state = { holdVerdicts: false };
  let base = '';

  const statusOf = (s: FakeSubmission) =>
    state.holdVerdicts || s.uploadedMs === null || s.verdict === null || now() < s.uploadedMs + (o.processingMs ?? 0)
      ? 'In Progress'
      : s.verdict.status;
  const resource = (s: FakeSubmission) => ({
    id: s.id,
    type: 'submissions',
    attributes: { status: statusOf(s), name: s.name, createdDate: new Date(s.createdMs).toISOString() },
  });

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const record: RecordedRequest = {
      method: req.method ?? '',
      path: url.pathname,
      status: 0,
      authorization: req.headers.authorization !== undefined,
    };
    requests.push(record);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => {});
    req.on('aborted', () => (record.refused = 'client aborted'));
    req.on('end', () => {
      void handle(Buffer.concat(chunks)).catch((error: Error) => send(500, 'text/plain', error.message));
    });
    const send = (status: number, type: string, body: string, refused?: string) => {
      record.status = status;
      if (refused) record.refused = refused;
      if (res.headersSent) return;
      res.writeHead(status, { 'Content-Type': type });
      res.end(body);
    };
    const json = (status: number, body: unknown) => send(status, 'application/json', JSON.stringify(body));

    const xml = (status: number, body: string, refused?: string) => send(status, 'application/xml', body, refused);
    const s3Refuse = (status: number, code: string, message: string) => xml(status, s3Error(code, message), code);

    const s3 = async (body: Buffer): Promise<void> => {
      const [rawPath, rawQuery = ''] = (req.url ?? '').split('?');
      const key = rawPath.split('/').map(decodeURIComponent).join('/');
      const sub = submissions.find((s) => key === `/s3/${s.credentials.bucket}/${s.credentials.object}`);
      const query = new Map(
        rawQuery
          .split('&')
          .filter(Boolean)
          .map((pair) => {
            const eq = pair.indexOf('=');
            return eq < 0
              ? [decodeURIComponent(pair), '']
              : [decodeURIComponent(pair.slice(0, eq)), decodeURIComponent(pair.slice(eq + 1))];
          }),
      );
      const uploadId = query.get('uploadId');
      const action: S3Action | null =
        req.method === 'PUT' && query.size === 0
          ? 'put'
          : req.method === 'POST' && query.has('uploads') && query.size === 1
            ? 'create'
            : req.method === 'PUT' && uploadId !== undefined && query.has('partNumber') && query.size === 2
              ? 'part'
              : req.method === 'POST' && uploadId !== undefined && query.size === 1
                ? 'complete'
                : req.method === 'DELETE' && uploadId !== undefined && query.size === 1
                  ? 'abort'
                  : null;
      const partNumber = action === 'part' ? Number(query.get('partNumber')) : undefined;
      record.s3 = action ? { action, ...(partNumber !== undefined ? { part: partNumber } : {}) } : undefined;
      if (!sub || !action) return s3Refuse(404, 'NoSuchKey', 'no such object or operation');
      const problem = checkSigV4(req, rawPath, rawQuery, sub, now());
      if (problem) return s3Refuse(problem.status, problem.code, problem.message);
      if (action === 'put' && req.headers['x-amz-content-sha256'] !== sub.sha256)
        return s3Refuse(400, 'XAmzContentSHA256Mismatch', 'not the SHA-256 declared at submission');

      // Injected faults, each used up by the requests it matches.
      const fault = s3Faults.find(
        (f) => f.action === action && (f.part === undefined || f.part === partNumber) && (f.times ?? 1) > 0,
      );
      if (fault) {
        fault.times = (fault.times ?? 1) - 1;
        if (fault.kind === 'stall') return void (record.refused = 'stalled (injected)');
        if (fault.kind === 'drop') {
          record.refused = 'connection dropped (injected)';
          return void req.socket.destroy();
        }
        return xml(
          fault.kind === 'error200' ? 200 : 500,
          s3Error('InternalError', 'try again'),
          'InternalError (injected)',
        );
      }
      if ((action === 'put' || action === 'part') && (o.s3AlwaysFails || s3Failures > 0)) {
        s3Failures--;
        return xml(500, s3Error('InternalError', 'try again'), 'InternalError (injected)');
      }

      const received = Buffer.from(body);
      if (o.corruptUploads && received.length > 0) received[received.length >> 1] ^= 0xff;
      if (sha256hex(received) !== req.headers['x-amz-content-sha256'])
        return s3Refuse(400, 'BadDigest', 'the bytes differ from x-amz-content-sha256');
      const accept = async (object: Buffer) => {
        const file = path.join(dir, `${sub.id}.bin`);
        fs.writeFileSync(file, object);
        sub.verdict = await review(file, sub.name);
        sub.uploadedMs = now();
      };

      if (action === 'put') {
        await accept(received);
        return xml(200, '');
      }
      if (action === 'create') {
        const upload: MultipartUpload = {
          id: randomBytes(45).toString('base64'),
          sub,
          parts: new Map(),
          state: 'open',
        };
        uploads.push(upload);
        return xml(
          200,
          `<?xml version="1.0" encoding="UTF-8"?>\n<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${sub.credentials.bucket}</Bucket><Key>${sub.credentials.object}</Key><UploadId>${upload.id}</UploadId></InitiateMultipartUploadResult>`,
        );
      }
      const upload = uploads.find((u) => u.id === uploadId && u.sub === sub);
      if (!upload || upload.state !== 'open')
        return s3Refuse(404, 'NoSuchUpload', 'the upload does not exist, or was completed or aborted');
      if (action === 'abort') {
        upload.state = 'aborted';
        upload.parts.clear();
        record.status = 204;
        res.writeHead(204);
        return void res.end();
      }
      if (action === 'part') {
        if (!Number.isInteger(partNumber) || partNumber! < 1 || partNumber! > 10_000)
          return s3Refuse(400, 'InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive');
        const etag = `"${createHash('md5').update(received).digest('hex')}"`;
        upload.parts.set(partNumber!, { etag, bytes: received });
        record.status = 200;
        res.writeHead(200, { ETag: etag });
        return void res.end();
      }
      // complete
      const listed = [
        ...body
          .toString('utf8')
          .matchAll(/<Part>\s*<PartNumber>(\d+)<\/PartNumber>\s*<ETag>([^<]*)<\/ETag>\s*<\/Part>/g),
      ].map((m) => ({ number: Number(m[1]), etag: m[2].replace(/&quot;/g, '"') }));
      if (!/^\s*<CompleteMultipartUpload[\s>]/.test(body.toString('utf8')) || listed.length === 0)
        return s3Refuse(400, 'MalformedXML', 'not a CompleteMultipartUpload document with parts');
      if (listed.some((p, i) => i > 0 && p.number <= listed[i - 1].number))
        return s3Refuse(400, 'InvalidPartOrder', 'the list of parts was not in ascending order');
      for (const p of listed)
        if (upload.parts.get(p.number)?.etag !== p.etag)
          return s3Refuse(400, 'InvalidPart', `part ${p.number} was not received, or its ETag differs`);
      for (const p of listed.slice(0, -1))
        if (upload.parts.get(p.number)!.bytes.length < 5 * 1024 * 1024)
          return s3Refuse(400, 'EntityTooSmall', `part ${p.number} is smaller than the minimum allowed size`);
      const object = Buffer.concat(listed.map((p) => upload.parts.get(p.number)!.bytes));
      if (sha256hex(object) !== sub.sha256)
        return s3Refuse(400, 'BadDigest', "the assembled object's SHA-256 is not the one declared at submission");
      upload.state = 'completed';
      await accept(object);
      const md5s = Buffer.concat(listed.map((p) => Buffer.from(p.etag.replace(/"/g, ''), 'hex')));
      return xml(
        200,
        `<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${sub.credentials.bucket}</Bucket><Key>${sub.credentials.object}</Key><ETag>"${createHash('md5').update(md5s).digest('hex')}-${listed.length}"</ETag></CompleteMultipartUploadResult>`,
      );
    };

    const handle = async (body: Buffer): Promise<void> => {
      // --- S3 (path style under /s3) ---
      if (url.pathname.startsWith('/s3/')) return s3(body);
      // --- the presigned log URL ---
      const logMatch = /^\/logs\/([0-9a-f-]+)$/.exec(url.pathname);
      if (logMatch) {
        const sub = submissions.find((s) => s.id === logMatch[1]);
        if (req.headers.authorization)
          return send(400, 'application/xml', s3Error('InvalidArgument', 'auth'), 'auth header on a presigned URL');
        if (!sub || url.searchParams.get('X-Amz-Signature') !== sub.logToken)
          return send(403, 'application/xml', s3Error('AccessDenied', 'bad token'), 'bad log token');
        return json(200, developerLog(sub));
      }
      // --- the Notary API ---
      if (!url.pathname.startsWith('/notary/v2/')) return json(404, {});
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      record.token = bearer;
      const claims = bearer ? checkJwt(bearer, o, Math.floor(now() / 1000)) : 'no bearer token';
      if (typeof claims === 'string') {
        record.refused = `JWT: ${claims}`;
        return send(
          401,
          'application/json',
          appleError(
            401,
            'NOT_AUTHORIZED',
            'Authentication credentials are missing or invalid.',
            'Provide a properly configured and signed bearer token, and make sure that it has not expired.',
          ),
        );
      }
      record.claims = claims;
      if (o.forbid)
        return send(
          403,
          'application/json',
          appleError(403, o.forbid.code, 'Forbidden', o.forbid.detail),
          o.forbid.code,
        );
      const rest = url.pathname.slice('/notary/v2/submissions'.length);
      if (!url.pathname.startsWith('/notary/v2/submissions')) return json(404, {});
      if (req.method === 'POST' && rest === '') {
        let input: { submissionName?: unknown; sha256?: unknown };
        try {
          input = JSON.parse(body.toString('utf8'));
        } catch {
          return send(
            400,
            'application/json',
            appleError(400, 'PARAMETER_ERROR.INVALID', 'Invalid', 'body is not JSON'),
          );
        }
        if (
          typeof input.submissionName !== 'string' ||
          typeof input.sha256 !== 'string' ||
          !/^[0-9a-f]{64}$/.test(input.sha256)
        )
          return send(
            400,
            'application/json',
            appleError(400, 'PARAMETER_ERROR.INVALID', 'Invalid', 'submissionName and sha256 are required'),
          );
        const sub: FakeSubmission = {
          id: randomUUID(),
          name: input.submissionName,
          sha256: input.sha256,
          createdMs: now(),
          credentials: {
            accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
            secretAccessKey: randomBytes(30).toString('base64'),
            sessionToken: `IQoJb3JpZ2luX2Vj${randomBytes(96).toString('base64')}`,
            bucket: 'notary-submissions-prod',
            object: `prod/AQAAAAEA+${randomUUID()}=`,
          },
          uploadedMs: null,
          verdict: null,
          logToken: randomBytes(24).toString('hex'),
        };
        submissions.push(sub);
        return json(200, {
          data: {
            id: sub.id,
            type: 'newSubmissions',
            attributes: {
              awsAccessKeyId: sub.credentials.accessKeyId,
              awsSecretAccessKey: sub.credentials.secretAccessKey,
              awsSessionToken: sub.credentials.sessionToken,
              bucket: sub.credentials.bucket,
              object: sub.credentials.object,
            },
          },
          meta: {},
        });
      }
      if (req.method === 'GET' && rest === '')
        return json(200, { data: submissions.slice(-100).map(resource), meta: {} });
      const m = /^\/([^/]+)(\/logs)?$/.exec(rest);
      const sub = m ? submissions.find((s) => s.id === decodeURIComponent(m[1])) : undefined;
      if (req.method !== 'GET' || !sub)
        return send(
          404,
          'application/json',
          appleError(404, 'NOT_FOUND', 'Not found', 'There is no resource with this id.'),
        );
      if (!m![2]) return json(200, { data: resource(sub), meta: {} });
      if (statusOf(sub) === 'In Progress')
        return send(
          404,
          'application/json',
          appleError(404, 'NOT_FOUND', 'Not found', 'The log is not available yet.'),
        );
      const amzDate = new Date(now()).toISOString().replace(/[:-]|\.\d{3}/g, '');
      return json(200, {
        data: {
          id: sub.id,
          type: 'submissionsLog',
          attributes: {
            developerLogUrl: `${base}/logs/${sub.id}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${sub.credentials.accessKeyId}%2F${amzDate.slice(0, 8)}%2F${REGION}%2Fs3%2Faws4_request&X-Amz-Date=${amzDate}&X-Amz-Expires=28800&X-Amz-Security-Token=${encodeURIComponent(sub.credentials.sessionToken)}&X-Amz-Signature=${sub.logToken}`,
          },
        },
        meta: {},
      });
    };
  });

  const developerLog = (s: FakeSubmission) => {
    const accepted = s.verdict?.status === 'Accepted';
    return {
      logFormatVersion: 1,
      jobId: s.id,
      status: s.verdict?.status,
      statusSummary: accepted ? 'Ready for distribution' : 'Archive contains critical validation errors',
      statusCode: accepted ? 0 : 4000,
      archiveFilename: s.name,
      uploadDate: new Date(s.uploadedMs ?? 0).toISOString(),
      sha256: s.sha256,
      ticketContents: accepted
        ? s.verdict!.hashes.map(([member, arch, cdhash]) => ({
            path: `${s.name}/${member}`,
            digestAlgorithm: 'SHA-256',
            cdhash,
            arch,
          }))
        : null,
      issues: s.verdict?.issues.length ? s.verdict.issues : null,
    };
  };

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    env: { GO_MACOS_SIGN_NOTARY_URL: `${base}/notary/v2`, GO_MACOS_SIGN_S3_ENDPOINT: `${base}/s3` },
    requests,
    submissions,
    s3Faults,
    get holdVerdicts() {
      return state.holdVerdicts;
    },
    set holdVerdicts(value: boolean) {
      state.holdVerdicts = value;
    },
    multipart: (id) =>
      uploads
        .filter((u) => u.sub.id === id)
        .map((u) => ({ state: u.state, parts: [...u.parts.keys()].sort((a, b) => a - b) })),
    secrets: () =>
      submissions.flatMap((s) => [
        s.credentials.accessKeyId,
        s.credentials.secretAccessKey,
        s.credentials.sessionToken,
        s.logToken,
        ...uploads.filter((u) => u.sub === s).map((u) => u.id),
      ]),
    rawStatus: (id, token) =>
      new Promise((resolve, reject) => {
        const req = http.get(
          `${base}/notary/v2/submissions/${id}`,
          { headers: { Authorization: `Bearer ${token}` } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          fs.rmSync(dir, { recursive: true, force: true });
          resolve();
        });
      }),
  };
}
