/**
 * Uploads a notarization archive to the S3 object the notary service named, with the temporary credentials it gave
 * (AWS Signature V4 with the session token, region us-west-2, signed by `aws4`).
 *
 * Contract:
 * - An archive up to the part size (16 MiB) goes in one PUT whose `x-amz-content-sha256` is the archive's SHA-256, so
 *   S3 itself refuses bytes that differ from what was declared to the notary service.
 * - A larger one goes as a multipart upload (S3's CreateMultipartUpload, UploadPart, CompleteMultipartUpload): parts
 *   of the part size (5 MiB to 5 GiB, at most 10,000 parts: S3's limits), sent one after another, each signed with its
 *   own SHA-256 and streamed from the file (the archive is never held in memory). A part that fails with a network
 *   error, 5xx or 429 is sent again after a growing pause; parts S3 already took are not. When the upload cannot
 *   finish (a part or the completion keeps failing, anything else refused, or the caller cancels), the upload is
 *   aborted (AbortMultipartUpload) so S3 drops the parts, and the failure is one line naming S3's code and the fix.
 * - `GO_MACOS_SIGN_S3_PART_SIZE` (bytes; used only when set) changes the part size, and with it the threshold.
 * - Progress: `onProgress(sent, total)` as the bytes are read into requests (a part sent again counts from its start).
 * - Messages name the host only: never the credentials, the object key or the upload id.
 * - `GO_MACOS_SIGN_S3_ENDPOINT` switches to path-style URLs `{endpoint}/{bucket}/{object}` (tests, proxies).
 */
import * as aws4 from 'aws4';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { InputError } from '../errors';
import { RegularFile } from '../fileAccess';
import type { UploadTarget } from './api';
import { checkUrl, Clock, HttpResponse, NetworkError, redact, request, systemClock } from './http';

export const S3_REGION = 'us-west-2';

export class UploadError extends InputError {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(redact(message));
  }
}

/** Where the object is PUT: virtual-hosted S3 in us-west-2, or path-style under GO_MACOS_SIGN_S3_ENDPOINT. */
export function uploadUrl(target: Pick<UploadTarget, 'bucket' | 'object'>, env: NodeJS.ProcessEnv = process.env): URL {
  // Each segment encoded: object keys may hold '+' or '=' (SigV4 signs the encoded path).
  const key = target.object.split('/').map(encodeURIComponent).join('/');
  const endpoint = env.GO_MACOS_SIGN_S3_ENDPOINT?.replace(/\/+$/, '');
  const url = endpoint
    ? new URL(`${endpoint}/${encodeURIComponent(target.bucket)}/${key}`)
    : new URL(`https://${target.bucket}.s3.${S3_REGION}.amazonaws.com/${key}`);
  checkUrl(url, 'the upload URL (GO_MACOS_SIGN_S3_ENDPOINT)');
  return url;
}

/** What S3 said, from its XML error document: `<Code>` only (its `<Message>` may quote the request). */
function s3Code(body: Buffer): string | null {
  return /<Code>([A-Za-z0-9.]{1,64})<\/Code>/.exec(body.toString('utf8'))?.[1] ?? null;
}

function s3Failure(status: number, code: string | null, host: string, what = 'the archive'): UploadError {
  const fixes: Record<string, string> = {
    ExpiredToken: 'the upload credentials expired (they last 12 hours): run notarize again to get new ones',
    InvalidToken: 'the upload credentials were refused: run notarize again',
    AccessDenied: 'the upload credentials were refused: run notarize again; check that no proxy rewrites the request',
    SignatureDoesNotMatch:
      "the request's signature was refused: check this machine's clock and that no proxy rewrites the request",
    RequestTimeTooSkewed: "this machine's clock is off by more than 15 minutes: correct it",
    BadDigest: 'the file changed while it was uploaded: do not modify it during notarization',
    XAmzContentSHA256Mismatch: 'the file changed while it was uploaded: do not modify it during notarization',
    EntityTooLarge: 'the archive is larger than 5 GB: split the release or shrink it',
    NoSuchUpload: 'the multipart upload was aborted or expired: run notarize again',
    InvalidPart: 'S3 does not have a part that was sent: run notarize again',
    EntityTooSmall: 'a part was smaller than 5 MiB: unset GO_MACOS_SIGN_S3_PART_SIZE or raise it',
  };
  const fix = (code && fixes[code]) ?? 'run notarize again; if it keeps failing, check the network or proxy';
  return new UploadError(
    `uploading ${what} to ${host} failed (HTTP ${status}${code ? ` ${code}` : ''}): ${fix}`,
    status,
  );
}

/** S3's limits on a multipart upload (Amazon S3 User Guide, "Amazon S3 multipart upload limits"). */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
export const MAX_PART_SIZE = 5 * 1024 * 1024 * 1024;
export const MAX_PARTS = 10_000;
/** Parts of 16 MiB: a retry costs little, and a 5 GB archive needs 320 parts. */
export const DEFAULT_PART_SIZE = 16 * 1024 * 1024;

