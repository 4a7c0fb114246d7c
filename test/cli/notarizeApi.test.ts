/**
 * `go-macos-sign notarize --via api` and `staple --via builtin` through the bundled CLI, on Linux, against the strict
 * local stand-in for Apple's notary service (test/support/fakeNotary.ts: JWT, SigV4, SHA-256 of the upload, presigned
 * log) and ticket service (test/support/ticketServer.ts is the engine tests'; here the lookup finds nothing).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Submission } from '../../server/src/protocol';
import { waitUntil, within } from '../support/bounds';
import { DEVELOPER_ID_BINARY } from '../support/fakeApple';
import { FakeNotary, FakeNotaryOptions, startFakeNotary } from '../support/fakeNotary';
import { buildGo, REPO, runCli, runCliAsync, tempDir } from '../support/tools';

const KEY_ID = 'ABCDE12345';
const ISSUER = '69a6de7e-1a2b-47e3-e053-5b8c7c11a4d1';

/** The API key options of `notarize`, for the .p8 file `key`. */
const apiKey = (key: string) => ['--key', key, '--key-id', KEY_ID, '--issuer', ISSUER];

describe('notarize through the Notary REST API, from the command line', () => {
  let fake: FakeNotary;
  let p8: string;
  before(async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    p8 = path.join(tempDir(), `AuthKey_${KEY_ID}.p8`);
    fs.writeFileSync(p8, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    fake = await startFakeNotary({ publicKey, keyId: KEY_ID, issuer: ISSUER });
  });
  after(() => fake.close());

  it('zips in-process, submits, uploads, waits and reads the log: an ad-hoc binary is Invalid with Apple-shaped issues, and no secret is printed', async () => {
    const dir = tempDir();
    const binary = buildGo('arm64', dir);
    assert.equal(runCli('sign', '--adhoc', binary).code, 0);
    const env = { ...fake.env, GO_MACOS_SIGN_STATE_DIR: path.join(dir, 'state') };
    // Ad hoc on purpose (the service's Invalid flow): --force past the pre-flight, which would stop it locally.
    const args = ['notarize', '--json', '--force', ...apiKey(p8), '--timeout', '60s'];
    const r = await runCliAsync([...args, binary], env);
    assert.equal(r.code, 1, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.backend, 'api', 'off macOS with an API key, the REST API is the default');
    assert.equal(out.status, 'Invalid');
    assert.ok(out.issues.length > 0);
    assert.ok(out.issues.every((i: { docUrl: unknown }) => typeof i.docUrl === 'string' || i.docUrl === null));
    assert.ok(fs.existsSync(`${binary}.zip`), 'the archive submitted: the binary zipped with its parent kept');
    assert.equal(fake.submissions.length, 1);
    for (const secret of fake.secrets()) assert.ok(!(r.stdout + r.stderr).includes(secret), 'a credential leaked');

    // A second run finds the saved verdict for the same archive: nothing is submitted again.
    const again = await runCliAsync([...args, binary], env);
    assert.equal(again.code, 1, again.stderr);
    assert.equal(JSON.parse(again.stdout).resumed, true);
    assert.equal(fake.submissions.length, 1);
  });

  it('a submission made with --force and still in progress is resumed without --force; the pre-flight is back once the artifact changes', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const key = path.join(tempDir(), `AuthKey_${KEY_ID}.p8`);
    fs.writeFileSync(key, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const slow = await startFakeNotary({ publicKey, keyId: KEY_ID, issuer: ISSUER, processingMs: 3_600_000 });
    try {
      const dir = tempDir();
      const binary = buildGo('arm64', dir);
      assert.equal(runCli('sign', '--adhoc', binary).code, 0);
      const env = { ...slow.env, GO_MACOS_SIGN_STATE_DIR: path.join(dir, 'state') };
      const args = ['notarize', '--json', ...apiKey(key), '--timeout', '2s'];
      const first = await runCliAsync([...args, '--force', binary], env);
      assert.equal(JSON.parse(first.stdout).status, 'In Progress', first.stderr);
      assert.equal(slow.submissions.length, 1);

      // A reload of VS Code resumes the run without --force: the pre-flight must not stop what was submitted already.
      const resumed = await runCliAsync([...args, binary], env);
      const out = JSON.parse(resumed.stdout);
      assert.equal(out.error, undefined, resumed.stderr);
      assert.equal(out.resumed, true);
      assert.match(out.preflight.skipped[0].reason, /resuming it/);
      assert.equal(slow.submissions.length, 1, 'nothing submitted again');

      // Signed again: new bytes, so the pre-flight judges them, and refuses.
      assert.equal(runCli('sign', '--adhoc', binary).code, 0);
      fs.utimesSync(binary, new Date(), new Date(Date.now() + 5_000));
      const changed = await runCliAsync([...args, binary], env);
      assert.equal(changed.code, 1);
      assert.ok(JSON.parse(changed.stdout).preflight.findings.length > 0, changed.stdout);
      assert.equal(slow.submissions.length, 1);
    } finally {
      await slow.close();
    }
  });

  it('--via api without a key is a usage error naming what it needs', async () => {
    const r = await runCliAsync(['notarize', '--via', 'api', path.join(tempDir(), 'x')], fake.env);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--via api needs an App Store Connect API key/);
  });

  it('staple --via builtin explains that a bare binary cannot carry a ticket', async () => {
    const binary = buildGo('amd64', tempDir());
    const r = runCli('staple', '--via', 'builtin', binary);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /cannot carry a stapled ticket/);
  });
});

