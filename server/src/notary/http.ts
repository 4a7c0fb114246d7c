/**
 * The one HTTP request the notary client makes, over node:https (node:http only for loopback addresses, for the local
 * stand-in and proxies on this machine), and the redaction every message about a request goes through.
 *
 * Contract: `request` resolves with the status, headers and body (at most `maxBytes`, else it fails) for any HTTP
 * status; it rejects only for network failures, an abort, a body over the bound, or a URL that is neither https nor
 * loopback http. Rejections are `NetworkError`s whose message names the host, never the path or query (a presigned
 * URL's query holds credentials). `redact` removes URL queries and AWS credential values from any text, so an error
 * built from a server's answer cannot leak them either.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { Readable } from 'node:stream';
import { InputError } from '../errors';

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'HEAD' | 'DELETE';
  headers?: Record<string, string | number>;
  body?: Buffer | string | (() => Readable);
  /** The most bytes the answer may have. */
  maxBytes?: number;
  signal?: AbortSignal;
  /** Milliseconds without any progress before the request is given up. */
  idleTimeoutMs?: number;
}

/** A failure to talk to a server at all (refused, reset, timed out, aborted, answer too large): worth a retry, mostly. */
export class NetworkError extends InputError {
  constructor(
    message: string,
    readonly aborted = false,
  ) {
    super(redact(message));
  }
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '[::1]', 'localhost']);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** A URL we will send credentials or archives to: https anywhere, http only on this machine. */
export function checkUrl(url: URL, what: string): void {
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && isLoopback(url.hostname)) return;
  throw new InputError(
    `${what} must be https:// (plain http:// only for a loopback address), not ${url.protocol}//${url.host}`,
  );
}

/** Text with URL queries and AWS credential values removed: what any message about a request may contain. */
export function redact(text: string): string {
  return text
    .replace(/(https?:\/\/[^\s?#"'<>]*)\?[^\s"'<>]*/gi, '$1?[redacted]')
    .replace(/(X-Amz-[A-Za-z-]+)(=|:\s*|"\s*:\s*")[^&\s"'<>]+/gi, '$1$2[redacted]')
    .replace(
      /\b(aws(?:AccessKeyId|SecretAccessKey|SessionToken)|Credential|Signature)(=|"\s*:\s*")[^&\s"',<>]+/gi,
      '$1$2[redacted]',
    )
    .replace(/\bASIA[A-Z0-9]{12,}\b/g, '[redacted]');
}

export function request(url: URL, r: HttpRequest): Promise<HttpResponse> {
  checkUrl(url, 'the notary service URL');
  const maxBytes = r.maxBytes ?? 1024 * 1024;
  const where = url.host;
  return new Promise((resolve, reject) => {
    if (r.signal?.aborted) return reject(new NetworkError(`request to ${where} cancelled`, true));
    const lib = url.protocol === 'https:' ? https : http;
    const req = lib.request(url, { method: r.method, headers: r.headers, signal: r.signal }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          req.destroy();
          reject(new NetworkError(`the answer from ${where} is larger than ${Math.round(maxBytes / 1048576)} MB`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', (e) => reject(networkError(e, where, r.signal)));
    });
    req.setTimeout(r.idleTimeoutMs ?? 120_000, () =>
      req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })),
    );
    req.on('error', (e) => reject(networkError(e, where, r.signal)));
    if (typeof r.body === 'function') {
      const stream = r.body();
      stream.on('error', (e) => req.destroy(e));
      stream.pipe(req);
    } else req.end(r.body);
  });
}

function networkError(e: Error & { code?: string }, where: string, signal?: AbortSignal): NetworkError {
  if (signal?.aborted || e.name === 'AbortError') return new NetworkError(`request to ${where} cancelled`, true);
  if (e instanceof InputError) return new NetworkError(e.message);
  return new NetworkError(`cannot reach ${where} (${e.code ?? e.message}): check the network connection or proxy`);
}

/** Waits `ms`, or rejects at once when `signal` is aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new NetworkError('cancelled', true));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new NetworkError('cancelled', true));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The time source and the waits of the client; tests pass one that moves faster than the wall clock. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = { now: () => Date.now(), sleep };
