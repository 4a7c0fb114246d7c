/**
 * `go-macos-sign sign` and `universal` through the bundled CLI, with the builtin signer: Go binaries built here, a
 * real third-party .app, identities from a test PKI made by openssl, a local time-stamp authority that is real
 * `openssl ts -reply`. Expectations come from independent tools: openssl, llvm-lipo, llvm-objdump, the Python reader
 * test/support/sigcheck.py; and our own `verify`, which must accept what we sign.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { opensslCmsVerify } from '../support/oracle';
import { testPki, TEST_TEAM } from '../support/testPki';
import { startTsa, Tsa } from '../support/tsa';
import { buildGo, lipoCreate, npmPackage, run, runCli, runCliAsync, tempDir } from '../support/tools';

const SIGCHECK = path.join(__dirname, '..', 'support', 'sigcheck.py');

function copyOf(file: string, dir = tempDir()): string {
  const out = path.join(dir, path.basename(file));
  fs.copyFileSync(file, out);
  fs.chmodSync(out, 0o755);
  return out;
}

function writeTemp(name: string, text: string): string {
  const file = path.join(tempDir(), name);
  fs.writeFileSync(file, text);
  return file;
}

function billionLaughs(): string {
  const entities = [
    '<!ENTITY a "aaaaaaaaaa">',
    ...'bcdefghij'.split('').map((e, i) => `<!ENTITY ${e} "${`&${'abcdefghij'[i]};`.repeat(10)}">`),
  ];
  return writeTemp(
    'bomb.plist',
    `<?xml version="1.0"?>\n<!DOCTYPE plist [${entities.join('')}]>\n<plist version="1.0"><dict><key>k</key><string>&j;</string></dict></plist>\n`,
  );
}

/** No leftovers next to a target: signing goes through a temporary file and a rename. */
function leftovers(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => n.includes('.signing-'));
}

