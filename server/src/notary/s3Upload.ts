/**
 * Uploads a notarization archive to the S3 object the notary service named, with the temporary credentials it gave
 * (AWS Signature V4 with the session token, region us-west-2, signed by `aws4`).
 *
 * Contract: one PUT of the whole file (S3 accepts up to 5 GB in one PUT), streamed from the file through fileAccess,
 * its `x-amz-content-sha256` the archive's SHA-256 (so S3 itself refuses bytes that differ from what was declared to
 * the notary service). Network failures, 5xx and 429 are retried with growing pauses; anything else fails at once
 * with one line naming S3's error code and the fix. Messages name the host only: never the credentials.
 * `GO_MACOS_SIGN_S3_ENDPOINT` switches to path-style URLs `{endpoint}/{bucket}/{object}` (tests, proxies).
 */
import * as aws4 from 'aws4';
import { Readable } from 'node:stream';
import { InputError } from '../errors';
import { RegularFile } from '../fileAccess';
import type { UploadTarget } from './api';
import { checkUrl, Clock, NetworkError, redact, request, systemClock } from './http';

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

function s3Failure(status: number, code: string | null, host: string): UploadError {
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
  };
  const fix = (code && fixes[code]) ?? 'run notarize again; if it keeps failing, check the network or proxy';
  return new UploadError(
    `uploading the archive to ${host} failed (HTTP ${status}${code ? ` ${code}` : ''}): ${fix}`,
    status,
  );
}

/** Reads the file in 1 MiB pieces as a stream, reporting each piece. */
function fileStream(file: RegularFile, onBytes: (n: number) => void): Readable {
  const piece = 1024 * 1024;
  return Readable.from(
    (async function* () {
      for (let at = 0; at < file.size;) {
        const buffer = Buffer.allocUnsafe(Math.min(piece, file.size - at));
        const n = await file.read(buffer, 0, buffer.length, at);
        if (n === 0) throw new UploadError(`${file.path}: the file shrank while it was uploaded`, 0);
        at += n;
        onBytes(n);
        yield buffer.subarray(0, n);
      }
    })(),
  );
}

export interface UploadOptions {
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Bytes sent so far of the total; called as the file is read into the request. */
  onProgress?: (sent: number, total: number) => void;
  clock?: Clock;
  /** Retries after the first attempt (network errors, 5xx, 429). */
  retries?: number;
}

export async function uploadArchive(
  archive: string,
  sha256Hex: string,
  target: UploadTarget,
  o: UploadOptions = {},
): Promise<void> {
  const url = uploadUrl(target, o.env);
  const clock = o.clock ?? systemClock;
  const retries = o.retries ?? 4;
  const file = await RegularFile.open(archive, 'binary');
  try {
    for (let attempt = 0; ; attempt++) {
      let sent = 0;
      // Signed again on every attempt: the date is part of the signature.
      const signed = aws4.sign(
        {
          host: url.host,
          path: url.pathname,
          method: 'PUT',
          service: 's3',
          region: S3_REGION,
          headers: {
            'Content-Length': String(file.size),
            'Content-Type': 'application/octet-stream',
            'X-Amz-Content-Sha256': sha256Hex,
            // From our clock (S3 refuses a date 15 minutes off; tests move the clock).
            'X-Amz-Date': new Date(clock.now()).toISOString().replace(/[:-]|\.\d{3}/g, ''),
          },
        },
        { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey, sessionToken: target.sessionToken },
      );
      let failure: Error;
      try {
        const res = await request(url, {
          method: 'PUT',
          headers: signed.headers as Record<string, string>,
          body: () =>
            fileStream(file, (n) => {
              sent += n;
              o.onProgress?.(sent, file.size);
            }),
          signal: o.signal,
          maxBytes: 64 * 1024,
        });
        if (res.status >= 200 && res.status <= 299) return;
        failure = s3Failure(res.status, s3Code(res.body), url.host);
        if (res.status < 500 && res.status !== 429) throw failure;
      } catch (error) {
        if (error instanceof UploadError) throw error;
        if (!(error instanceof NetworkError) || error.aborted) throw error;
        failure = new UploadError(`uploading the archive failed: ${error.message}`, 0);
      }
      if (attempt >= retries) throw failure;
      await clock.sleep(1000 * 2 ** attempt, o.signal);
    }
  } finally {
    await file.close();
  }
}
