/**
 * The release pipeline as a user or CI runs it: dist/cli.js in a child process, a real Go build, llvm-lipo, and fake
 * Apple tools (test/support/fake-apple) that check their arguments and answer in Apple's formats. The tests assert the
 * command lines that ran, the parsed notarization result, resuming an interrupted wait, and that secrets never appear
 * in a command line or in any output.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { displayCommand } from '../../server/src/apple/runner';
import { parseSubmit, parseWait } from '../../server/src/apple/notarytool';
import { parseNotaryLog } from '../../server/src/notary/log';
import { nextStep, Submission } from '../../server/src/notary/submissions';
import { CHILD_LIMIT, waitUntil, within } from '../support/bounds';
import { fakeApple } from '../support/fakeApple';
import { goTool, lipoTool, npmPackage, REPO, tempDir } from '../support/tools';

const CLI = path.join(REPO, 'dist', 'cli.js');
const IDENTITY = 'Developer ID Application: Example Corp (ABCDE12345)';

const HELLO = path.join(REPO, 'examples', 'hello');

/** One Go build cache for the whole file: each test builds the same program. */
const GOCACHE = path.join(tempDir(), 'gocache');

function cli(args: string[], env: NodeJS.ProcessEnv, cwd = HELLO) {
  const r = spawnSync(process.execPath, [CLI, ...args], { ...CHILD_LIMIT, encoding: 'utf8', env: { ...env, GOCACHE }, cwd });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const toolFlags = () => ['--tool', `go=${goTool()}`, '--tool', `lipo=${lipoTool()}`];

describe('go-macos-sign release with fake Apple tools', () => {
  it('builds, lipos, signs, zips, notarizes, waits, reads the log, and checks the ticket against the cdhashes', () => {
    const fake = fakeApple();
    const out = tempDir();
    const r = cli(['release', '--json', ...toolFlags(), '--out', out, '--name', 'hello', '--identity', IDENTITY, '--identifier', 'com.example.hello', '--keychain-profile', 'notary', '--ldflags', '-s -w', '.'], fake.env);
    const result = JSON.parse(r.stdout);
    const zip = path.join(out, 'hello.zip');
    assert.deepEqual(result.commands, [
      `GOOS=darwin GOARCH=arm64 go build -trimpath -ldflags '-s -w' -o ${out}/hello-darwin-arm64 .`,
      `GOOS=darwin GOARCH=amd64 go build -trimpath -ldflags '-s -w' -o ${out}/hello-darwin-amd64 .`,
      `lipo -create -output ${out}/hello ${out}/hello-darwin-arm64 ${out}/hello-darwin-amd64`,
      `xattr -cr ${out}/hello`,
      `codesign --force --options runtime --timestamp --identifier com.example.hello --sign '${IDENTITY}' ${out}/hello`,
      `ditto -c -k --keepParent ${out}/hello ${zip}`,
      `xcrun notarytool submit ${zip} --keychain-profile notary --output-format json`,
      `xcrun notarytool wait ${result.notarization.submissionId} --keychain-profile notary --timeout 30m --output-format json`,
      `xcrun notarytool log ${result.notarization.submissionId} --keychain-profile notary ${zip}.notary-log.json`,
    ]);
    // The fakes saw the same argument arrays.
    assert.deepEqual(fake.calls().filter((c) => c[0] !== 'notarytool').map((c) => c[0]), ['xattr', 'codesign', 'ditto', 'xcrun', 'xcrun', 'xcrun']);
    assert.equal(result.notarization.status, 'Accepted');
    // The fake computed the ticket's cdhashes itself (python, from the zip); the engine's must be the same.
    assert.deepEqual(result.notarization.localCdhashes, result.notarization.ticketCdhashes);
    assert.equal(result.notarization.covered, true);
    // The fake codesign signs nothing: the readiness report says so, and release fails honestly.
    assert.equal(r.code, 1);
    const failed = result.readiness[0].checks.filter((c: { status: string }) => c.status === 'fail').map((c: { id: string }) => c.id);
    assert.deepEqual(failed, ['signature/present', 'signature/developer-id', 'signature/hardened-runtime', 'signature/secure-timestamp']);
  });

  it('prints an Invalid notarization with Apple\'s links and the likely Go cause, and exits 1', () => {
    const fake = fakeApple({ FAKE_NOTARY_STATUS: 'Invalid' });
    const out = tempDir();
    assert.equal(cli(['build', ...toolFlags(), '--arch', 'arm64', '--out', out, '--name', 'tool', '.'], fake.env).code, 0);
    const r = cli(['notarize', '--json', '--keychain-profile', 'notary', path.join(out, 'tool-darwin-arm64')], fake.env);
    assert.equal(r.code, 1);
    const result = JSON.parse(r.stdout);
    assert.equal(result.status, 'Invalid');
    assert.deepEqual(result.issues.map((i: { message: string; architecture: string }) => [i.architecture, i.message]), [
      ['arm64', 'The signature does not include a secure timestamp.'],
      ['arm64', 'The executable does not have the hardened runtime enabled.'],
    ]);
    assert.match(result.issues[0].goCause, /--timestamp/);
    assert.match(result.issues[1].docUrl, /resolving_common_notarization_issues#3087724/);
    assert.equal(result.covered, false);
    const text = cli(['notarize', '--keychain-profile', 'notary', path.join(out, 'tool-darwin-arm64')], fake.env);
    assert.match(text.stdout, /likely cause in a Go build: codesign ran without --options runtime/);
  });

  it('resumes the same submission after the waiting process is killed', async () => {
    const fake = fakeApple({ FAKE_NOTARY_WAIT_SECONDS: '60' });
    const out = tempDir();
    assert.equal(cli(['build', ...toolFlags(), '--arch', 'arm64', '--out', out, '--name', 'tool', '.'], fake.env).code, 0);
    const binary = path.join(out, 'tool-darwin-arm64');
    const state = path.join(fake.env.GO_MACOS_SIGN_STATE_DIR!, 'submissions.json');
    // Its own process group, so the kill takes the waiting notarytool with it, as closing a terminal would.
    const child = spawn(process.execPath, [CLI, 'notarize', '--keychain-profile', 'notary', binary], { env: { ...fake.env, GOCACHE }, stdio: 'ignore', detached: true });
    await waitUntil('the submission to be saved', () => fs.existsSync(state), 120_000);
    const saved = JSON.parse(fs.readFileSync(state, 'utf8')) as Submission[];
    assert.equal(saved[0].status, 'In Progress');
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(-child.pid!, 'SIGKILL');
    await within(exited, 30_000, 'the killed CLI to exit');

    const again = cli(['notarize', '--json', '--keychain-profile', 'notary', binary], { ...fake.env, FAKE_NOTARY_WAIT_SECONDS: '0' });
    const result = JSON.parse(again.stdout);
    assert.equal(again.code, 0);
    assert.equal(result.resumed, true);
    assert.equal(result.submissionId, saved[0].id);
    assert.equal(fake.calls().filter((c) => c[0] === 'notarytool' && c[1] === 'submit').length, 1, 'uploaded once');
    assert.equal(JSON.parse(fs.readFileSync(state, 'utf8'))[0].status, 'Accepted');
  });

  it('takes an API key from the environment without ever showing it', () => {
    const fake = fakeApple();
    const out = tempDir();
    assert.equal(cli(['build', ...toolFlags(), '--arch', 'arm64', '--out', out, '--name', 'tool', '.'], fake.env).code, 0);
    const secret = '-----BEGIN PRIVATE KEY-----\nTOP-SECRET-KEY-MATERIAL\n-----END PRIVATE KEY-----\n';
    const r = cli(['notarize', '--json', '--key-id', 'ABC123', '--issuer', '11111111-2222-3333-4444-555555555555', path.join(out, 'tool-darwin-arm64')], { ...fake.env, GO_MACOS_SIGN_NOTARY_KEY: secret });
    assert.equal(r.code, 0);
    assert.ok(!`${r.stdout}${r.stderr}${fs.readFileSync(fake.log, 'utf8')}`.includes('TOP-SECRET'), 'the key is in no output and no argument');
    const submit = fake.calls().find((c) => c[0] === 'notarytool' && c[1] === 'submit')!;
    const keyFile = submit[submit.indexOf('--key') + 1];
    assert.match(path.basename(keyFile), /^AuthKey_ABC123\.p8$/);
    assert.equal(fs.existsSync(keyFile), false, 'the temporary key file is removed');
  });

  it('refuses to run without credentials, or with two methods (exit 2)', () => {
    const fake = fakeApple();
    assert.equal(cli(['notarize', 'x'], fake.env).code, 2);
    const r = cli(['notarize', '--keychain-profile', 'p', '--key', 'k.p8', '--key-id', 'K', 'x'], fake.env);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /choose one notarization method/);
  });

  it('staples only what can carry a ticket', () => {
    const fake = fakeApple();
    const out = tempDir();
    fs.writeFileSync(path.join(out, 'tool'), 'x');
    const bare = cli(['staple', path.join(out, 'tool')], fake.env);
    assert.equal(bare.code, 0);
    assert.match(bare.stdout, /Gatekeeper checks its notarization online/);
    assert.equal(fake.calls().length, 0);
    fs.mkdirSync(path.join(out, 'Tool.app'));
    assert.equal(cli(['staple', path.join(out, 'Tool.app')], fake.env).code, 0);
    assert.deepEqual(fake.calls().filter((c) => c[0] === 'stapler'), [['stapler', 'staple', path.join(out, 'Tool.app')]]);
  });

  it('signs an .app inside out: nested code first, without entitlements; the bundle last, with them', () => {
    const fake = fakeApple();
    const app = path.join(tempDir(), 'terminal-notifier.app');
    fs.cpSync(path.join(npmPackage('node-notifier@10.0.1'), 'vendor', 'mac.noindex', 'terminal-notifier.app'), app, { recursive: true });
    // A nested helper: a real Mach-O copied into Contents/Helpers.
    fs.mkdirSync(path.join(app, 'Contents', 'Helpers'));
    fs.copyFileSync(path.join(app, 'Contents', 'MacOS', 'terminal-notifier'), path.join(app, 'Contents', 'Helpers', 'helper'));
    const entitlements = path.join(tempDir(), 'app.entitlements');
    fs.writeFileSync(entitlements, '<plist><dict/></plist>\n');
    const r = cli(['sign', '--identity', IDENTITY, '--entitlements', entitlements, app], fake.env);
    assert.equal(r.code, 0);
    assert.deepEqual(
      fake.calls().filter((c) => c[0] === 'codesign').map((c) => [c.includes('--entitlements'), path.relative(app, c[c.length - 1]) || '.']),
      [[false, 'Contents/Helpers/helper'], [true, '.']],
    );
  });

  it('packages a zip, a dmg, and a pkg only with a Developer ID Installer identity', () => {
    const fake = fakeApple();
    const dir = tempDir();
    const tool = path.join(dir, 'tool');
    fs.writeFileSync(tool, 'x');
    assert.match(JSON.parse(cli(['package', '--json', '--format', 'zip', tool], fake.env).stdout).output, /tool\.zip$/);
    assert.equal(cli(['package', '--format', 'dmg', '--identity', IDENTITY, tool], fake.env).code, 0);
    assert.deepEqual(fake.calls().filter((c) => c[0] === 'codesign').map((c) => c.slice(1)), [['--force', '--timestamp', '--sign', IDENTITY, `${tool}.dmg`]]);
    assert.equal(cli(['package', '--format', 'pkg', '--installer-identity', IDENTITY, tool], fake.env).code, 2);
    assert.equal(cli(['package', '--format', 'pkg', '--installer-identity', 'Developer ID Installer: Example Corp (ABCDE12345)', tool], fake.env).code, 0);
  });
});

describe('go-macos-sign verify on a Mac (fake Apple tools)', () => {
  it('adds codesign --verify --strict, spctl with the right type, and with --readiness the notarization checks', () => {
    const fake = fakeApple({ GO_MACOS_SIGN_PLATFORM: 'darwin' });
    const out = tempDir();
    assert.equal(cli(['build', ...toolFlags(), '--arch', 'arm64', '--out', out, '--name', 'tool', '.'], fake.env).code, 0);
    const binary = path.join(out, 'tool-darwin-arm64');
    const plain = cli(['verify', binary], fake.env);
    assert.equal(plain.code, 0);
    assert.deepEqual(fake.calls().filter((c) => c[0] !== 'xcrun'), [['codesign', '--verify', '--strict', '--verbose=2', binary]]);
    const strict = cli(['verify', '--readiness', binary], fake.env);
    assert.equal(strict.code, 1);
    assert.match(strict.stdout, /readiness signature\/developer-id/);
  });
});

describe('pipeline pieces', () => {
  it('echoes commands quoted for a shell, with their environment', () => {
    assert.equal(displayCommand({ tool: 'go', args: ['build', '-ldflags', '-s -w', '-o', "it's"], env: { GOOS: 'darwin' } }), `GOOS=darwin go build -ldflags '-s -w' -o 'it'\\''s'`);
  });

  it('parses notarytool JSON and developer logs, tolerating what is missing', () => {
    assert.deepEqual(parseSubmit('Conducting pre-submission checks...\n{"id":"2efe2717-52ef-43a5-96dc-0797e4ca1041","message":"Successfully uploaded file","path":"a.zip"}\n'), { id: '2efe2717-52ef-43a5-96dc-0797e4ca1041', message: 'Successfully uploaded file' });
    assert.throws(() => parseSubmit('Error: HTTP status code: 401'), /no JSON/);
    assert.equal(parseWait('{"id":"x","status":"Invalid","message":"Processing complete"}').status, 'Invalid');
    const log = parseNotaryLog(JSON.stringify({ status: 'Invalid', issues: [{ severity: 'error', code: null, path: 'a.zip/a', message: 'The binary uses an SDK older than the 10.9 SDK.', docUrl: null, architecture: 'x86_64' }], ticketContents: null }));
    assert.equal(log.issues[0].goCause?.includes('Go 1.12'), true);
    assert.deepEqual(log.ticketCdhashes, []);
    assert.deepEqual(parseNotaryLog('{"status":"Accepted","ticketContents":[{"cdhash":"ABCDEF0123"},{"nothing":1}]}').ticketCdhashes, ['abcdef0123']);
    assert.throws(() => parseNotaryLog('<html>'), /not JSON/);
  });

  it('decides to submit, wait again, or reuse a verdict', () => {
    const base: Submission = { id: 'a', archiveSha256: 'h1', artifact: '/x', submittedAt: '2026-01-01T00:00:00Z', status: 'In Progress' };
    assert.deepEqual(nextStep([], 'h1'), { action: 'submit' });
    assert.deepEqual(nextStep([base], 'h2'), { action: 'submit' });
    assert.deepEqual(nextStep([base], 'h1'), { action: 'wait', id: 'a' });
    const done = { ...base, id: 'b', submittedAt: '2026-01-02T00:00:00Z', status: 'Accepted' };
    assert.deepEqual(nextStep([base, done], 'h1'), { action: 'done', submission: done });
  });
});
