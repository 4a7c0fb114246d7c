/**
 * The release pipeline as a user or CI runs it: dist/cli.js in a child process (or the CLI's main() in this process
 * where the macOS-only checks are driven by injecting the platform), a real Go build, llvm-lipo, and fake Apple tools
 * (test/support/fake-apple) that check their arguments, judge files by what they contain and answer in Apple's
 * formats. The tests assert the command lines that ran, exit codes and `ok`, the notarization verdicts the archives
 * earn, resuming an interrupted wait, and that secrets never appear in a command line, any output or a tool's
 * environment.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { displayCommand, Runner, SECRET_ENV } from '../../server/src/apple/runner';
import { parseSubmit, parseWait } from '../../server/src/apple/notarytool';
import { main } from '../../server/src/cli/main';
import { inspectPath } from '../../server/src/inspect';
import { issuerProblem, keyIdProblem, writePrivateKey } from '../../server/src/notary/keyFile';
import { parseNotaryLog } from '../../server/src/notary/log';
import { nextStep } from '../../server/src/notary/submissions';
import type {
  NotarizeJson,
  NotarizeResult,
  NotaryIssue,
  PipelineJson,
  Submission,
  SubmissionsJson,
  NotaryBackendField,
  PreflightFinding,
  PreflightResult,
} from '../../server/src/protocol';
import { CHILD_LIMIT, waitUntil, within } from '../support/bounds';
import { DEVELOPER_ID_BINARY, fakeApple } from '../support/fakeApple';
import { goTool, lipoTool, npmPackage, REPO, tempDir } from '../support/tools';

const CLI = path.join(REPO, 'dist', 'cli.js');
const IDENTITY = 'Developer ID Application: Example Corp (ABCDE12345)';

const HELLO = path.join(REPO, 'examples', 'hello');

/** One Go build cache for the whole file: each test builds the same program. */
const GOCACHE = path.join(tempDir(), 'gocache');

function cli(args: string[], env: NodeJS.ProcessEnv, cwd = HELLO) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    ...CHILD_LIMIT,
    encoding: 'utf8',
    env: { ...env, GOCACHE },
    cwd,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The CLI's main() in this process, with the platform injected: how the macOS-only checks are tested on Linux. */
async function cliOnMac(args: string[], env: NodeJS.ProcessEnv) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    args,
    (s) => void out.push(s),
    (s) => void err.push(s),
    { env: { ...env, GOCACHE }, platform: 'darwin' },
  );
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

/** A copy of the Developer ID fixture, so tests may zip, package or staple it without touching the cache. */
function developerIdCopy(dir = tempDir()): string {
  const file = path.join(dir, 'sentry-cli');
  fs.copyFileSync(DEVELOPER_ID_BINARY(), file);
  return file;
}

/** An App Store Connect-style key: PKCS#8 PEM of a P-256 private key, made by OpenSSL. */
function p256Key(): string {
  return spawnSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], {
    ...CHILD_LIMIT,
    encoding: 'utf8',
  }).stdout;
}

const DOC =
  'https://developer.apple.com/documentation/security/notarizing_macos_software_before_distribution/resolving_common_notarization_issues';
const NOT_DEVELOPER_ID = 'The binary is not signed with a valid Developer ID certificate.';
const NO_TIMESTAMP = 'The signature does not include a secure timestamp.';
const NO_RUNTIME = 'The executable does not have the hardened runtime enabled.';

const toolFlags = () => ['--tool', `go=${goTool()}`, '--tool', `lipo=${lipoTool()}`];

