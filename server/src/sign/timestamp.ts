/**
 * An RFC 3161 time-stamp client: the secure timestamp of a code signature.
 *
 * The request stamps the SHA-256 of the CMS SignerInfo's signature value (what Apple's verifier hashes: RFC 3161
 * Appendix A), with a random 64-bit nonce and certReq true, so the token carries the TSA's certificate. It is POSTed as
 * `application/timestamp-query` over HTTP(S) with a bounded response and a timeout. The answer is accepted only when
 * its status is granted (0) or granted with modifications (1), and the token's TSTInfo stamps exactly our imprint with
 * exactly our nonce; the token (a ContentInfo with SignedData) is returned for the SignerInfo's unsigned attribute
 * 1.2.840.113549.1.9.16.2.14. Verifying the token's own signature is left to verifiers (ours and Apple's).
 *
 * Every failure is one InputError line naming the authority (without any user:password part of its URL).
 */
import { createHash, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import { InputError } from '../errors';
import { children, content, context, expect, integerHex, Node, oid, raw, readNode, TAG } from '../macho/der';
import { OIDS } from '../macho/oids';
import { algorithm, boolean, integer, octetString, sequence, unsignedInteger } from './derWriter';

export const DEFAULT_TSA_URL = 'http://timestamp.apple.com/ts01';

/** The time-stamp authority: `GO_MACOS_SIGN_TSA_URL` when set (tests use a local one), else Apple's. */
export function timestampUrlFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return env.GO_MACOS_SIGN_TSA_URL?.trim() || DEFAULT_TSA_URL;
}

export interface TimestampOptions {
  /** Gives up after this long (connection and answer together). */
  timeoutMs?: number;
  /** The largest answer accepted; Apple's tokens are about 4 KB. */
  maxResponseBytes?: number;
}

const STATUS_TEXT = ['granted', 'granted with modifications', 'rejection', 'waiting', 'revocation warning'];

/** Asks `url` for a timestamp token over `signature` (the SignerInfo's signature value). */
export async function requestTimestamp(
  url: string,
  signature: Uint8Array,
  options: TimestampOptions = {},
): Promise<Buffer> {
  const where = displayUrl(url);
  const imprint = createHash('sha256').update(signature).digest();
  const nonce = randomBytes(8);
  nonce[0] &= 0x7f; // a positive INTEGER of at most 64 bits
  const request = sequence(
    integer(1),
    sequence(algorithm(OIDS.sha256, true), octetString(imprint)),
    unsignedInteger(nonce),
    boolean(true),
  );
  const response = await post(url, request, options.timeoutMs ?? 30_000, options.maxResponseBytes ?? 256 * 1024);
  return checkTimestampResponse(response, imprint, nonce, where);
}

/**
 * The token of a TimeStampResp, once its status, imprint and nonce are checked (exported for tests that feed it
 * damaged answers). Throws InputError naming the authority `where`.
 */
export function checkTimestampResponse(response: Buffer, imprint: Buffer, nonce: Buffer, where: string): Buffer {
  try {
    return readResponse(response, imprint, nonce, where);
  } catch (error) {
    if (!(error instanceof InputError) || error.message.startsWith('the time-stamp authority')) throw error;
    throw new InputError(`the time-stamp authority ${where} answered with something unreadable: ${error.message}`);
  }
}

/** TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken ContentInfo OPTIONAL } */
function readResponse(response: Buffer, imprint: Buffer, nonce: Buffer, where: string): Buffer {
  const top = expect(readNode(response, 0), TAG.sequence, 'TimeStampResp');
  const [statusInfo, token] = children(response, top);
  const [status, ...details] = children(response, expect(statusInfo, TAG.sequence, 'PKIStatusInfo'));
  const statusHex = integerHex(response, expect(status, TAG.integer, 'PKIStatus'));
  const code = statusHex.length > 0 && statusHex.length <= 8 ? parseInt(statusHex, 16) : -1;
  if (code !== 0 && code !== 1) {
    const said = details
      .filter((d) => d.tag === TAG.sequence)
      .flatMap((d) => children(response, d))
      .filter((s) => s.tag === TAG.utf8String)
      .map((s) =>
        content(response, s)
          .toString('utf8')
          .replace(/[\x00-\x1f\x7f]/g, ' '),
      )
      .join('; ');
    throw new InputError(
      `the time-stamp authority ${where} refused the request: status ${code} (${STATUS_TEXT[code] ?? 'unknown'})${said ? `: ${said.slice(0, 200)}` : ''}`,
    );
  }
  if (!token) throw new InputError(`the time-stamp authority ${where} granted the request but sent no token`);
  const tokenBytes = Buffer.from(raw(response, token));
  const tst = tstInfo(tokenBytes);
  // TSTInfo ::= SEQUENCE { version, policy, messageImprint, serialNumber, genTime, accuracy?, ordering?, nonce?, ... }
  const fields = children(tst, expect(readNode(tst, 0), TAG.sequence, 'TSTInfo'));
  const [algorithmNode, hashed] = children(tst, expect(fields[2], TAG.sequence, 'MessageImprint'));
  const stampedAlgorithm = oid(
    tst,
    expect(
      children(tst, expect(algorithmNode, TAG.sequence, 'MessageImprint algorithm'))[0],
      TAG.oid,
      'MessageImprint algorithm',
    ),
  );
  const stamped = content(tst, expect(hashed, TAG.octetString, 'MessageImprint hash'));
  if (stampedAlgorithm !== OIDS.sha256 || !stamped.equals(imprint)) {
    throw new InputError(`the time-stamp authority ${where} stamped something else than this signature`);
  }
  const tokenNonce = fields.slice(5).find((f) => f.tag === TAG.integer);
  if (
    !tokenNonce ||
    integerHex(tst, tokenNonce).replace(/^(00)+/, '') !== nonce.toString('hex').replace(/^(00)+/, '')
  ) {
    throw new InputError(
      `the time-stamp authority ${where} answered with a nonce that is not the request's (a replayed or foreign answer)`,
    );
  }
  return tokenBytes;
}

