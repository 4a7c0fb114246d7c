/**
 * `go-macos-sign notarize` never uploads what Apple's notary service will certainly reject: for each message of
 * Apple's notarization log that apple-rules §3.2 lists, a real Go binary made to earn it (left unsigned; signed by the
 * builtin signer through the CLI with the test PKI and the local time-stamp authority minus one option; edited after
 * signing; or signed by test/support/adhoc_sign.py with a SHA-1-only CodeDirectory or a broken entitlements blob) is
 * refused locally, exit 1, with Apple's exact message, its docUrl and our fix, through both backends:
 * - `--via api`: the strict stand-in for Apple's Notary REST API (test/support/fakeNotary.ts) sees no request at all;
 * - `--via notarytool`: the fake Apple tools (test/support/fake-apple, on PATH) are never run, not even ditto.
 * Bare binaries, a zip and a flat .pkg (its Payload read in-process) are refused alike.
 * `--force` submits anyway and says what it ignored; a real Developer ID signature (@sentry/cli-darwin's) passes, and
 * the successful JSON carries the pre-flight. The expected texts and anchors are copied from apple-rules §3.2 (Apple's
 * logs), not from our code; facts about the artifacts are confirmed by llvm-objdump where it can tell.
 *
 * The test PKI is not Apple's, so every signature it makes also earns "not signed with a valid Developer ID
 * certificate" (the notary service accepts only Developer ID certificates Apple issued).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { NotarizeJson, PreflightFinding, PreflightResult } from '../../server/src/protocol';
import { CHILD_LIMIT } from '../support/bounds';
import { DEVELOPER_ID_BINARY, fakeApple, FakeApple } from '../support/fakeApple';
import { FakeNotary, startFakeNotary } from '../support/fakeNotary';
import { APPLE } from '../support/appleMessages';
import { testPki } from '../support/testPki';
import { startTsa, Tsa } from '../support/tsa';
import { buildGo, REPO, runCliAsync, tempDir } from '../support/tools';

type Message = keyof typeof APPLE;

const KEY_ID = 'ABCDE12345';
const ISSUER = '69a6de7e-1a2b-47e3-e053-5b8c7c11a4d1';
const XML_HEAD =
  '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n';

function objdump(file: string): string {
  return execFileSync('llvm-objdump-14', ['--macho', '--private-headers', file], { ...CHILD_LIMIT, encoding: 'utf8' });
}

describe('notarize refuses locally what Apple certainly rejects, and sends nothing', () => {
  const dir = tempDir('gms-notarize-preflight-');
  const pki = testPki();
  let tsa: Tsa;
  let notary: FakeNotary;
  let apple: FakeApple;
  let p8: string;
  let arm64: string;
  let amd64: string;

  before(async () => {
    tsa = await startTsa();
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    p8 = path.join(dir, `AuthKey_${KEY_ID}.p8`);
    fs.writeFileSync(p8, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    notary = await startFakeNotary({ publicKey, keyId: KEY_ID, issuer: ISSUER });
    apple = fakeApple();
    arm64 = buildGo('arm64', dir);
    amd64 = buildGo('amd64', dir);
  });
  after(async () => {
    await notary?.close();
    await tsa?.stop();
  });

  const apiEnv = () => ({ ...notary.env, GO_MACOS_SIGN_STATE_DIR: path.join(dir, 'state-api') });
  const api = (file: string, ...extra: string[]) =>
    runCliAsync(
      ['notarize', '--json', '--via', 'api', '--key', p8, '--key-id', KEY_ID, '--issuer', ISSUER, ...extra, file],
      apiEnv(),
    );
  const notarytool = (file: string, ...extra: string[]) =>
    runCliAsync(['notarize', '--via', 'notarytool', '--keychain-profile', 'notary', ...extra, file], apple.env);

  function copy(from: string, name: string): string {
    const to = path.join(dir, name);
    fs.copyFileSync(from, to);
    fs.chmodSync(to, 0o755);
    return to;
  }

  /** Signs a copy of `from` with the builtin signer through the CLI: test PKI, local TSA, extra options. */
  async function signed(name: string, options: string[] = [], from = arm64): Promise<string> {
    const file = copy(from, name);
    const r = await runCliAsync(
      ['sign', '--p12', pki.developerId.p12, '--identifier', 'com.example.hello', ...options, file],
      { GO_MACOS_SIGN_P12_PASSWORD: pki.password, GO_MACOS_SIGN_TSA_URL: tsa.url },
    );
    assert.equal(r.code, 0, r.stderr);
    return file;
  }

  function adhocSign(name: string, args: string[]): string {
    const file = path.join(dir, name);
    execFileSync('python3', [path.join(REPO, 'test', 'support', 'adhoc_sign.py'), arm64, file, ...args], CHILD_LIMIT);
    return file;
  }

  const seen = (findings: PreflightFinding[]) => findings.map((f) => [f.appleMessage, f.docUrl, f.arch ?? '']).sort();
  const expected = (arch: string, messages: Message[]) => messages.map((m) => [...APPLE[m], arch]).sort();

  /**
   * `file` is refused by both backends with exactly `messages` (for `arch`), each with Apple's docUrl and a fix; the
   * stand-in notary sees no request and no fake Apple tool runs.
   */
  async function refused(file: string, arch: string, messages: Message[], shown = file): Promise<void> {
    const requests = notary.requests.length;
    const calls = apple.calls().length;

    const r = await api(file);
    assert.equal(r.code, 1, r.stderr);
    const out = JSON.parse(r.stdout) as Extract<NotarizeJson, { error: string; preflight: PreflightResult }>;
    assert.equal(out.command, 'notarize');
    assert.equal(out.backend, 'api');
    assert.equal(out.ok, false);
    assert.deepEqual(out.commands, []);
    assert.ok(typeof out.error === 'string' && out.preflight, r.stdout);
    assert.match(out.error, /^pre-flight: \d+ problems? Apple's notary service would reject; nothing was submitted/);
    assert.ok(!out.error.includes('\n'), 'one line');
    const { preflight } = out;
    assert.deepEqual(seen(preflight.findings), expected(arch, messages));
    for (const f of preflight.findings) {
      assert.equal(f.path, shown);
      assert.ok(f.fix.length > 0 && f.detail.length > 0);
    }
    assert.ok(!fs.existsSync(`${file}.zip`), 'nothing was zipped');

    const text = await notarytool(file);
    assert.equal(text.code, 1, text.stderr);
    assert.match(text.stdout, /go-macos-sign notarize: pre-flight: .*nothing was submitted \(--force submits anyway\)/);
    for (const m of messages) {
      const [message, docUrl] = APPLE[m];
      assert.ok(text.stdout.includes(`${shown} (${arch}): ${message}`), `${message}\n${text.stdout}`);
      assert.ok(text.stdout.includes(`    ${docUrl}`), docUrl);
    }
    assert.match(text.stdout, /\n {4}fix: /);

    assert.equal(notary.requests.length, requests, 'the stand-in notary service saw a request');
    assert.deepEqual(apple.calls().slice(calls), [], 'a fake Apple tool ran');
  }

  it('"The binary is not signed.": Go\'s darwin/amd64 output (no LC_CODE_SIGNATURE, says llvm-objdump)', async () => {
    const file = copy(amd64, 'unsigned');
    assert.doesNotMatch(objdump(file), /LC_CODE_SIGNATURE/);
    // Apple's logs for unsigned code list the timestamp and (for executables) the hardened runtime too.
    await refused(file, 'x86_64', ['unsigned', 'timestamp', 'runtime']);
  });

  it('"The binary is not signed with a valid Developer ID certificate.": the Go linker\'s ad-hoc signature', async () => {
    const file = copy(arm64, 'linker-signed');
    assert.match(objdump(file), /LC_CODE_SIGNATURE/);
    await refused(file, 'arm64', ['developerId', 'timestamp', 'runtime']);
  });

  it('"The binary is not signed with a valid Developer ID certificate." alone: a full signature by a certificate Apple did not issue', async () => {
    await refused(await signed('test-pki'), 'arm64', ['developerId']);
  });

  it('"The signature of the binary is invalid.": a code byte changed after signing', async () => {
    const file = await signed('patched');
    const bytes = fs.readFileSync(file);
    bytes[0x5000] ^= 0xff;
    fs.writeFileSync(file, bytes);
    await refused(file, 'arm64', ['developerId', 'invalid']);
  });

  it('"The signature does not include a secure timestamp.": sign --no-timestamp', async () => {
    await refused(await signed('no-timestamp', ['--no-timestamp']), 'arm64', ['developerId', 'timestamp']);
  });

  it('"The executable does not have the hardened runtime enabled.": sign --no-runtime', async () => {
    await refused(await signed('no-runtime', ['--no-runtime']), 'arm64', ['developerId', 'runtime']);
  });

  it('"The executable requests the com.apple.security.get-task-allow entitlement.": sign --entitlements', async () => {
    const entitlements = path.join(dir, 'debug.entitlements');
    fs.writeFileSync(
      entitlements,
      `${XML_HEAD}<plist version="1.0"><dict><key>com.apple.security.get-task-allow</key><true/></dict></plist>\n`,
    );
    const file = await signed('get-task-allow', ['--entitlements', entitlements]);
    await refused(file, 'arm64', ['developerId', 'getTaskAllow']);
  });

  it('"The binary uses an SDK older than the 10.9 SDK.": LC_BUILD_VERSION edited to SDK 10.8, then signed', async () => {
    const file = copy(arm64, 'old-sdk');
    const bytes = fs.readFileSync(file);
    let at = 32;
    for (let i = 0, n = bytes.readUInt32LE(16); i < n; i++, at += bytes.readUInt32LE(at + 4)) {
      if (bytes.readUInt32LE(at) === 0x32) bytes.writeUInt32LE(0x000a0800, at + 16); // LC_BUILD_VERSION sdk
    }
    fs.writeFileSync(file, bytes);
    assert.match(objdump(file), /sdk 10\.8\b/);
    await refused(await signed('old-sdk-signed', [], file), 'arm64', ['developerId', 'sdk']);
  });

  it('"Embedded entitlements are invalid": an entitlements blob that is not a property list', async () => {
    const broken = path.join(dir, 'broken.entitlements');
    fs.writeFileSync(broken, `${XML_HEAD}<plist version="1.0"><dict><key>com.apple.security.cs.allow-jit</key>\n`);
    const file = adhocSign('bad-entitlements', [
      '--identifier',
      'com.example.hello',
      '--runtime',
      '--entitlements',
      broken,
    ]);
    await refused(file, 'arm64', ['developerId', 'timestamp', 'entitlements']);
  });

  it('"The signature algorithm used is too weak.": every CodeDirectory is SHA-1', async () => {
    const file = adhocSign('sha1-only', ['--identifier', 'com.example.hello', '--runtime', '--hashes', 'sha1']);
    await refused(file, 'arm64', ['developerId', 'timestamp', 'weak']);
  });

  it('a zip (Info-ZIP) holding an unsigned binary: refused, the entry named as Apple names it', async () => {
    const root = path.join(dir, 'zipped');
    fs.mkdirSync(root);
    fs.copyFileSync(amd64, path.join(root, 'tool'));
    const zip = path.join(dir, 'tool.zip');
    execFileSync('zip', ['-q', zip, 'tool'], { ...CHILD_LIMIT, cwd: root });
    await refused(zip, 'x86_64', ['unsigned', 'timestamp', 'runtime'], `${zip}/tool`);
  });

  it('a flat .pkg whose Payload (gzip cpio, written by python) holds an unsigned binary: refused, the file named inside', async () => {
    const payload = path.join(dir, 'Payload');
    execFileSync(
      'python3',
      [path.join(REPO, 'test', 'support', 'make_pkg_payload.py'), payload, `usr/local/bin/tool=${amd64}`],
      CHILD_LIMIT,
    );
    const pkg = path.join(dir, 'tool.pkg');
    execFileSync('python3', [path.join(REPO, 'test', 'support', 'make_xar.py'), pkg, payload], CHILD_LIMIT);
    await refused(pkg, 'x86_64', ['unsigned', 'timestamp', 'runtime'], `${pkg}/Payload/usr/local/bin/tool`);
  });

  it("release's notarize step: the same refusal, at the top level of its JSON, before any tool or request", async () => {
    const file = copy(amd64, 'release-unsigned');
    const requests = notary.requests.length;
    const r = await runCliAsync(
      ['release', '--json', '--artifact', file, '--key', p8, '--key-id', KEY_ID, '--issuer', ISSUER],
      apiEnv(),
    );
    assert.equal(r.code, 1, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.command, 'release');
    assert.equal(out.backend, 'api');
    assert.match(out.error, /^pre-flight: 3 problems/);
    assert.deepEqual(seen(out.preflight.findings), expected('x86_64', ['unsigned', 'timestamp', 'runtime']));
    assert.equal(out.notarization, undefined);
    assert.equal(notary.requests.length, requests, 'the stand-in notary service saw a request');

    const calls = apple.calls().length;
    const text = await runCliAsync(['release', '--artifact', file, '--keychain-profile', 'notary'], apple.env);
    assert.equal(text.code, 1, text.stderr);
    assert.ok(text.stdout.includes(`${file} (x86_64): ${APPLE.unsigned[0]}`), text.stdout);
    assert.deepEqual(apple.calls().slice(calls), [], 'a fake Apple tool ran');
  });

  it('--force submits anyway and names what it ignored: the service judges it (Invalid), the JSON keeps the pre-flight', async () => {
    const file = await signed('forced', ['--no-timestamp']);
    const before = notary.submissions.length;
    const r = await api(file, '--force');
    assert.equal(r.code, 1, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.status, 'Invalid');
    assert.equal(notary.submissions.length, before + 1, 'submitted once');
    assert.deepEqual(seen(out.preflight.findings), expected('arm64', ['developerId', 'timestamp']));
    assert.match(r.stderr, /pre-flight: --force: submitting despite 2 problems Apple's notary service would reject/);
    assert.ok(r.stderr.includes(APPLE.timestamp[0]));
    // The service's verdict names the same problems the pre-flight did.
    for (const [message] of [APPLE.developerId, APPLE.timestamp])
      assert.ok(
        out.issues.some((i: { message: string }) => i.message === message),
        message,
      );

    const calls = apple.calls().length;
    const text = await notarytool(file, '--force');
    assert.equal(text.code, 1, text.stderr);
    assert.match(text.stdout, /pre-flight: --force: submitting despite 2 problems/);
    assert.deepEqual(
      apple
        .calls()
        .slice(calls)
        .map((c) => c[0])
        .filter((t) => t !== 'notarytool'),
      ['ditto', 'xcrun', 'xcrun', 'xcrun'],
    );
  });

  it('a real Developer ID signature passes: submitted, Accepted, and the JSON carries the pre-flight', async () => {
    const file = copy(DEVELOPER_ID_BINARY(), 'sentry-cli');
    const r = await api(file);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as NotarizeJson;
    assert.ok(!('error' in out) && out.status === 'Accepted', r.stdout);
    assert.deepEqual(out.preflight, { inspected: [file], findings: [], skipped: [] });
    assert.match(r.stderr, /pre-flight: 1 Mach-O file checked: nothing Apple's notary service would certainly reject/);
  });

  it('a .dmg (made by the fake hdiutil), whose contents the pre-flight does not read, is submitted, and the JSON says it was not checked', async () => {
    const made = await runCliAsync(['package', '--json', '--format', 'dmg', copy(amd64, 'in-dmg')], apple.env);
    assert.equal(made.code, 0, made.stderr);
    const dmg = JSON.parse(made.stdout).output as string;
    const calls = apple.calls().length;
    const r = await notarytool(dmg, '--json');
    assert.ok(r.stdout, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.ok(
      apple
        .calls()
        .slice(calls)
        .some((c) => c[0] === 'xcrun' && c[2] === 'submit'),
      'submitted',
    );
    assert.deepEqual(out.preflight.findings, []);
    assert.deepEqual(
      out.preflight.skipped.map((s: { path: string }) => s.path),
      [dmg],
    );
    assert.match(r.stderr, /not checked: .*in-dmg\.dmg: /);
  });
});
