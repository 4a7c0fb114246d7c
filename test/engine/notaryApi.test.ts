/**
 * Notarization through the Notary REST API (server/src/notary/submitApi.ts and its parts) against the strict local
 * stand-in (test/support/fakeNotary.ts): Accepted and Invalid verdicts judged from what the archive really holds
 * (fake-apple's Python judge), a run killed during the upload and during the wait then resumed, a wait of hours with
 * a clock that moves faster (every request gets a fresh token; a stale one is refused), and every error a user can
 * meet, each one line. No output, error, log or saved file may contain the upload credentials or the log's token.
 *
 * Keys come from openssl; the ticket's cdhashes from the Python judge (codesig.py), compared with ours.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createHash, createPublicKey, KeyObject } from 'node:crypto';
import { InputError } from '../../server/src/errors';
import { NotaryClient } from '../../server/src/notary/api';
import { Clock, NetworkError, redact } from '../../server/src/notary/http';
import { ApiKey, loadApiKey, mintToken } from '../../server/src/notary/jwt';
import {
  MAX_PARTS,
  MIN_PART_SIZE,
  partSizeFrom,
  planParts,
  uploadArchive,
  uploadUrl,
} from '../../server/src/notary/s3Upload';
import { ApiNotarizeOptions, notarizeViaApi } from '../../server/src/notary/submitApi';
import { SubmissionStore } from '../../server/src/notary/submissions';
import { localCdhashes } from '../../server/src/pipeline/steps';
import { CHILD_LIMIT } from '../support/bounds';
import { DEVELOPER_ID_BINARY } from '../support/fakeApple';
import { FakeNotary, FakeNotaryOptions, startFakeNotary } from '../support/fakeNotary';
import { buildGo, tempDir } from '../support/tools';

const KEY_ID = '2X9R4HXF34';
const ISSUER = '57246542-96fe-1a63-e053-0824d011072a';
const dir = tempDir('gms-notary-api-');

const openssl = (...args: string[]) => execFileSync('openssl', args, { ...CHILD_LIMIT, encoding: 'utf8' });

/** A clock that only moves when the code under test sleeps (a wait of hours takes milliseconds). */
class TestClock implements Clock {
  t = Date.UTC(2026, 10, 24, 12, 0, 0);
  now = () => this.t;
  sleep = async (ms: number, signal?: AbortSignal) => {
    if (signal?.aborted) throw new NetworkError('cancelled', true);
    this.t += ms;
    await new Promise((resolve) => setImmediate(resolve));
  };
}

let p8 = '';
let publicKey: KeyObject;
let acceptedZip = '';
let acceptedBinary = '';
let invalidZip = '';
let invalidBinary = '';

function zipOf(file: string, zip: string): string {
  execFileSync('zip', ['-q', '-j', zip, file], CHILD_LIMIT);
  return zip;
}