describe('notarize --via api killed and run again (multipart upload of a Developer ID binary)', () => {
  const MiB = 1024 * 1024;
  let p8 = '';
  let publicKey: ReturnType<typeof generateKeyPairSync>['publicKey'];
  const fakes: FakeNotary[] = [];
  before(() => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    publicKey = pair.publicKey;
    p8 = path.join(tempDir(), `AuthKey_${KEY_ID}.p8`);
    fs.writeFileSync(p8, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  });
  after(async () => {
    for (const fake of fakes) await fake.close();
  });

  /** A copy of the Developer ID fixture (its zip, about 12 MB, goes next to it) and a fresh state folder. */
  async function setUp(o: Partial<FakeNotaryOptions> = {}) {
    const fake = await startFakeNotary({ publicKey, keyId: KEY_ID, issuer: ISSUER, ...o });
    fakes.push(fake);
    const dir = tempDir();
    const binary = path.join(dir, 'sentry-cli');
    fs.copyFileSync(DEVELOPER_ID_BINARY(), binary);
    const state = path.join(dir, 'state');
    // 5 MiB parts (S3's smallest; the stand-in refuses smaller ones): the archive goes in 3 parts.
    const env = { ...fake.env, GO_MACOS_SIGN_STATE_DIR: state, GO_MACOS_SIGN_S3_PART_SIZE: String(5 * MiB) };
    const args = ['notarize', '--json', ...apiKey(p8), '--timeout', '10m', binary];
    const store = path.join(state, 'submissions.json');
    const saved = (): Submission[] => (fs.existsSync(store) ? JSON.parse(fs.readFileSync(store, 'utf8')) : []);
    /** The CLI in a child process, killed with SIGKILL once `until` holds. */
    const killedWhen = async (what: string, until: () => boolean) => {
      const child = spawn(process.execPath, [path.join(REPO, 'dist', 'cli.js'), ...args], {
        env: { ...process.env, NO_COLOR: '1', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (b: Buffer) => (output += b.toString('utf8')));
      child.stderr.on('data', (b: Buffer) => (output += b.toString('utf8')));
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await waitUntil(what, until, 240_000);
      child.kill('SIGKILL');
      await within(exited, 30_000, 'the killed CLI to exit');
      return output;
    };
    const assertNoSecrets = (...texts: string[]) => {
      const seen = [...texts, fs.existsSync(store) ? fs.readFileSync(store, 'utf8') : ''].join('\n');
      for (const secret of fake.secrets()) assert.ok(!seen.includes(secret), 'an issued secret leaked');
      assert.doesNotMatch(seen, /X-Amz-(Signature|Credential|Security-Token)=|uploadId=/);
    };
    return { fake, args, env, saved, killedWhen, assertNoSecrets };
  }

  it('killed during the upload: the next run marks the unfinished submission Abandoned and uploads once more', async () => {
    // Part 2 is held unanswered: the CLI is killed while it waits for S3.
    const t = await setUp({ s3Faults: [{ action: 'part', part: 2, kind: 'stall' }] });
    const first = await t.killedWhen('part 2 to reach the stand-in', () =>
      t.fake.requests.some((r) => r.s3?.action === 'part' && r.s3.part === 2),
    );
    const [unfinished] = t.saved();
    assert.equal(unfinished.uploaded, false, 'saved before the upload, never marked uploaded');
    assert.deepEqual(t.fake.multipart(unfinished.id), [{ state: 'open', parts: [1] }]);

    const r = await runCliAsync(t.args, t.env);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.status, 'Accepted');
    assert.equal(out.covered, true);
    assert.notEqual(out.submissionId, unfinished.id);
    assert.match(r.stderr, new RegExp(`submission ${unfinished.id}: its upload was interrupted`));
    assert.match(r.stderr, /uploaded [\d.]+ of [\d.]+ MB \(100%\)/, 'progress on stderr');
    assert.deepEqual(
      t.saved().map((s) => [s.id, s.status]),
      [
        [unfinished.id, 'Abandoned'],
        [out.submissionId, 'Accepted'],
      ],
    );
    assert.deepEqual(t.fake.multipart(out.submissionId), [{ state: 'completed', parts: [1, 2, 3] }]);
    assert.equal(t.fake.submissions.length, 2);
    t.assertNoSecrets(first, r.stdout, r.stderr);
  });

  it('killed during the wait: the next run resumes the wait and uploads nothing', async () => {
    const t = await setUp();
    t.fake.holdVerdicts = true;
    const first = await t.killedWhen(
      'the upload to complete and the wait to start',
      () =>
        t.saved()[0]?.uploaded === true &&
        t.fake.requests.some((r) => r.method === 'GET' && /^\/notary\/v2\/submissions\/[^/]+$/.test(r.path)),
    );
    assert.match(first, /uploaded [\d.]+ of [\d.]+ MB \(100%\)/);
    const before = t.fake.requests.length;
    t.fake.holdVerdicts = false;
    const r = await runCliAsync(t.args, t.env);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.status, 'Accepted');
    assert.equal(out.resumed, true);
    assert.equal(out.submissionId, t.fake.submissions[0].id);
    assert.equal(t.fake.submissions.length, 1);
    const after = t.fake.requests.slice(before);
    assert.ok(
      after.every((req) => req.method === 'GET' && !req.s3),
      `no submission and no upload: ${after.map((q) => `${q.method} ${q.path}`).join(', ')}`,
    );
    assert.doesNotMatch(r.stderr, /uploaded /);
    t.assertNoSecrets(first, r.stdout, r.stderr);
  });
});