describe('sign with the builtin signer', () => {
  let tsa: Tsa;
  let arm64: string;
  let amd64: string;
  const pki = testPki();

  before(async () => {
    tsa = await startTsa();
    const dir = tempDir();
    arm64 = buildGo('arm64', dir);
    amd64 = buildGo('amd64', dir);
  });
  after(() => tsa.stop());

  const signEnv = () => ({ GO_MACOS_SIGN_P12_PASSWORD: pki.password, GO_MACOS_SIGN_TSA_URL: tsa.url });

  it('signs a universal Go binary with a .p12 identity, hardened runtime and a secure timestamp; verify and sigcheck.py accept it', async () => {
    const dir = tempDir();
    const universal = path.join(dir, 'hello');
    const made = runCli('universal', '--via', 'builtin', '--output', universal, arm64, amd64);
    assert.equal(made.code, 0, made.stderr);
    const before = tsa.requests.length;
    const r = await runCliAsync(
      ['sign', '--json', '--p12', pki.developerId.p12, '--identifier', 'com.example.hello', universal],
      signEnv(),
    );
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.ok, true);
    const [signed] = out.signed;
    assert.deepEqual(
      signed.slices.map((s: { arch: string; identifier: string }) => [s.arch, s.identifier]),
      [
        ['x86_64', 'com.example.hello'],
        ['arm64', 'com.example.hello'],
      ],
    );
    assert.equal(signed.timestamped, true);
    assert.equal(signed.runtime, true);
    // One time-stamp request per slice's CMS, answered by openssl ts.
    assert.ok(tsa.requests.length - before >= 2);
    assert.deepEqual(leftovers(dir), []);

    // Our verifier: every page, the CMS over the CodeDirectory, the timestamp; a test chain is not Apple's.
    assert.equal(runCli('verify', universal).code, 0);
    const [report] = JSON.parse(runCli('inspect', '--json', universal).stdout);
    for (const [i, arch] of report.architectures.entries()) {
      assert.equal(arch.verification.valid, true, JSON.stringify(arch.verification));
      assert.equal(arch.signature.teamId, TEST_TEAM);
      assert.equal(arch.signature.hardenedRuntime, true);
      // The cdhash the signer reports is the one the verifier (and a notarization ticket) names.
      assert.equal(arch.signature.cdhash, signed.slices[i].cdhash);
      assert.ok(arch.signature.timestamp, 'a secure timestamp');
      // Developer ID only with Apple's chain: ours ends at a test root, so the kind is `other`, and readiness says why.
      assert.equal(arch.signature.kind, 'other');
      assert.equal(arch.signature.chainToAppleRoot, false);
    }
    const readiness = runCli('verify', '--readiness', universal);
    assert.equal(readiness.code, 1);
    assert.match(readiness.stdout, /does not chain to Apple/);
    // The independent reader recomputes page and special-slot hashes of each slice, and hands openssl the CMS and
    // CodeDirectory bytes the file holds: openssl must accept the signature over them, anchored at the test root.
    const dump = tempDir();
    run('python3', [SIGCHECK, universal, '--dump', dump]);
    for (const i of [0, 1]) {
      const cms = fs.readFileSync(path.join(dump, `slice${i}-cms.der`));
      const verified = opensslCmsVerify(cms, fs.readFileSync(path.join(dump, `slice${i}-cd.bin`)), pki.root.cert);
      assert.ok(verified.ok, verified.out);
    }
    for (const arch of ['x86_64', 'arm64']) {
      const thin = path.join(dir, `thin-${arch}`);
      run('llvm-lipo-14', [universal, '-thin', arch, '-output', thin]);
      run('llvm-objdump-14', ['--macho', '--private-headers', thin]);
    }
  });

  it('signs with a PEM key and certificate, and the password never appears', async () => {
    const file = copyOf(arm64);
    const r = await runCliAsync(
      ['sign', '--key', pki.developerId.key, '--cert', pki.developerId.cert, '--chain', pki.chain, file],
      signEnv(),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /signed .*hello-arm64 \(Developer ID Application: .*hardened runtime, secure timestamp\)/);
    assert.equal(runCli('verify', file).code, 0);
  });

  it('refuses what the user can fix with one line, exit 2, and writes nothing', async () => {
    const file = copyOf(amd64);
    const original = fs.readFileSync(file);
    const cases: [string[], Record<string, string>, RegExp][] = [
      [['--p12', pki.developerId.p12], { GO_MACOS_SIGN_P12_PASSWORD: 'not-it' }, /the password does not open/],
      [['--p12', pki.development.p12], signEnv(), /Apple Development certificate/],
      [['--p12', pki.installer.p12], signEnv(), /Developer ID Installer certificate/],
      [['--p12', pki.expired.p12], signEnv(), /expired/],
      [['--identity', 'Developer ID Application: X (ABCDE12345)', '--via', 'builtin'], {}, /cannot reach a keychain/],
      [['--p12', pki.developerId.p12, '--via', 'codesign'], {}, /keychain identity/],
      [['--p12', pki.developerId.p12, '--adhoc'], {}, /choose one identity/],
      [['--key', pki.developerId.key], {}, /--key and --cert go together/],
      [[], {}, /signing needs an identity/],
      // Entitlements files that cannot be signed with, named in the message.
      [['--adhoc', '--entitlements', billionLaughs()], {}, /bomb\.plist: .*entities/],
      [
        ['--adhoc', '--entitlements', writeTemp('array.plist', '<plist><array/></plist>')],
        {},
        /array\.plist: .*not a dictionary/,
      ],
      [['--adhoc', '--entitlements', '/dev/zero'], {}, /not a regular file/],
    ];
    for (const [args, env, expected] of cases) {
      const r = await runCliAsync(['sign', ...args, file], env);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, expected);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.doesNotMatch(r.stderr + r.stdout, new RegExp(pki.password));
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
    assert.deepEqual(fs.readFileSync(file), original);
    assert.deepEqual(leftovers(path.dirname(file)), []);
  });

  it('a time-stamp authority that cannot be reached stops signing with one line and nothing written', async () => {
    const file = copyOf(arm64);
    const original = fs.readFileSync(file);
    const r = await runCliAsync(['sign', '--p12', pki.developerId.p12, file], {
      GO_MACOS_SIGN_P12_PASSWORD: pki.password,
      GO_MACOS_SIGN_TSA_URL: 'http://127.0.0.1:9/ts',
    });
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.deepEqual(fs.readFileSync(file), original);
  });

  it('--no-timestamp signs without asking the time-stamp authority', async () => {
    const file = copyOf(arm64);
    const before = tsa.requests.length;
    const r = await runCliAsync(['sign', '--no-timestamp', '--p12', pki.developerId.p12, file], signEnv());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /no timestamp/);
    assert.equal(tsa.requests.length, before);
  });

  it("signs a real third-party .app (node-notifier's terminal-notifier.app) and verify accepts the bundle", async () => {
    const source = path.join(npmPackage('node-notifier@10.0.1'), 'vendor', 'mac.noindex', 'terminal-notifier.app');
    const app = path.join(tempDir(), 'terminal-notifier.app');
    fs.cpSync(source, app, { recursive: true });
    const r = await runCliAsync(['sign', '--p12', pki.developerId.p12, app], signEnv());
    assert.equal(r.code, 0, r.stderr);
    assert.ok(fs.existsSync(path.join(app, 'Contents', '_CodeSignature', 'CodeResources')));
    const verify = runCli('verify', app);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  });
});

describe('universal with the builtin writer', () => {
  it('writes what llvm-lipo -create writes, byte for byte', () => {
    const dir = tempDir();
    const arm64 = buildGo('arm64', dir);
    const amd64 = buildGo('amd64', dir);
    const ours = path.join(dir, 'ours');
    const r = runCli('universal', '--via', 'builtin', '--output', ours, arm64, amd64);
    assert.equal(r.code, 0, r.stderr);
    const theirs = lipoCreate(path.join(dir, 'theirs'), [arm64, amd64]);
    assert.deepEqual(fs.readFileSync(ours), fs.readFileSync(theirs));
  });
});