describe('go-macos-sign release with fake Apple tools', () => {
  it('builds, lipos, signs (ad hoc: no test holds a Developer ID key), and the notary names what is missing: exit 1, not ok', async () => {
    const fake = fakeApple();
    const out = tempDir();
    const r = cli(
      [
        'release',
        '--json',
        ...toolFlags(),
        '--out',
        out,
        '--name',
        'hello',
        '--identity',
        IDENTITY,
        '--identifier',
        'com.example.hello',
        '--keychain-profile',
        'notary',
        '--ldflags',
        '-s -w',
        // The fake codesign signs ad hoc (no test holds a Developer ID key): the pre-flight would stop it before the
        // notary; --force lets the notary judge those bytes.
        '--force',
        '.',
      ],
      fake.env,
    );
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
    assert.deepEqual(
      fake
        .calls()
        .filter((c) => c[0] !== 'notarytool')
        .map((c) => c[0]),
      ['xattr', 'codesign', 'ditto', 'xcrun', 'xcrun', 'xcrun'],
    );
    assert.equal(r.code, 1);
    assert.equal(result.ok, false);
    // The fake codesign really signed both slices (ad hoc, with the runtime flag and the identifier asked for)...
    const [signed] = (await inspectPath(path.join(out, 'hello'))).reports;
    for (const slice of signed.architectures) {
      assert.equal(slice.signature?.kind, 'adhoc');
      assert.equal(slice.signature?.hardenedRuntime, true);
      assert.equal(slice.signature?.identifier, 'com.example.hello');
      assert.equal(slice.verification.valid, true);
    }
    // ...and the notary judged those bytes: an ad-hoc signature is not Developer ID and carries no secure timestamp.
    assert.equal(result.notarization.status, 'Invalid');
    assert.deepEqual(
      result.notarization.issues
        .map((i: { architecture: string; message: string }) => [i.architecture, i.message])
        .sort(),
      [
        ['arm64', NOT_DEVELOPER_ID],
        ['arm64', NO_TIMESTAMP],
        ['x86_64', NOT_DEVELOPER_ID],
        ['x86_64', NO_TIMESTAMP],
      ],
    );
    assert.deepEqual(result.notarization.ticketCdhashes, []);
    assert.equal(result.notarization.covered, false);
  });

  it("releases a binary its publisher signed with Developer ID: Accepted, the ticket covers every cdhash, Apple's checks pass, exit 0 and ok", async () => {
    // The only honest way to an Accepted verdict without Apple's keys: an artifact really signed with Developer ID
    // (hardened runtime, secure timestamp), released with --artifact and no --identity, so it is not signed again.
    const fake = fakeApple();
    const binary = developerIdCopy();
    const r = await cliOnMac(['release', '--json', '--artifact', binary, '--keychain-profile', 'notary'], fake.env);
    const result = JSON.parse(r.stdout);
    const id = result.notarization.submissionId;
    assert.deepEqual(result.commands, [
      `ditto -c -k --keepParent ${binary} ${binary}.zip`,
      `xcrun notarytool submit ${binary}.zip --keychain-profile notary --output-format json`,
      `xcrun notarytool wait ${id} --keychain-profile notary --timeout 30m --output-format json`,
      `xcrun notarytool log ${id} --keychain-profile notary ${binary}.zip.notary-log.json`,
      `codesign --verify --strict --verbose=2 ${binary}`,
    ]);
    assert.equal(result.notarization.status, 'Accepted');
    assert.deepEqual(result.notarization.issues, []);
    // The fake computed the ticket's cdhashes itself (python, from the zip); the engine's must be the same.
    assert.deepEqual([...result.notarization.localCdhashes].sort(), [...result.notarization.ticketCdhashes].sort());
    assert.equal(result.notarization.localCdhashes.length, 2);
    assert.equal(result.notarization.covered, true);
    assert.deepEqual(
      result.readiness[0].checks.filter((c: { status: string }) => c.status === 'fail'),
      [],
    );
    assert.match(r.stderr, /valid on disk/);
    assert.equal(r.code, 0);
    assert.equal(result.ok, true);
  });

  it("prints an Invalid notarization of a plain Go build with Apple's links and the likely Go cause, and exits 1", () => {
    const fake = fakeApple();
    const out = tempDir();
    assert.equal(
      cli(['build', ...toolFlags(), '--arch', 'arm64', '--out', out, '--name', 'tool', '.'], fake.env).code,
      0,
    );
    // The linker's ad-hoc signature is what this test submits on purpose: --force past the pre-flight.
    const r = cli(
      ['notarize', '--json', '--force', '--keychain-profile', 'notary', path.join(out, 'tool-darwin-arm64')],
      fake.env,
    );
    assert.equal(r.code, 1);
    const result = JSON.parse(r.stdout);
    assert.equal(result.ok, false);
    assert.equal(result.status, 'Invalid');
    // The Go linker's own signature: ad hoc, no runtime flag, no timestamp.
    assert.deepEqual(
      result.issues.map((i: { message: string; architecture: string }) => [i.architecture, i.message]),
      [
        ['arm64', NOT_DEVELOPER_ID],
        ['arm64', NO_TIMESTAMP],
        ['arm64', NO_RUNTIME],
      ],
    );
    assert.match(result.issues[1].goCause, /--timestamp/);
    assert.equal(result.issues[2].docUrl, `${DOC}#3087724`);
    assert.equal(result.issues[0].path, 'tool-darwin-arm64.zip/tool-darwin-arm64');
    assert.equal(result.covered, false);
    const text = cli(
      ['notarize', '--force', '--keychain-profile', 'notary', path.join(out, 'tool-darwin-arm64')],
      fake.env,
    );
    assert.equal(text.code, 1);
    assert.match(text.stdout, /likely cause in a Go build: codesign ran without --options runtime/);
  });

  it('prints the notarize and submissions --json documents protocol.ts describes, field for field (the client reads them)', () => {
    // Each table must name every field of its type and no other (the compiler checks), so a field added to the CLI's
    // output or to the contract alone fails here.
    const notarizeFields: Record<
      Exclude<keyof PipelineJson | keyof NotaryBackendField | keyof NotarizeResult | 'preflight', 'error'>,
      true
    > = {
      backend: true,
      preflight: true,
      command: true,
      commands: true,
      ok: true,
      status: true,
      submissionId: true,
      issues: true,
      ticketCdhashes: true,
      localCdhashes: true,
      covered: true,
      log: true,
      resumed: true,
    };
    const preflightFields: Record<keyof PreflightResult, true> = { inspected: true, findings: true, skipped: true };
    const findingFields: Record<keyof PreflightFinding, true> = {
      path: true,
      arch: true,
      ruleId: true,
      appleMessage: true,
      docUrl: true,
      fix: true,
      detail: true,
    };
    const issueFields: Record<Exclude<keyof NotaryIssue, 'goCause'>, true> = {
      severity: true,
      path: true,
      architecture: true,
      message: true,
      docUrl: true,
      code: true,
    };
    const submissionsFields: Record<Exclude<keyof SubmissionsJson, 'error'>, true> = {
      command: true,
      commands: true,
      ok: true,
      submissions: true,
    };
    // `uploaded` is written by the Notary API backend only (notary/submitApi.ts); notarytool uploads by itself.
    const submissionFields: Record<Exclude<keyof Submission, 'uploaded'>, true> = {
      id: true,
      archiveSha256: true,
      artifact: true,
      submittedAt: true,
      status: true,
    };
    const keys = (o: object) => Object.keys(o).sort();
    const fake = fakeApple();
    const out = tempDir();
    assert.equal(
      cli(['build', ...toolFlags(), '--arch', 'arm64', '--out', out, '--name', 'tool', '.'], fake.env).code,
      0,
    );
    const notarized = JSON.parse(
      cli(
        ['notarize', '--json', '--force', '--keychain-profile', 'notary', path.join(out, 'tool-darwin-arm64')],
        fake.env,
      ).stdout,
    ) as NotarizeJson;
    assert.deepEqual(keys(notarized), keys(notarizeFields));
    assert.ok('preflight' in notarized);
    assert.deepEqual(keys(notarized.preflight), keys(preflightFields));
    for (const finding of notarized.preflight.findings) assert.deepEqual(keys(finding), keys(findingFields));
    assert.ok(!('error' in notarized) && notarized.issues.length > 0, 'an Invalid verdict with issues');
    for (const issue of notarized.issues)
      assert.deepEqual(
        keys(issue).filter((k) => k !== 'goCause'),
        keys(issueFields),
      );
    const listed = JSON.parse(cli(['submissions', '--json'], fake.env).stdout) as SubmissionsJson;
    assert.deepEqual(keys(listed), keys(submissionsFields));
    assert.equal(listed.submissions.length, 1);
    assert.deepEqual(keys(listed.submissions[0]), keys(submissionFields));
  });

  it('resumes the same submission after the waiting process is killed', async () => {
    const fake = fakeApple({ FAKE_NOTARY_WAIT_SECONDS: '60' });
    const binary = developerIdCopy();
    const state = path.join(fake.env.GO_MACOS_SIGN_STATE_DIR!, 'submissions.json');
    // Its own process group, so the kill takes the waiting notarytool with it, as closing a terminal would.
    const child = spawn(process.execPath, [CLI, 'notarize', '--keychain-profile', 'notary', binary], {
      env: { ...fake.env, GOCACHE },
      stdio: 'ignore',
      detached: true,
    });
    const exited = new Promise((r) => child.once('exit', r));
    await waitUntil('the submission to be saved', () => fs.existsSync(state), 120_000);
    const saved = JSON.parse(fs.readFileSync(state, 'utf8')) as Submission[];
    assert.equal(saved[0].status, 'In Progress');
    process.kill(-child.pid!, 'SIGKILL');
    await within(exited, 30_000, 'the killed CLI to exit');

    const again = cli(['notarize', '--json', '--keychain-profile', 'notary', binary], {
      ...fake.env,
      FAKE_NOTARY_WAIT_SECONDS: '0',
    });
    const result = JSON.parse(again.stdout);
    assert.equal(again.code, 0);
    assert.equal(result.ok, true);
    assert.equal(result.resumed, true);
    assert.equal(result.submissionId, saved[0].id);
    assert.equal(fake.calls().filter((c) => c[0] === 'notarytool' && c[1] === 'submit').length, 1, 'uploaded once');
    assert.equal(JSON.parse(fs.readFileSync(state, 'utf8'))[0].status, 'Accepted');
  });

  it('takes an API key from the environment without showing it or passing it to any tool, and removes its file', () => {
    const fake = fakeApple();
    const out = tempDir();
    assert.equal(
      cli(['build', ...toolFlags(), '--arch', 'arm64', '--out', out, '--name', 'tool', '.'], fake.env).code,
      0,
    );
    const key = p256Key();
    const material = key.split('\n')[1];
    const tmp = tempDir();
    // The fakes refuse to run when GO_MACOS_SIGN_NOTARY_KEY is in their environment (exit 70).
    const r = cli(
      [
        'notarize',
        '--json',
        // The linker's ad-hoc signature, on purpose: this test is about the key.
        '--force',
        '--key-id',
        'ABC123DEF4',
        '--issuer',
        '11111111-2222-3333-4444-555555555555',
        path.join(out, 'tool-darwin-arm64'),
      ],
      { ...fake.env, GO_MACOS_SIGN_NOTARY_KEY: key, TMPDIR: tmp },
    );
    const result = JSON.parse(r.stdout);
    // notarytool took the key (the fake checks it is a P-256 PKCS#8 key) and the notary judged the linker's signature.
    assert.equal(result.status, 'Invalid');
    assert.equal(r.code, 1);
    assert.ok(
      !`${r.stdout}${r.stderr}${fs.readFileSync(fake.log, 'utf8')}`.includes(material),
      'the key is in no output and no argument',
    );
    const submit = fake.calls().find((c) => c[0] === 'notarytool' && c[1] === 'submit')!;
    const keyFile = submit[submit.indexOf('--key') + 1];
    assert.equal(path.basename(keyFile), 'AuthKey_ABC123DEF4.p8');
    assert.equal(path.dirname(path.dirname(keyFile)), tmp, 'in a folder of its own under the temporary directory');
    assert.deepEqual(fs.readdirSync(tmp), [], 'the key file and its folder are removed');
  });

  it("refuses a key id or issuer that is not App Store Connect's before anything is written or run (exit 2)", () => {
    const fake = fakeApple();
    const tmp = tempDir();
    const env = { ...fake.env, GO_MACOS_SIGN_NOTARY_KEY: p256Key(), TMPDIR: tmp };
    const cases: [string[], RegExp][] = [
      [
        ['--key-id', '../../../tmp/evil'],
        /--key-id: an App Store Connect key id is 10 upper-case letters or digits, not "\.\.\/\.\.\/\.\.\/tmp\/evil"/,
      ],
      [['--key-id', 'abc123def4'], /--key-id: /],
      [['--key-id', 'ABC123DEF45'], /--key-id: /],
      [['--key-id', 'ABC123DEF4', '--issuer', '../x'], /--issuer: an App Store Connect issuer id is a UUID/],
    ];
    for (const [args, message] of cases) {
      const r = cli(['notarize', ...args, 'tool'], env);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, message);
    }
    const out = path.join(tempDir(), 'dist');
    const release = cli(['release', ...toolFlags(), '--out', out, '--identity', IDENTITY, '--key-id', '../evil', '.'], {
      ...env,
      GO_MACOS_SIGN_NOTARY_KEY_ID: undefined,
    });
    assert.equal(release.code, 2);
    assert.equal(fs.existsSync(out), false, 'nothing was built');
    assert.deepEqual(fs.readdirSync(tmp), [], 'no key file was written');
    assert.deepEqual(fake.calls(), [], 'no tool ran');
  });

  it('notarytool (fake, like the real one) refuses a key file that is missing, empty or not a P-256 PKCS#8 key', () => {
    const fake = fakeApple();
    const dir = tempDir();
    const empty = path.join(dir, 'empty.p8');
    fs.writeFileSync(empty, '');
    const rsa = path.join(dir, 'rsa.p8');
    fs.writeFileSync(
      rsa,
      spawnSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024'], {
        ...CHILD_LIMIT,
        encoding: 'utf8',
      }).stdout,
    );
    const binary = path.join(dir, 'tool');
    fs.writeFileSync(binary, 'not a program');
    for (const [key, message] of [
      [path.join(dir, 'missing.p8'), /no such file/],
      [empty, /PKCS#8 EC P-256/],
      [rsa, /PKCS#8 EC P-256/],
    ] as const) {
      const r = cli(['notarize', '--key', key, '--key-id', 'ABC123DEF4', binary], fake.env);
      assert.equal(r.code, 1, key);
      assert.match(r.stderr, message);
    }
    const good = path.join(dir, 'AuthKey_ABC123DEF4.p8');
    fs.writeFileSync(good, p256Key());
    const r = cli(['notarize', '--json', '--key', good, '--key-id', 'ABC123DEF4', binary], fake.env);
    assert.ok(JSON.parse(r.stdout).submissionId, r.stderr);
    // The three refused keys stopped at submit; only the P-256 key went on to wait and log.
    assert.deepEqual(
      fake
        .calls()
        .filter((c) => c[0] === 'notarytool')
        .map((c) => c[1]),
      ['submit', 'submit', 'submit', 'submit', 'wait', 'log'],
    );
  });

  it('refuses to run without credentials, or with two methods (exit 2)', () => {
    const fake = fakeApple();
    assert.equal(cli(['notarize', 'x'], fake.env).code, 2);
    const r = cli(['notarize', '--keychain-profile', 'p', '--key', 'k.p8', '--key-id', 'K', 'x'], fake.env);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /choose one notarization method/);
  });

  it('staples only what can carry a ticket, and only once the notary issued one', () => {
    const fake = fakeApple();
    const out = tempDir();
    fs.writeFileSync(path.join(out, 'tool'), 'x');
    const bare = cli(['staple', path.join(out, 'tool')], fake.env);
    assert.equal(bare.code, 0);
    assert.match(bare.stdout, /Gatekeeper checks its notarization online/);
    assert.equal(fake.calls().length, 0);
    // An empty folder named .app is no bundle: stapler refuses it as it refuses a bare binary.
    fs.mkdirSync(path.join(out, 'Tool.app'));
    const empty = cli(['staple', path.join(out, 'Tool.app')], fake.env);
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /The staple and validate action failed! Error 73\./);
    assert.deepEqual(
      fake.calls().filter((c) => c[0] === 'stapler'),
      [['stapler', 'staple', path.join(out, 'Tool.app')]],
    );
    // A real bundle that was never notarized: no ticket to staple.
    const app = path.join(out, 'terminal-notifier.app');
    fs.cpSync(path.join(npmPackage('node-notifier@10.0.1'), 'vendor', 'mac.noindex', 'terminal-notifier.app'), app, {
      recursive: true,
    });
    const unticketed = cli(['staple', app], fake.env);
    assert.equal(unticketed.code, 1);
    assert.match(unticketed.stderr, /Record not found/);
  });

  it('signs an .app inside out: nested code first, without entitlements; the bundle last, with them', async () => {
    const fake = fakeApple();
    const app = path.join(tempDir(), 'terminal-notifier.app');
    fs.cpSync(path.join(npmPackage('node-notifier@10.0.1'), 'vendor', 'mac.noindex', 'terminal-notifier.app'), app, {
      recursive: true,
    });
    // A nested helper: a real Mach-O copied into Contents/Helpers.
    fs.mkdirSync(path.join(app, 'Contents', 'Helpers'));
    fs.copyFileSync(
      path.join(app, 'Contents', 'MacOS', 'terminal-notifier'),
      path.join(app, 'Contents', 'Helpers', 'helper'),
    );
    const entitlements = path.join(tempDir(), 'app.entitlements');
    fs.writeFileSync(entitlements, '<plist><dict/></plist>\n');
    const r = cli(['sign', '--identity', IDENTITY, '--entitlements', entitlements, app], fake.env);
    assert.equal(r.code, 0);
    assert.deepEqual(
      fake
        .calls()
        .filter((c) => c[0] === 'codesign')
        .map((c) => [c.includes('--entitlements'), path.relative(app, c[c.length - 1]) || '.']),
      [
        [false, 'Contents/Helpers/helper'],
        [true, '.'],
      ],
    );
    // Both were really (re)signed: the helper without entitlements, the main executable with them.
    const [helper] = (await inspectPath(path.join(app, 'Contents', 'Helpers', 'helper'))).reports;
    const [main] = (await inspectPath(path.join(app, 'Contents', 'MacOS', 'terminal-notifier'))).reports;
    assert.deepEqual(
      [helper, main].map((rep) =>
        rep.architectures.map((a) => [a.signature?.kind, a.verification.valid, a.signature?.entitlements !== null]),
      ),
      [helper.architectures.map(() => ['adhoc', true, false]), main.architectures.map(() => ['adhoc', true, true])],
    );
  });

  it('packages and notarizes a .dmg and a .pkg: the verdict is what they hold; a stapled dmg passes spctl', () => {
    const fake = fakeApple();
    const dir = tempDir();
    // A dmg holding the Developer ID binary: Accepted, with a ticket for the image, which stapler then finds.
    const sentry = developerIdCopy(dir);
    const packaged = cli(['package', '--json', '--format', 'dmg', '--identity', IDENTITY, sentry], fake.env);
    assert.equal(packaged.code, 0);
    const dmg = JSON.parse(packaged.stdout).output;
    assert.equal(dmg, `${sentry}.dmg`);
    assert.deepEqual(
      fake
        .calls()
        .filter((c) => c[0] === 'codesign')
        .map((c) => c.slice(1)),
      [['--force', '--timestamp', '--sign', IDENTITY, dmg]],
    );
    const accepted = cli(['notarize', '--json', '--keychain-profile', 'notary', dmg], fake.env);
    const verdict = JSON.parse(accepted.stdout);
    assert.equal(verdict.status, 'Accepted');
    assert.equal(verdict.ticketCdhashes.length, 2, 'both slices of the binary inside');
    assert.equal(accepted.code, 0);
    assert.equal(fake.calls().filter((c) => c[0] === 'ditto').length, 0, 'a dmg is submitted as it is');
    assert.equal(cli(['staple', dmg], fake.env).code, 0);
    const spctl = (type: string, ...rest: string[]) =>
      spawnSync('spctl', ['--assess', '-vv', '--type', type, ...rest, dmg], {
        ...CHILD_LIMIT,
        env: fake.env,
        encoding: 'utf8',
      });
    assert.equal(spctl('open', '--context', 'context:primary-signature').status, 0);
    assert.match(spctl('open').stderr, /Insufficient Context/);
    assert.equal(spctl('install').status, 3, 'a dmg is not an installer');
    assert.equal(spctl('execute').status, 3);

    // A dmg and a pkg holding a plain Go build: Invalid, with the issues of the binary inside.
    const out = tempDir();
    assert.equal(
      cli(['build', ...toolFlags(), '--arch', 'arm64', '--out', out, '--name', 'tool', '.'], fake.env).code,
      0,
    );
    const tool = path.join(out, 'tool-darwin-arm64');
    for (const [format, extra] of [
      ['dmg', []],
      ['pkg', ['--installer-identity', 'Developer ID Installer: Example Corp (ABCDE12345)']],
    ] as const) {
      const made = cli(['package', '--json', '--format', format, ...extra, tool], fake.env);
      assert.equal(made.code, 0, made.stderr);
      const container = JSON.parse(made.stdout).output;
      const r = cli(['notarize', '--json', '--keychain-profile', 'notary', container], fake.env);
      const result = JSON.parse(r.stdout);
      assert.equal(r.code, 1, format);
      // The pre-flight does not read inside a .dmg or .pkg: it says so, and Apple's verdict tells.
      assert.deepEqual(
        result.preflight.skipped.map((s: { path: string }) => s.path),
        [container],
      );
      assert.equal(result.ok, false);
      assert.deepEqual(
        result.issues.map((i: { path: string; message: string }) => [i.path, i.message]),
        [
          [`tool-darwin-arm64.${format}/tool-darwin-arm64`, NOT_DEVELOPER_ID],
          [`tool-darwin-arm64.${format}/tool-darwin-arm64`, NO_TIMESTAMP],
          [`tool-darwin-arm64.${format}/tool-darwin-arm64`, NO_RUNTIME],
        ],
      );
      assert.equal(cli(['staple', container], fake.env).code, 1, `no ticket for an Invalid ${format}`);
    }
    assert.equal(cli(['package', '--format', 'pkg', '--installer-identity', IDENTITY, tool], fake.env).code, 2);
  });
});