async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`);
    assert.doesNotMatch(error.message, /\n/, 'one line');
    return error.message;
  }
  assert.fail('no error');
}

interface Run {
  fake: FakeNotary;
  clock: TestClock;
  store: SubmissionStore;
  stateDir: string;
  lines: string[];
  options(extra?: Partial<ApiNotarizeOptions>): ApiNotarizeOptions;
  /** Everything a user or a file could see: no issued secret may be in it. */
  assertNoSecrets(...more: unknown[]): void;
}

const runs: FakeNotary[] = [];
after(async () => {
  for (const fake of runs) await fake.close();
});

async function setUp(binary: string, o: Partial<FakeNotaryOptions> = {}): Promise<Run> {
  const clock = new TestClock();
  const fake = await startFakeNotary({ publicKey, keyId: KEY_ID, issuer: ISSUER, now: clock.now, ...o });
  runs.push(fake);
  const stateDir = fs.mkdtempSync(path.join(dir, 'state-'));
  const store = new SubmissionStore(stateDir);
  const lines: string[] = [];
  return {
    fake,
    clock,
    store,
    stateDir,
    lines,
    options: (extra = {}) => ({
      artifact: binary,
      store,
      localCdhashes: () => localCdhashes(binary),
      timeoutMs: 6 * 3600_000,
      say: (line) => lines.push(line),
      clock,
      env: fake.env,
      ...extra,
    }),
    assertNoSecrets: (...more) => {
      const seen = [
        ...lines,
        ...more.map((m) => (typeof m === 'string' ? m : JSON.stringify(m))),
        ...fs.readdirSync(stateDir).map((f) => fs.readFileSync(path.join(stateDir, f), 'utf8')),
      ].join('\n');
      for (const secret of fake.secrets()) assert.ok(!seen.includes(secret), 'an issued secret leaked');
      assert.doesNotMatch(seen, /X-Amz-Signature|\/logs\/[0-9a-f-]+\?/);
    },
  };
}

const key = (): ApiKey => loadApiKey(p8, KEY_ID, ISSUER);

before(() => {
  p8 = openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256');
  publicKey = createPublicKey(openssl('pkey', '-pubout', '-in', writeTemp('key.p8', p8)));
  acceptedBinary = DEVELOPER_ID_BINARY();
  acceptedZip = zipOf(acceptedBinary, path.join(dir, 'sentry-cli.zip'));
  invalidBinary = buildGo('amd64', path.join(dir, 'go'));
  invalidZip = zipOf(invalidBinary, path.join(dir, 'hello.zip'));
});

function writeTemp(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

describe('the App Store Connect token', () => {
  it('is ES256 with raw r||s that openssl verifies, with the claims Apple documents', () => {
    const token = mintToken(key(), Date.UTC(2026, 10, 24, 12));
    const [h, c, s] = token.split('.');
    assert.deepEqual(JSON.parse(Buffer.from(h, 'base64url').toString()), { alg: 'ES256', kid: KEY_ID, typ: 'JWT' });
    const claims = JSON.parse(Buffer.from(c, 'base64url').toString());
    assert.equal(claims.iss, ISSUER);
    assert.equal(claims.aud, 'appstoreconnect-v1');
    assert.deepEqual(claims.scope, ['/notary/v2']);
    assert.ok(claims.exp - claims.iat <= 1200 && claims.exp > claims.iat);
    // openssl wants DER: wrap r and s (each 32 bytes) as two INTEGERs.
    const raw = Buffer.from(s, 'base64url');
    assert.equal(raw.length, 64);
    const int = (b: Buffer) => {
      let v = b;
      while (v.length > 1 && v[0] === 0 && v[1] < 0x80) v = v.subarray(1);
      if (v[0] & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
      return Buffer.concat([Buffer.from([0x02, v.length]), v]);
    };
    const seq = Buffer.concat([int(raw.subarray(0, 32)), int(raw.subarray(32))]);
    fs.writeFileSync(path.join(dir, 'sig.der'), Buffer.concat([Buffer.from([0x30, seq.length]), seq]));
    fs.writeFileSync(path.join(dir, 'input'), `${h}.${c}`);
    fs.writeFileSync(path.join(dir, 'pub.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
    assert.match(
      openssl(
        'dgst',
        '-sha256',
        '-verify',
        path.join(dir, 'pub.pem'),
        '-signature',
        path.join(dir, 'sig.der'),
        path.join(dir, 'input'),
      ),
      /Verified OK/,
    );
  });

  it('a malformed .p8 is one line that names the problem and never quotes the key', () => {
    const sec1 = openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout');
    const rsa = openssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024');
    const truncated = p8.replace(/[A-Za-z0-9+/]{20}\n-----END/, '\n-----END');
    const cases: [string, RegExp][] = [
      ['not a key at all', /not PEM text/],
      [sec1, /SEC1 "EC PRIVATE KEY"/],
      [rsa, /rsa key, not an ECDSA P-256 key/],
      [truncated, /cannot be read/],
    ];
    for (const [text, expected] of cases) {
      let message = '';
      assert.throws(
        () => loadApiKey(text, KEY_ID, ISSUER),
        (e: Error) => ((message = e.message), e instanceof InputError),
      );
      assert.match(message, expected);
      assert.match(message, /AuthKey_2X9R4HXF34\.p8/);
      assert.doesNotMatch(message, /\n|[A-Za-z0-9+/]{40}/, 'no key material');
    }
    assert.throws(() => loadApiKey(p8, 'short', ISSUER), /10 upper-case letters or digits/);
    assert.throws(() => loadApiKey(p8, KEY_ID, 'not-a-uuid'), /is a UUID/);
  });

  it('an individual key (no issuer) is refused before any request, saying why', async () => {
    const run = await setUp(acceptedBinary);
    assert.throws(() => new NotaryClient(loadApiKey(p8, KEY_ID, null), { env: run.fake.env }), /team key/);
    assert.equal(run.fake.requests.length, 0);
  });
});

describe('notarize through the Notary API (stand-in)', () => {
  it('Accepted: uploaded once, the log read through its presigned URL, the ticket covers the local cdhashes', async () => {
    const run = await setUp(acceptedBinary, { processingMs: 90_000 });
    const progress: number[] = [];
    const result = await notarizeViaApi(acceptedZip, key(), run.options({ onProgress: (sent) => progress.push(sent) }));
    assert.equal(result.status, 'Accepted');
    assert.equal(result.resumed, false);
    assert.equal(result.covered, true);
    // The ticket's cdhashes are the Python judge's (codesig.py); the local ones are ours.
    assert.deepEqual([...result.ticketCdhashes].sort(), [...result.localCdhashes].sort());
    assert.equal(result.ticketCdhashes.length, 2, 'both slices of the universal binary');
    assert.equal(progress.at(-1), fs.statSync(acceptedZip).size);
    assert.ok(result.log && fs.existsSync(result.log));
    const methods = run.fake.requests.map((r) => `${r.method} ${r.path.replace(/[0-9a-f-]{36}/, 'ID')}`);
    assert.equal(methods.filter((m) => m === 'POST /notary/v2/submissions').length, 1);
    assert.equal(methods.filter((m) => m.startsWith('PUT /s3/')).length, 1);
    const logGet = run.fake.requests.find((r) => r.path.startsWith('/logs/'));
    assert.ok(logGet && logGet.status === 200 && !logGet.authorization, 'the log is fetched without our token');
    assert.ok(
      run.fake.requests.every((r) => !r.refused),
      'nothing was refused',
    );
    const saved = run.store.load();
    assert.equal(saved.length, 1);
    assert.equal(saved[0].status, 'Accepted');
    assert.equal(saved[0].uploaded, true);
    run.assertNoSecrets(result, fs.readFileSync(result.log!, 'utf8'));

    const listed = await new NotaryClient(key(), { env: run.fake.env, clock: run.clock }).list();
    assert.deepEqual(
      listed.map((s) => [s.id, s.status]),
      [[result.submissionId, 'Accepted']],
    );

    // A second run on the same bytes reuses the verdict: no submission, no upload.
    const before = run.fake.requests.length;
    const again = await notarizeViaApi(acceptedZip, key(), run.options());
    assert.equal(again.resumed, true);
    assert.equal(again.status, 'Accepted');
    assert.ok(run.fake.requests.slice(before).every((r) => r.method === 'GET'));
  });

  it("Invalid: the issues carry Apple's message, docUrl and the likely Go cause", async () => {
    const run = await setUp(invalidBinary);
    const result = await notarizeViaApi(invalidZip, key(), run.options());
    assert.equal(result.status, 'Invalid');
    assert.equal(result.covered, false);
    assert.deepEqual(result.ticketCdhashes, []);
    const issue = result.issues.find((i) => i.message === 'The binary is not signed.');
    assert.ok(issue, JSON.stringify(result.issues));
    assert.match(issue.docUrl ?? '', /^https:\/\/developer\.apple\.com\/documentation\/security\//);
    assert.equal(issue.architecture, 'x86_64');
    assert.match(issue.goCause ?? '', /amd64/);
    run.assertNoSecrets(result);
  });

  it('killed during the upload: the resume asks the service, abandons the unfinished submission, uploads once more', async () => {
    const run = await setUp(acceptedBinary);
    const controller = new AbortController();
    const message = await rejection(
      notarizeViaApi(
        acceptedZip,
        key(),
        run.options({ signal: controller.signal, onProgress: () => controller.abort() }),
      ),
    );
    assert.match(message, /cancelled; submission [0-9a-f-]+ is saved: run notarize again/);
    const [first] = run.store.load();
    assert.equal(first.uploaded, false, 'saved before the upload, not marked uploaded');
    assert.equal(run.fake.submissions.length, 1);
    assert.equal(run.fake.submissions[0].uploadedMs, null, 'the stand-in never got the whole archive');

    const before = run.fake.requests.length;
    const result = await notarizeViaApi(acceptedZip, key(), run.options());
    assert.equal(result.status, 'Accepted');
    const resumed = run.fake.requests.slice(before).map((r) => `${r.method} ${r.path}`);
    assert.equal(resumed[0], `GET /notary/v2/submissions/${first.id}`, 'the service is asked first');
    assert.equal(resumed.filter((r) => r === 'POST /notary/v2/submissions').length, 1);
    const saved = run.store.load();
    assert.deepEqual(saved.map((s) => s.status).sort(), ['Abandoned', 'Accepted']);
    assert.equal(saved.find((s) => s.status === 'Accepted')?.id, result.submissionId);
    run.assertNoSecrets(result, message);
  });

  it('killed during the wait: the resume submits and uploads nothing', async () => {
    const run = await setUp(acceptedBinary, { processingMs: 3600_000 });
    const controller = new AbortController();
    const message = await rejection(
      notarizeViaApi(
        acceptedZip,
        key(),
        run.options({
          signal: controller.signal,
          say: (line) => {
            run.lines.push(line);
            if (/In Progress/.test(line)) controller.abort();
          },
        }),
      ),
    );
    assert.match(message, /run notarize again on the same file to resume/);
    assert.equal(run.store.load()[0].uploaded, true);
    const before = run.fake.requests.length;
    const result = await notarizeViaApi(acceptedZip, key(), run.options());
    assert.equal(result.status, 'Accepted');
    assert.equal(result.resumed, true);
    assert.equal(result.submissionId, run.fake.submissions[0].id);
    assert.equal(run.fake.submissions.length, 1);
    assert.ok(
      run.fake.requests.slice(before).every((r) => r.method === 'GET'),
      'no submission and no upload after the resume',
    );
    run.assertNoSecrets(result, message);
  });

  it('a wait of hours: every request carries a fresh token the stand-in accepts; a stale one is refused', async () => {
    const run = await setUp(acceptedBinary, { processingMs: 3 * 3600_000 });
    const result = await notarizeViaApi(acceptedZip, key(), run.options());
    assert.equal(result.status, 'Accepted');
    const api = run.fake.requests.filter((r) => r.path.startsWith('/notary/'));
    assert.ok(api.length > 20, `${api.length} API requests`);
    assert.ok(
      api.every((r) => r.status === 200 && r.claims),
      'every API request was authorized',
    );
    const iats = api.map((r) => r.claims!.iat as number);
    assert.ok(Math.max(...iats) - Math.min(...iats) >= 3 * 3600, 'tokens minted across the whole wait');
    for (const r of api) assert.ok((r.claims!.exp as number) - (r.claims!.iat as number) <= 1200);
    // The first token, replayed now, has expired: the stand-in refuses it as Apple would.
    assert.equal(await run.fake.rawStatus(run.fake.submissions[0].id, api[0].token!), 401);
  });
});

describe('redaction', () => {
  it('removes URL queries and AWS credential values from any text', () => {
    const text =
      'GET https://bucket.s3.amazonaws.com/prod/log.json?X-Amz-Credential=ASIAABCDEFGHIJKLMNOP%2F20261124&X-Amz-Signature=abc123 failed; ' +
      '{"awsSecretAccessKey":"s3cr3t/+=","awsSessionToken":"IQoJtoken"} X-Amz-Security-Token: IQoJtoken2 ASIAQWERTYUIOPASDFGH';
    const out = redact(text);
    for (const secret of ['X-Amz-Credential=ASIA', 'abc123', 's3cr3t', 'IQoJtoken', 'ASIAQWERTYUIOPASDFGH'])
      assert.ok(!out.includes(secret), `${secret} in ${out}`);
    assert.match(out, /^GET https:\/\/bucket\.s3\.amazonaws\.com\/prod\/log\.json\?\[redacted\] failed/);
  });
});

describe('errors a user can act on, one line each', () => {
  it('401: another key, or another key id, names the key id, the issuer and the clock', async () => {
    const other = createPublicKey(
      openssl(
        'pkey',
        '-pubout',
        '-in',
        writeTemp('other.p8', openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256')),
      ),
    );
    for (const o of [{ publicKey: other }, { keyId: 'ABCDEFGHIJ' }]) {
      const run = await setUp(acceptedBinary, o);
      const message = await rejection(notarizeViaApi(acceptedZip, key(), run.options()));
      assert.match(message, /HTTP 401.*key id \(2X9R4HXF34\).*issuer id \(57246542-.*clock/);
      assert.equal(run.fake.submissions.length, 0);
      assert.equal(run.store.load().length, 0, 'nothing saved');
    }
  });

  it("403 with Apple's code: a missing agreement, a missing provider", async () => {
    const cases: [FakeNotaryOptions['forbid'], RegExp][] = [
      [
        {
          code: 'FORBIDDEN.REQUIRED_AGREEMENTS_MISSING_OR_EXPIRED',
          detail: 'A required agreement is missing or has expired.',
        },
        /HTTP 403 FORBIDDEN\.REQUIRED_AGREEMENTS_MISSING_OR_EXPIRED\): A required agreement .*accept the latest agreement/,
      ],
      [
        { code: 'FORBIDDEN.MISSING_PROVIDER', detail: 'Missing provider.' },
        /HTTP 403 FORBIDDEN\.MISSING_PROVIDER\).*team key/,
      ],
    ];
    for (const [forbid, expected] of cases) {
      const run = await setUp(acceptedBinary, { forbid });
      assert.match(await rejection(notarizeViaApi(acceptedZip, key(), run.options())), expected);
      assert.ok(!run.fake.requests.some((r) => r.method === 'PUT'), 'nothing uploaded');
    }
  });

  it('upload failures: retried on 5xx, then one line; bytes that differ from the declared SHA-256 are refused', async () => {
    const flaky = await setUp(acceptedBinary, { s3Failures: 2 });
    assert.equal((await notarizeViaApi(acceptedZip, key(), flaky.options())).status, 'Accepted');
    assert.equal(flaky.fake.requests.filter((r) => r.method === 'PUT').length, 3);

    const down = await setUp(acceptedBinary, { s3AlwaysFails: true });
    const message = await rejection(notarizeViaApi(acceptedZip, key(), down.options()));
    assert.match(
      message,
      /^uploading the archive to 127\.0\.0\.1:\d+ failed \(HTTP 500 InternalError\): run notarize again/,
    );
    assert.equal(down.fake.requests.filter((r) => r.method === 'PUT').length, 5);
    down.assertNoSecrets(message);

    const corrupt = await setUp(acceptedBinary, { corruptUploads: true });
    const bad = await rejection(notarizeViaApi(acceptedZip, key(), corrupt.options()));
    assert.match(bad, /HTTP 400 BadDigest\): the file changed while it was uploaded/);
    assert.equal(corrupt.fake.submissions[0].uploadedMs, null, 'the stand-in kept nothing');
    corrupt.assertNoSecrets(bad);
  });

  it('the stand-in refuses a signature made with another secret or without the session token', async () => {
    const run = await setUp(acceptedBinary);
    const client = new NotaryClient(key(), { env: run.fake.env, clock: run.clock });
    const created = await client.submit('x.zip', 'a'.repeat(64));
    const file = writeTemp('small.zip', 'not really a zip');
    for (const wrong of [{ secretAccessKey: 'wrong' }, { sessionToken: 'wrong' }]) {
      const message = await rejection(
        uploadArchive(file, 'a'.repeat(64), { ...created.upload, ...wrong }, { env: run.fake.env, clock: run.clock }),
      );
      assert.match(message, /HTTP 403 (SignatureDoesNotMatch|InvalidToken)/);
    }
    // A declared digest that is not the submission's is refused before the bytes are looked at.
    const mismatch = await rejection(
      uploadArchive(file, 'b'.repeat(64), created.upload, { env: run.fake.env, clock: run.clock }),
    );
    assert.match(mismatch, /HTTP 400 XAmzContentSHA256Mismatch/);
  });

  it('plain http is refused for anything but a loopback address, before any request', async () => {
    const message = await rejection(
      notarizeViaApi(acceptedZip, key(), {
        ...(await setUp(acceptedBinary)).options(),
        env: { GO_MACOS_SIGN_NOTARY_URL: 'http://notary.example.com/notary/v2' },
      }),
    );
    assert.match(message, /must be https:\/\//);
    assert.throws(
      () => uploadUrl({ bucket: 'b', object: 'o' }, { GO_MACOS_SIGN_S3_ENDPOINT: 'http://10.0.0.1:9000' }),
      /https/,
    );
    assert.equal(
      uploadUrl({ bucket: 'b', object: 'prod/a+b=' }, {}).href,
      'https://b.s3.us-west-2.amazonaws.com/prod/a%2Bb%3D',
    );
  });
});

describe('multipart upload (archives over the part size)', () => {
  const MiB = 1024 * 1024;
  /** S3's smallest part, so the strict stand-in (5 MiB minimum but for the last part) takes it: 3 parts here. */
  const partEnv = (run: Run) => ({ ...run.fake.env, GO_MACOS_SIGN_S3_PART_SIZE: String(5 * MiB) });
  /** How many times each part was sent, and answered how. */
  const partsSent = (fake: FakeNotary) => {
    const out: Record<number, number[]> = {};
    for (const r of fake.requests) if (r.s3?.action === 'part') (out[r.s3.part!] ??= []).push(r.status);
    return out;
  };
  const actions = (fake: FakeNotary) => fake.requests.filter((r) => r.s3).map((r) => r.s3!.action);

  it('plans parts within S3 limits; GO_MACOS_SIGN_S3_PART_SIZE below 5 MiB is refused', () => {
    assert.deepEqual(planParts(16 * MiB, 16 * MiB), [], 'up to one part: a single PUT');
    assert.deepEqual(
      planParts(12 * MiB + 7, 5 * MiB).map((p) => [p.number, p.offset, p.length]),
      [
        [1, 0, 5 * MiB],
        [2, 5 * MiB, 5 * MiB],
        [3, 10 * MiB, 2 * MiB + 7],
      ],
    );
    const huge = planParts(200 * 1024 * MiB, 16 * MiB);
    assert.ok(huge.length <= MAX_PARTS && huge.length > 1000, `${huge.length} parts`);
    assert.equal(
      huge.reduce((n, p) => n + p.length, 0),
      200 * 1024 * MiB,
    );
    assert.equal(huge[0].length % MiB, 0);
    assert.ok(huge[0].length >= MIN_PART_SIZE);
    assert.equal(partSizeFrom({}), 16 * MiB);
    assert.equal(partSizeFrom({ GO_MACOS_SIGN_S3_PART_SIZE: String(8 * MiB) }), 8 * MiB);
    for (const bad of ['1024', '5M', '-1'])
      assert.throws(() => partSizeFrom({ GO_MACOS_SIGN_S3_PART_SIZE: bad }), /5 MiB.*5 GiB/);
  });

  it('Accepted: create, every part once, complete; progress reaches the size; the stand-in assembled the declared bytes', async () => {
    const run = await setUp(acceptedBinary);
    const progress: number[] = [];
    const result = await notarizeViaApi(
      acceptedZip,
      key(),
      run.options({ env: partEnv(run), onProgress: (sent) => progress.push(sent) }),
    );
    assert.equal(result.status, 'Accepted');
    assert.equal(result.covered, true);
    assert.deepEqual(actions(run.fake), ['create', 'part', 'part', 'part', 'complete']);
    assert.deepEqual(partsSent(run.fake), { 1: [200], 2: [200], 3: [200] });
    assert.deepEqual(run.fake.multipart(result.submissionId), [{ state: 'completed', parts: [1, 2, 3] }]);
    assert.ok(
      run.fake.requests.every((r) => !r.refused),
      'nothing was refused',
    );
    assert.equal(progress.at(-1), fs.statSync(acceptedZip).size);
    assert.ok(
      progress.every((n, i) => i === 0 || n >= progress[i - 1]),
      'progress never goes back without a retry',
    );
    assert.equal(run.store.load()[0].uploaded, true);
    run.assertNoSecrets(result);
  });

  it('a part that fails once (500, or a dropped connection) is sent again alone; finished parts are not', async () => {
    const run = await setUp(acceptedBinary, {
      s3Faults: [
        { action: 'part', part: 2, kind: 'error500' },
        { action: 'part', part: 3, kind: 'drop' },
        // CompleteMultipartUpload answering 200 with an InternalError document: not done, sent again.
        { action: 'complete', kind: 'error200' },
      ],
    });
    const result = await notarizeViaApi(acceptedZip, key(), run.options({ env: partEnv(run) }));
    assert.equal(result.status, 'Accepted');
    assert.deepEqual(partsSent(run.fake), { 1: [200], 2: [500, 200], 3: [0, 200] });
    assert.deepEqual(actions(run.fake), ['create', 'part', 'part', 'part', 'part', 'part', 'complete', 'complete']);
    run.assertNoSecrets(result);
  });

  it('a part that keeps failing: one line naming the part, S3 and the fix; the upload is aborted; nothing leaks', async () => {
    for (const kind of ['error500', 'drop'] as const) {
      const run = await setUp(acceptedBinary, { s3Faults: [{ action: 'part', part: 2, kind, times: Infinity }] });
      const message = await rejection(notarizeViaApi(acceptedZip, key(), run.options({ env: partEnv(run) })));
      assert.match(
        message,
        kind === 'error500'
          ? /^uploading part 2 of 3 of the archive to 127\.0\.0\.1:\d+ failed \(HTTP 500 InternalError\): run notarize again; if it keeps failing, check the network or proxy$/
          : /^uploading part 2 of 3 of the archive failed: cannot reach 127\.0\.0\.1:\d+ \(ECONNRESET\): check the network connection or proxy$/,
      );
      assert.deepEqual(Object.keys(partsSent(run.fake)), ['1', '2'], 'part 3 never sent');
      assert.equal(partsSent(run.fake)[1].length, 1, 'part 1 sent once');
      assert.equal(partsSent(run.fake)[2].length, 5, 'part 2: the first attempt and 4 retries');
      assert.equal(actions(run.fake).at(-1), 'abort');
      const id = run.fake.submissions[0].id;
      assert.deepEqual(run.fake.multipart(id), [{ state: 'aborted', parts: [] }]);
      assert.equal(run.store.load()[0].uploaded, false, 'a later run abandons it and submits again');
      run.assertNoSecrets(message);
    }
  });

  it('the stand-in refuses parts under 5 MiB, a wrong session token, and an object that is not the declared bytes', async () => {
    const run = await setUp(acceptedBinary);
    const client = new NotaryClient(key(), { env: run.fake.env, clock: run.clock });
    const digest = createHash('sha256').update(fs.readFileSync(acceptedZip)).digest('hex');
    const o = { env: run.fake.env, clock: run.clock, retries: 0 };
    const small = await client.submit('a.zip', digest);
    assert.match(
      await rejection(uploadArchive(acceptedZip, digest, small.upload, { ...o, partSize: 4 * MiB })),
      /^uploading the archive to .* failed \(HTTP 400 EntityTooSmall\): a part was smaller than 5 MiB/,
    );
    const token = await client.submit('b.zip', digest);
    assert.match(
      await rejection(
        uploadArchive(acceptedZip, digest, { ...token.upload, sessionToken: 'wrong' }, { ...o, partSize: 5 * MiB }),
      ),
      /HTTP 403 InvalidToken/,
    );
    const other = await client.submit('c.zip', 'c'.repeat(64));
    assert.match(
      await rejection(uploadArchive(acceptedZip, digest, other.upload, { ...o, partSize: 5 * MiB })),
      /HTTP 400 BadDigest\): the file changed while it was uploaded/,
    );
    assert.ok(
      run.fake.submissions.every((s) => s.uploadedMs === null),
      'the stand-in kept nothing',
    );
    assert.deepEqual(
      run.fake.requests.filter((r) => r.s3?.action === 'abort').map((r) => r.status),
      [204, 204],
      'each failed upload with an upload id was aborted',
    );
  });
});
