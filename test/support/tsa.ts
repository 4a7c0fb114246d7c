/**
 * A local RFC 3161 time-stamp authority for tests: real `openssl ts -reply` (signing with the test PKI's TSA
 * certificate, issued by the test root with extendedKeyUsage critical timeStamping) behind a small node:http server on
 * 127.0.0.1. Requests are answered one at a time (openssl updates its serial file).
 *
 * Variants make the misbehaving authorities a client must refuse, still with openssl's own answers:
 * `changeNonce` replies to the request with one byte of its nonce changed (a replayed or foreign answer), and
 * `digests: 'sha1'` configures an authority that rejects SHA-256 requests (status rejection).
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { children, readNode } from '../../server/src/macho/der';
import { CHILD_LIMIT } from './bounds';
import { testPki } from './testPki';
import { tempDir } from './tools';

export interface Tsa {
  url: string;
  /** The requests received, as sent, and the answers given, in order. */
  requests: Buffer[];
  responses: Buffer[];
  stop(): Promise<void>;
}

export interface TsaOptions {
  changeNonce?: boolean;
  digests?: string;
}

function config(dir: string, pki: ReturnType<typeof testPki>, digests: string): string {
  return `
[ tsa ]
default_tsa = test_tsa
[ test_tsa ]
dir = ${dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = ${pki.tsa.cert}
certs = ${pki.tsa.cert}
signer_key = ${pki.tsa.key}
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1
other_policies = 1.3.6.1.4.1.99999.2
digests = ${digests}
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
`;
}

/** The same request with the last byte of its nonce (the INTEGER after the messageImprint) changed. */
function withOtherNonce(request: Buffer): Buffer {
  const copy = Buffer.from(request);
  const fields = children(copy, readNode(copy, 0));
  const nonce = fields.find((f, i) => i > 1 && f.tag === 0x02);
  if (!nonce) throw new Error('the request has no nonce');
  copy[nonce.contentEnd - 1] ^= 0x01;
  return copy;
}

export async function startTsa(options: TsaOptions = {}): Promise<Tsa> {
  const pki = testPki();
  const dir = tempDir('gms-tsa-');
  fs.writeFileSync(path.join(dir, 'serial'), '01\n');
  const cnf = path.join(dir, 'tsa.cnf');
  fs.writeFileSync(cnf, config(dir, pki, options.digests ?? 'sha256, sha384, sha512'));
  const requests: Buffer[] = [];
  const responses: Buffer[] = [];
  let queue: Promise<unknown> = Promise.resolve();
  let count = 0;

  const reply = (query: Buffer): Promise<Buffer> => {
    const n = ++count;
    const queryFile = path.join(dir, `q${n}.tsq`);
    const replyFile = path.join(dir, `r${n}.tsr`);
    fs.writeFileSync(queryFile, options.changeNonce ? withOtherNonce(query) : query);
    return new Promise((resolve, reject) => {
      execFile(
        'openssl',
        ['ts', '-reply', '-config', cnf, '-queryfile', queryFile, '-out', replyFile],
        { ...CHILD_LIMIT },
        (error, _stdout, stderr) => {
          if (error) reject(new Error(`openssl ts -reply failed: ${stderr}`));
          else resolve(fs.readFileSync(replyFile));
        },
      );
    });
  };

  const server = http.createServer((req, res) => {
    const pieces: Buffer[] = [];
    req.on('data', (p: Buffer) => pieces.push(p));
    req.on('end', () => {
      const query = Buffer.concat(pieces);
      requests.push(query);
      const answer = queue.then(() => reply(query));
      queue = answer.catch(() => undefined);
      answer.then(
        (body) => {
          responses.push(body);
          res.writeHead(200, { 'Content-Type': 'application/timestamp-reply', 'Content-Length': body.length });
          res.end(body);
        },
        (error: Error) => {
          res.writeHead(500, { 'Content-Type': 'text/plain' });
          res.end(error.message);
        },
      );
    });
  });
  return serve(server, requests, responses);
}

/** A URL on which nothing listens: a port that was just bound and released. */
export async function closedUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/ts`;
}

/** What a stub authority does with a request: answer with a status and body, or never answer. */
export type StubAnswer = { status: number; body: Buffer } | 'hang';

/** A misbehaving "authority" that answers every request as `answer` says (HTTP errors, garbage, silence). */
export async function startStub(answer: (request: Buffer) => StubAnswer): Promise<Tsa> {
  const requests: Buffer[] = [];
  const responses: Buffer[] = [];
  const server = http.createServer((req, res) => {
    const pieces: Buffer[] = [];
    req.on('data', (p: Buffer) => pieces.push(p));
    req.on('end', () => {
      const request = Buffer.concat(pieces);
      requests.push(request);
      const a = answer(request);
      if (a === 'hang') return;
      responses.push(a.body);
      res.writeHead(a.status, { 'Content-Type': 'application/timestamp-reply' });
      res.end(a.body);
    });
  });
  return serve(server, requests, responses);
}

/** Listens on a free loopback port; `stop` also ends requests left hanging, so a test never waits on them. */
async function serve(server: http.Server, requests: Buffer[], responses: Buffer[]): Promise<Tsa> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/ts`,
    requests,
    responses,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