/** The DER TSTInfo inside a token: ContentInfo { signedData, [0] SignedData { …, encapContentInfo { tstInfo, [0] OCTET STRING } } } */
function tstInfo(token: Buffer): Buffer {
  const [type, explicit] = children(token, expect(readNode(token, 0), TAG.sequence, 'the timestamp token'));
  if (oid(token, expect(type, TAG.oid, 'content type')) !== OIDS.signedData) {
    throw new InputError('the timestamp token is not a SignedData');
  }
  const signedData = expect(children(token, expect(explicit, context(0), 'content'))[0], TAG.sequence, 'SignedData');
  const encap = expect(children(token, signedData)[2], TAG.sequence, 'encapContentInfo');
  const [eType, eExplicit] = children(token, encap);
  if (oid(token, expect(eType, TAG.oid, 'eContentType')) !== OIDS.tstInfo || !eExplicit) {
    throw new InputError('the timestamp token holds no TSTInfo');
  }
  return octets(token, children(token, expect(eExplicit, context(0), 'eContent'))[0]);
}

/** An OCTET STRING's bytes, also when BER splits it into constructed pieces. */
function octets(buf: Buffer, node: Node | undefined): Buffer {
  if (node?.tag === (TAG.octetString | 0x20)) return Buffer.concat(children(buf, node).map((n) => octets(buf, n)));
  return Buffer.from(content(buf, expect(node, TAG.octetString, 'eContent')));
}

/** The URL as messages show it: without credentials. */
function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return JSON.stringify(url);
  }
}

function post(url: string, body: Buffer, timeoutMs: number, maxBytes: number): Promise<Buffer> {
  const where = displayUrl(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return Promise.reject(new InputError(`the time-stamp authority URL ${where} is not a URL`));
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return Promise.reject(new InputError(`the time-stamp authority URL ${where} is not http or https`));
  }
  const client = parsed.protocol === 'https:' ? https : http;
  return new Promise<Buffer>((resolve, reject) => {
    const fail = (message: string) => {
      request.destroy();
      reject(new InputError(`the time-stamp authority ${where} ${message}`));
    };
    const timer = setTimeout(() => fail(`did not answer within ${timeoutMs / 1000} s`), timeoutMs);
    const request = client.request(
      parsed,
      {
        method: 'POST',
        headers: {
          'Content-Type': 'application/timestamp-query',
          Accept: 'application/timestamp-reply',
          'Content-Length': body.length,
        },
      },
      (response) => {
        if (response.statusCode !== 200) {
          clearTimeout(timer);
          response.resume();
          fail(`answered HTTP ${response.statusCode ?? '?'}`);
          return;
        }
        const declared = Number(response.headers['content-length'] ?? 0);
        if (declared > maxBytes) {
          clearTimeout(timer);
          fail(`answered with ${declared} bytes, more than the ${maxBytes} accepted`);
          return;
        }
        const pieces: Buffer[] = [];
        let received = 0;
        response.on('data', (piece: Buffer) => {
          received += piece.length;
          if (received > maxBytes) {
            clearTimeout(timer);
            fail(`answered with more than the ${maxBytes} bytes accepted`);
            return;
          }
          pieces.push(piece);
        });
        response.on('end', () => {
          clearTimeout(timer);
          resolve(Buffer.concat(pieces));
        });
        response.on('error', (error) => {
          clearTimeout(timer);
          fail(`broke off its answer (${networkReason(error)})`);
        });
      },
    );
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(new InputError(`the time-stamp authority ${where} cannot be reached (${networkReason(error)})`));
    });
    request.end(body);
  });
}

function networkReason(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code ?? error.message.split('\n')[0];
}