/** The part size: GO_MACOS_SIGN_S3_PART_SIZE when set (bytes, within S3's limits), else 16 MiB. */
export function partSizeFrom(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.GO_MACOS_SIGN_S3_PART_SIZE;
  if (text === undefined || text === '') return DEFAULT_PART_SIZE;
  const n = /^\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < MIN_PART_SIZE || n > MAX_PART_SIZE)
    throw new InputError(
      `GO_MACOS_SIGN_S3_PART_SIZE: ${text} is not a number of bytes from ${MIN_PART_SIZE} (5 MiB) to ${MAX_PART_SIZE} (5 GiB), S3's limits for a part`,
    );
  return n;
}

export interface Part {
  /** 1-based, as S3 numbers them. */
  number: number;
  offset: number;
  length: number;
}

/**
 * The parts of a file of `size` bytes: `partSize` each but the last, grown when more than 10,000 would be needed.
 * An empty list means "one PUT" (the file fits in one part).
 */
export function planParts(size: number, partSize: number): Part[] {
  if (size <= partSize) return [];
  const MiB = 1024 * 1024;
  const least = Math.ceil(size / MAX_PARTS);
  const length = least > partSize ? Math.ceil(least / MiB) * MiB : partSize;
  const parts: Part[] = [];
  for (let offset = 0, n = 1; offset < size; offset += length, n++)
    parts.push({ number: n, offset, length: Math.min(length, size - offset) });
  return parts;
}

/** Reads `length` bytes of the file from `offset` in 1 MiB pieces, as a stream, reporting each piece. */
function rangeStream(file: RegularFile, offset: number, length: number, onBytes: (n: number) => void): Readable {
  return Readable.from(pieces(file, offset, length, onBytes));
}

async function* pieces(file: RegularFile, offset: number, length: number, onBytes: (n: number) => void) {
  const piece = 1024 * 1024;
  for (let at = 0; at < length;) {
    const buffer = Buffer.allocUnsafe(Math.min(piece, length - at));
    const n = await file.read(buffer, 0, buffer.length, offset + at);
    if (n === 0) throw new UploadError(`${file.path}: the file shrank while it was uploaded`, 0);
    at += n;
    onBytes(n);
    yield buffer.subarray(0, n);
  }
}

async function rangeSha256(file: RegularFile, offset: number, length: number): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of pieces(file, offset, length, () => {})) hash.update(chunk);
  return hash.digest('hex');
}

const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');

/** RFC 3986 encoding, as SigV4 canonicalizes query values (encodeURIComponent leaves !'()* alone). */
const rfc3986 = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export interface UploadOptions {
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Bytes sent so far of the total; called as the file is read into requests. */
  onProgress?: (sent: number, total: number) => void;
  clock?: Clock;
  /** Retries after the first attempt of each request (network errors, 5xx, 429). */
  retries?: number;
  /** The part size (and threshold) in bytes; default GO_MACOS_SIGN_S3_PART_SIZE or 16 MiB. */
  partSize?: number;
}

interface Call {
  /** What is being sent, for messages: "the archive", "part 2 of 3 of the archive". */
  what: string;
  method: 'PUT' | 'POST' | 'DELETE';
  /** Query string without '?', already RFC 3986-encoded. */
  query?: string;
  headers?: Record<string, string>;
  payloadSha256: string;
  length: number;
  body?: Buffer | (() => Readable);
  /** Called before each attempt (progress rewinds to a part's start). */
  onAttempt?: () => void;
}

/** One upload's signed requests to S3, each retried on its own. */
class S3Object {
  constructor(
    private readonly url: URL,
    private readonly target: UploadTarget,
    private readonly o: UploadOptions,
    private readonly clock: Clock,
  ) {}

  private sign(c: Call): Record<string, string> {
    const signed = aws4.sign(
      {
        host: this.url.host,
        path: `${this.url.pathname}${c.query ? `?${c.query}` : ''}`,
        method: c.method,
        service: 's3',
        region: S3_REGION,
        headers: {
          'Content-Length': String(c.length),
          ...(c.length > 0 ? { 'Content-Type': 'application/octet-stream' } : {}),
          ...c.headers,
          'X-Amz-Content-Sha256': c.payloadSha256,
          // From our clock (S3 refuses a date 15 minutes off; tests move the clock).
          'X-Amz-Date': new Date(this.clock.now()).toISOString().replace(/[:-]|\.\d{3}/g, ''),
        },
      },
      {
        accessKeyId: this.target.accessKeyId,
        secretAccessKey: this.target.secretAccessKey,
        sessionToken: this.target.sessionToken,
      },
    );
    return signed.headers as Record<string, string>;
  }