describe('go-macos-sign verify on a Mac (fake Apple tools, platform injected)', () => {
  it('adds codesign --verify --strict, which checks the signature for real, and with --readiness the notarization checks', async () => {
    const fake = fakeApple();
    const out = tempDir();
    assert.equal(
      cli(['build', ...toolFlags(), '--arch', 'arm64,amd64', '--out', out, '--name', 'tool', '.'], fake.env).code,
      0,
    );
    const binary = path.join(out, 'tool-darwin-arm64');
    const plain = await cliOnMac(['verify', binary], fake.env);
    assert.equal(plain.code, 0);
    assert.deepEqual(
      fake.calls().filter((c) => c[0] !== 'xcrun'),
      [['codesign', '--verify', '--strict', '--verbose=2', binary]],
    );
    const strict = await cliOnMac(['verify', '--readiness', binary], fake.env);
    assert.equal(strict.code, 1);
    assert.match(strict.stdout, /readiness signature\/developer-id/);

    // codesign --verify itself (the fake, as the real one) fails a changed page and an unsigned file.
    const tampered = path.join(out, 'tampered');
    const bytes = fs.readFileSync(binary);
    bytes[0x2000] ^= 0xff;
    fs.writeFileSync(tampered, bytes);
    const codesign = (file: string) =>
      spawnSync('codesign', ['--verify', '--strict', file], { ...CHILD_LIMIT, env: fake.env, encoding: 'utf8' });
    assert.equal(codesign(binary).status, 0);
    assert.equal(codesign(tampered).status, 1);
    assert.match(codesign(tampered).stderr, /a sealed page has been modified \(page 2\)/);
    assert.equal(codesign(path.join(out, 'tool-darwin-amd64')).status, 1);
    assert.match(codesign(path.join(out, 'tool-darwin-amd64')).stderr, /code object is not signed at all/);
    assert.equal(codesign(DEVELOPER_ID_BINARY()).status, 0);
    // spctl: a bare tool is never "an app", and the type must fit the artifact.
    const spctl = spawnSync('spctl', ['--assess', '--type', 'install', binary], {
      ...CHILD_LIMIT,
      env: fake.env,
      encoding: 'utf8',
    });
    assert.equal(spctl.status, 3);
    assert.equal(
      spawnSync('spctl', ['--assess', '--type', 'execute', binary], { ...CHILD_LIMIT, env: fake.env, encoding: 'utf8' })
        .status,
      3,
    );
  });
});

