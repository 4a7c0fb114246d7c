/**
 * The RFC 3161 client against authorities that misbehave: HTTP errors, silence, answers too large, garbage, and real
 * `openssl ts -reply` answers damaged byte by byte (seeded). Each ends in one InputError line or a checked token;
 * nothing else may escape. The good path and the nonce and status checks are in signCms.test.ts.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InputError } from '../../server/src/errors';
import { checkTimestampResponse, requestTimestamp } from '../../server/src/sign/timestamp';
import { CHILD_LIMIT } from '../support/bounds';
import { prng } from '../support/random';
import { startStub, startTsa, Tsa } from '../support/tsa';
import { tempDir } from '../support/tools';
import { rejection } from '../support/rejection';

const dir = tempDir();
const SIGNATURE = Buffer.from('a signature value to stamp');

describe('time-stamp client against misbehaving authorities', () => {
  let tsa: Tsa;
  before(async () => {
    tsa = await startTsa();
  });
  after(() => tsa?.stop());

  const cases: [string, Parameters<typeof startStub>[0], RegExp, object?][] = [
    ['an HTTP error', () => ({ status: 503, body: Buffer.from('busy') }), /answered HTTP 503/],
    ['garbage', () => ({ status: 200, body: Buffer.from('<html>hello</html>') }), /answered with something unreadable/],
    ['an empty answer', () => ({ status: 200, body: Buffer.alloc(0) }), /answered with something unreadable/],
    [
      'an answer larger than accepted',
      () => ({ status: 200, body: Buffer.alloc(5000) }),
      /more than the 4096 bytes accepted/,
      { maxResponseBytes: 4096 },
    ],
    ['silence', () => 'hang', /did not answer within 0\.3 s/, { timeoutMs: 300 }],
  ];
  for (const [label, answer, expected, options] of cases) {
    it(`${label} is one line naming the authority`, async () => {
      const stub = await startStub(answer);
      try {
        const message = await rejection(requestTimestamp(stub.url, SIGNATURE, options));
        assert.match(message, expected);
        assert.ok(message.includes(stub.url), message);
      } finally {
        await stub.stop();
      }
    });
  }

  it('a real answer damaged byte by byte (seeded) is a token or an InputError, never another exception', async () => {
    await requestTimestamp(tsa.url, SIGNATURE);
    const request = tsa.requests[tsa.requests.length - 1];
    const response = tsa.responses[tsa.responses.length - 1];
    // The imprint and nonce as openssl reads the request.
    fs.writeFileSync(path.join(dir, 'q.tsq'), request);
    const printed = execFileSync('openssl', ['ts', '-query', '-in', path.join(dir, 'q.tsq'), '-text'], {
      ...CHILD_LIMIT,
      encoding: 'utf8',
    });
    const nonceHex = /Nonce: 0x([0-9A-F]+)/.exec(printed)![1];
    const nonce = Buffer.from(nonceHex.length % 2 ? `0${nonceHex}` : nonceHex, 'hex');
    const imprint = Buffer.from(
      [...printed.matchAll(/^\s*[0-9a-f]{4} - ((?:[0-9a-f]{2}[ -]){1,16})/gm)]
        .map((m) => m[1].replace(/[ -]/g, ''))
        .join(''),
      'hex',
    );
    assert.ok(checkTimestampResponse(response, imprint, nonce, 'the stub').length > 0, 'the undamaged answer passes');
    const rand = prng(12);
    let refused = 0;
    for (let i = 0; i < 400; i++) {
      const damaged = Buffer.from(response);
      const at = Math.floor(rand() * damaged.length);
      if (i % 4 === 0) {
        damaged[at] = Math.floor(rand() * 256);
      } else if (i % 4 === 1) {
        damaged[at] ^= 1 << Math.floor(rand() * 8);
      }
      const input = i % 4 === 2 ? damaged.subarray(0, at) : i % 4 === 3 ? damaged.subarray(at) : damaged;
      try {
        checkTimestampResponse(input, imprint, nonce, 'the stub');
      } catch (error) {
        assert.ok(error instanceof InputError, `damage ${i}: ${String(error)}`);
        assert.doesNotMatch(error.message, /\n/);
        refused++;
      }
    }
    assert.ok(refused > 0);
  });
});