  /** Sends `c` until S3 takes it: network errors, 5xx and 429 are retried with growing pauses. */
  async send(c: Call, how: { retries?: number; cancellable?: boolean } = {}): Promise<HttpResponse> {
    const retries = how.retries ?? this.o.retries ?? 4;
    const signal = how.cancellable === false ? undefined : this.o.signal;
    const url = new URL(`${this.url.origin}${this.url.pathname}${c.query ? `?${c.query}` : ''}`);
    for (let attempt = 0; ; attempt++) {
      let failure: UploadError;
      try {
        c.onAttempt?.();
        // Signed again on every attempt: the date is part of the signature.
        const res = await request(url, {
          method: c.method,
          headers: this.sign(c),
          body: c.body,
          signal,
          maxBytes: 64 * 1024,
        });
        // CompleteMultipartUpload may answer 200 with an error document (S3 API Reference): a failure all the same.
        const code = s3Code(res.body);
        const inBody = res.status === 200 && /<Error>/.test(res.body.toString('utf8'));
        if (res.status >= 200 && res.status <= 299 && !inBody) return res;
        failure = s3Failure(res.status, code, url.host, c.what);
        const transient =
          res.status >= 500 || res.status === 429 || (inBody && /^(InternalError|SlowDown)$/.test(code ?? ''));
        if (!transient) throw failure;
      } catch (error) {
        if (error instanceof UploadError) throw error;
        if (!(error instanceof NetworkError) || error.aborted) throw error;
        failure = new UploadError(`uploading ${c.what} failed: ${error.message}`, 0);
      }
      if (attempt >= retries) throw failure;
      await this.clock.sleep(1000 * 2 ** attempt, signal);
    }
  }
}

export async function uploadArchive(
  archive: string,
  sha256Hex: string,
  target: UploadTarget,
  o: UploadOptions = {},
): Promise<void> {
  const url = uploadUrl(target, o.env);
  const clock = o.clock ?? systemClock;
  const partSize = o.partSize ?? partSizeFrom(o.env);
  const s3 = new S3Object(url, target, o, clock);
  const file = await RegularFile.open(archive, 'binary');
  try {
    const parts = planParts(file.size, partSize);
    if (parts.length === 0) {
      let sent = 0;
      await s3.send({
        what: 'the archive',
        method: 'PUT',
        payloadSha256: sha256Hex,
        length: file.size,
        onAttempt: () => (sent = 0),
        body: () =>
          rangeStream(file, 0, file.size, (n) => {
            sent += n;
            o.onProgress?.(sent, file.size);
          }),
      });
      return;
    }
    await uploadParts(s3, file, parts, o);
  } finally {
    await file.close();
  }
}

/** CreateMultipartUpload, each part (retried alone), CompleteMultipartUpload; AbortMultipartUpload when it fails. */
async function uploadParts(s3: S3Object, file: RegularFile, parts: Part[], o: UploadOptions): Promise<void> {
  const created = await s3.send({
    what: 'the archive',
    method: 'POST',
    query: 'uploads=',
    payloadSha256: EMPTY_SHA256,
    length: 0,
  });
  const uploadId = /<UploadId>([^<]{1,1024})<\/UploadId>/.exec(created.body.toString('utf8'))?.[1];
  if (!uploadId)
    throw new UploadError('S3 did not start the multipart upload (no UploadId): run notarize again', created.status);
  const id = `uploadId=${rfc3986(unescapeXml(uploadId))}`;
  try {
    const etags: string[] = [];
    let done = 0;
    for (const part of parts) {
      let sent = 0;
      const res = await s3.send({
        what: `part ${part.number} of ${parts.length} of the archive`,
        method: 'PUT',
        query: `partNumber=${part.number}&${id}`,
        payloadSha256: await rangeSha256(file, part.offset, part.length),
        length: part.length,
        onAttempt: () => (sent = 0),
        body: () =>
          rangeStream(file, part.offset, part.length, (n) => {
            sent += n;
            o.onProgress?.(done + sent, file.size);
          }),
      });
      const etag = res.headers.etag;
      if (typeof etag !== 'string' || etag === '')
        throw new UploadError(`S3 did not acknowledge part ${part.number} (no ETag): run notarize again`, res.status);
      etags.push(etag);
      done += part.length;
    }
    const body = Buffer.from(
      `<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${parts
        .map((p, i) => `<Part><PartNumber>${p.number}</PartNumber><ETag>${escapeXml(etags[i])}</ETag></Part>`)
        .join('')}</CompleteMultipartUpload>`,
    );
    await s3.send({
      what: 'the archive',
      method: 'POST',
      query: id,
      headers: { 'Content-Type': 'application/xml' },
      payloadSha256: createHash('sha256').update(body).digest('hex'),
      length: body.length,
      body,
    });
  } catch (error) {
    // S3 keeps (and bills) the parts of an upload neither completed nor aborted: tell it to drop them. Best effort,
    // once, and not cancellable by the caller's signal (a cancelled run should still clean up); its own failure is
    // not what the user needs to hear.
    await s3
      .send(
        { what: 'the archive', method: 'DELETE', query: id, payloadSha256: EMPTY_SHA256, length: 0 },
        { retries: 0, cancellable: false },
      )
      .catch(() => {});
    throw error;
  }
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const unescapeXml = (s: string) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
