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
 * - Uploads whose SigV4 signature does not verify (recomputed here), whose credential scope is not
 *   `<key>/<date>/us-west-2/s3/aws4_request`, whose session token is not the one issued, whose date is more than 15
 *   minutes off, whose `x-amz-content-sha256` is not the SHA-256 declared at submission, or whose bytes do not hash to
 *   it (S3's XML errors: SignatureDoesNotMatch, InvalidToken, RequestTimeTooSkewed, BadDigest, ...).
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
}

export interface FakeNotary {
  /** `GO_MACOS_SIGN_NOTARY_URL` and `GO_MACOS_SIGN_S3_ENDPOINT` for the client. */
  env: { GO_MACOS_SIGN_NOTARY_URL: string; GO_MACOS_SIGN_S3_ENDPOINT: string };
  requests: RecordedRequest[];
  submissions: FakeSubmission[];
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
  const canonical = [
    req.method,
    canonicalUri,
    '',
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
  if (payloadHash !== sub.sha256)
    return { status: 400, code: 'XAmzContentSHA256Mismatch', message: 'not the SHA-256 declared at submission' };
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
  let base = '';

  const statusOf = (s: FakeSubmission) =>
    s.uploadedMs === null || s.verdict === null || now() < s.uploadedMs + (o.processingMs ?? 0)
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

    const handle = async (body: Buffer): Promise<void> => {
      // --- S3 (path style under /s3) ---
      if (url.pathname.startsWith('/s3/')) {
        const rawPath = (req.url ?? '').split('?')[0];
        const key = rawPath.split('/').map(decodeURIComponent).join('/');
        const sub = submissions.find((s) => key === `/s3/${s.credentials.bucket}/${s.credentials.object}`);
        if (req.method !== 'PUT' || !sub) return send(404, 'application/xml', s3Error('NoSuchKey', 'no such object'));
        const problem = checkSigV4(req, rawPath, sub, now());
        if (problem)
          return send(problem.status, 'application/xml', s3Error(problem.code, problem.message), problem.code);
        if (o.s3AlwaysFails || s3Failures > 0) {
          s3Failures--;
          return send(500, 'application/xml', s3Error('InternalError', 'try again'), 'InternalError (injected)');
        }
        const received = Buffer.from(body);
        if (o.corruptUploads && received.length > 0) received[received.length >> 1] ^= 0xff;
        if (sha256hex(received) !== req.headers['x-amz-content-sha256'])
          return send(
            400,
            'application/xml',
            s3Error('BadDigest', 'the bytes differ from x-amz-content-sha256'),
            'BadDigest',
          );
        const file = path.join(dir, `${sub.id}.bin`);
        fs.writeFileSync(file, received);
        sub.verdict = await review(file, sub.name);
        sub.uploadedMs = now();
        return send(200, 'application/xml', '');
      }
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
    secrets: () =>
      submissions.flatMap((s) => [
        s.credentials.accessKeyId,
        s.credentials.secretAccessKey,
        s.credentials.sessionToken,
        s.logToken,
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