describe('pipeline pieces', () => {
  it('echoes commands quoted for a shell, with their environment', () => {
    assert.equal(
      displayCommand({ tool: 'go', args: ['build', '-ldflags', '-s -w', '-o', "it's"], env: { GOOS: 'darwin' } }),
      `GOOS=darwin go build -ldflags '-s -w' -o 'it'\\''s'`,
    );
  });

  it('parses notarytool JSON and developer logs, tolerating what is missing', () => {
    assert.deepEqual(
      parseSubmit(
        'Conducting pre-submission checks...\n{"id":"2efe2717-52ef-43a5-96dc-0797e4ca1041","message":"Successfully uploaded file","path":"a.zip"}\n',
      ),
      { id: '2efe2717-52ef-43a5-96dc-0797e4ca1041', message: 'Successfully uploaded file' },
    );
    assert.throws(() => parseSubmit('Error: HTTP status code: 401'), /no JSON/);
    assert.equal(parseWait('{"id":"x","status":"Invalid","message":"Processing complete"}').status, 'Invalid');
    const log = parseNotaryLog(
      JSON.stringify({
        status: 'Invalid',
        issues: [
          {
            severity: 'error',
            code: null,
            path: 'a.zip/a',
            message: 'The binary uses an SDK older than the 10.9 SDK.',
            docUrl: null,
            architecture: 'x86_64',
          },
        ],
        ticketContents: null,
      }),
    );
    assert.equal(log.issues[0].goCause?.includes('Go 1.12'), true);
    assert.deepEqual(log.ticketCdhashes, []);
    assert.deepEqual(
      parseNotaryLog('{"status":"Accepted","ticketContents":[{"cdhash":"ABCDEF0123"},{"nothing":1}]}').ticketCdhashes,
      ['abcdef0123'],
    );
    assert.throws(() => parseNotaryLog('<html>'), /not JSON/);
  });

  it('decides to submit, wait again, or reuse a verdict', () => {
    const base: Submission = {
      id: 'a',
      archiveSha256: 'h1',
      artifact: '/x',
      submittedAt: '2026-01-01T00:00:00Z',
      status: 'In Progress',
    };
    assert.deepEqual(nextStep([], 'h1'), { action: 'submit' });
    assert.deepEqual(nextStep([base], 'h2'), { action: 'submit' });
    assert.deepEqual(nextStep([base], 'h1'), { action: 'wait', id: 'a' });
    const done = { ...base, id: 'b', submittedAt: '2026-01-02T00:00:00Z', status: 'Accepted' };
    assert.deepEqual(nextStep([base, done], 'h1'), { action: 'done', submission: done });
  });
  it('starts no child process with a secret variable; a tool given one explicitly gets only that', async () => {
    const seen: string[] = [];
    const runner = new Runner({
      out: (t) => void seen.push(t),
      err: () => undefined,
      env: { ...process.env, GO_MACOS_SIGN_NOTARY_KEY: 'top secret', GO_MACOS_SIGN_P12_PASSWORD: 'top secret too' },
    });
    const printEnv = [
      '-e',
      'process.stdout.write(JSON.stringify(Object.keys(process.env).filter((k) => k.startsWith("GO_MACOS_SIGN_"))))',
    ];
    const r = await runner.run({ tool: process.execPath, args: printEnv }, { quiet: true });
    assert.deepEqual(JSON.parse(r.stdout), []);
    // The notary key and the .p12 password: both read by the CLI, neither given to any tool it starts.
    assert.deepEqual(SECRET_ENV, ['GO_MACOS_SIGN_NOTARY_KEY', 'GO_MACOS_SIGN_P12_PASSWORD']);
    const given = await runner.run(
      { tool: process.execPath, args: printEnv, secretEnv: { GO_MACOS_SIGN_NOTARY_KEY: 'for this tool' } },
      { quiet: true },
    );
    assert.deepEqual(JSON.parse(given.stdout), ['GO_MACOS_SIGN_NOTARY_KEY']);
    assert.ok(!seen.join('').includes('secret') && !seen.join('').includes('for this tool'), 'not in the echo');
  });

  it('checks App Store Connect ids and writes a key only to a new private file in a folder of its own', () => {
    assert.equal(keyIdProblem('2X9R4HXF34'), null);
    for (const bad of ['../x', '2x9r4hxf34', '2X9R4HXF3', '2X9R4HXF34/', '', 'ABCDEFGHIJK'])
      assert.match(keyIdProblem(bad) ?? '', /10 upper-case letters or digits/, bad);
    assert.equal(issuerProblem('69a6de70-03db-47e3-e053-5b8c7c11a4d1'), null);
    for (const bad of ['69a6de70', '../69a6de70-03db-47e3-e053-5b8c7c11a4d1', '69a6de70-03db-47e3-e053-5b8c7c11a4d1x'])
      assert.match(issuerProblem(bad) ?? '', /UUID/, bad);
    const tmp = tempDir();
    const cleanup: (() => void)[] = [];
    const file = writePrivateKey('2X9R4HXF34', 'KEY', cleanup, tmp);
    assert.equal(path.basename(file), 'AuthKey_2X9R4HXF34.p8');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
    assert.equal(fs.readFileSync(file, 'utf8'), 'KEY');
    assert.throws(() => writePrivateKey('../../x', 'KEY', cleanup, tmp), /checked first/);
    for (const c of cleanup) c();
    assert.deepEqual(fs.readdirSync(tmp), []);
  });
});
