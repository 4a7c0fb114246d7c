/**
 * The notarization pre-flight: for each message of Apple's notarization log that apple-rules §3.2 lists, a real Go
 * binary made to earn it (left unsigned, signed by the builtin signer with the test PKI and the local time-stamp
 * authority minus one option, edited after signing, or signed by test/support/adhoc_sign.py with a SHA-1-only
 * CodeDirectory or a broken entitlements blob) gives exactly the findings Apple's log would, with Apple's text and
 * docUrl. The expected texts and anchors are copied from Apple's logs as §3.2 records them, not from our code; the
 * facts each artifact was made with are confirmed by llvm-objdump or python where an independent tool can tell.
 *
 * The test PKI is not Apple's, so every signature made with it also earns "not signed with a valid Developer ID
 * certificate": a certain rejection (the notary service accepts only Developer ID certificates Apple issued).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InputError } from '../../server/src/errors';
import { goCause } from '../../server/src/notary/log';
import { CERTAIN_REJECTIONS, preflightPath } from '../../server/src/preflight';
import type { PreflightFinding, PreflightResult } from '../../server/src/protocol';
import { signArtifact } from '../../server/src/sign';
import { loadP12File } from '../../server/src/sign/identity';
import type { SigningIdentity } from '../../server/src/sign/types';
import { CHILD_LIMIT } from '../support/bounds';
import { APPLE } from '../support/appleMessages';
import { testPki } from '../support/testPki';
import { startTsa, Tsa } from '../support/tsa';
import { buildGo, findTool, lipoTool, REPO, tempDir } from '../support/tools';

const dir = tempDir('gms-preflight-');
const pki = testPki();
let tsa: Tsa;
let identity: SigningIdentity;
let arm64: string;
let amd64: string;

function copy(from: string, name: string): string {
  const to = path.join(dir, name);
  fs.copyFileSync(from, to);
  return to;
}

async function signed(
  name: string,
  options: { runtime?: boolean; timestamp?: boolean; entitlements?: string; from?: string } = {},
): Promise<string> {
  const file = copy(options.from ?? arm64, name);
  await signArtifact(file, {
    identity,
    identifier: 'com.example.hello',
    runtime: options.runtime ?? true,
    timestampUrl: options.timestamp === false ? null : tsa.url,
    entitlements: options.entitlements === undefined ? undefined : Buffer.from(options.entitlements),
  });
  return file;
}

function adhocSign(name: string, args: string[]): { file: string; cdhashes: Record<string, string> } {
  const file = path.join(dir, name);
  const out = execFileSync('python3', [path.join(REPO, 'test', 'support', 'adhoc_sign.py'), arm64, file, ...args], {
    ...CHILD_LIMIT,
    encoding: 'utf8',
  });
  return { file, cdhashes: (JSON.parse(out) as { cdhashes: Record<string, string> }).cdhashes };
}

function objdump(file: string): string {
  return execFileSync('llvm-objdump-14', ['--macho', '--private-headers', file], { ...CHILD_LIMIT, encoding: 'utf8' });
}

/** The findings as [message, docUrl, arch] sorted, for comparison with Apple's. */
function seen(result: PreflightResult): string[][] {
  return result.findings.map((f: PreflightFinding) => [f.appleMessage, f.docUrl, f.arch ?? '']).sort();
}

function expect(arch: string, ...messages: (keyof typeof APPLE)[]): string[][] {
  return messages.map((m) => [...APPLE[m], arch]).sort();
}

const XML_HEAD =
  '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n';

describe("pre-flight: each message of Apple's notarization log is predicted locally", () => {
  before(async () => {
    tsa = await startTsa();
    identity = loadP12File(pki.developerId.p12, pki.password);
    arm64 = buildGo('arm64', dir);
    amd64 = buildGo('amd64', dir);
  });
  after(() => tsa?.stop());

  it('a correctly signed binary (hardened runtime, timestamp) earns only "not a valid Developer ID" with the test PKI', async () => {
    const file = await signed('good');
    const result = await preflightPath(file);
    assert.deepEqual(result.inspected, [file]);
    assert.deepEqual(result.skipped, []);
    assert.deepEqual(seen(result), expect('arm64', 'developerId'));
    const [finding] = result.findings;
    assert.equal(finding.path, file);
    assert.equal(finding.ruleId, 'signature/developer-id');
    assert.match(finding.fix, /Developer ID Application/);
  });

  it('"The binary is not signed.": Go\'s darwin/amd64 output (no LC_CODE_SIGNATURE, says llvm-objdump)', async () => {
    assert.doesNotMatch(objdump(amd64), /LC_CODE_SIGNATURE/);
    const result = await preflightPath(amd64);
    // Apple's logs for unsigned code list the timestamp and (for executables) the hardened runtime too, and never
    // "not signed with a valid Developer ID certificate".
    assert.deepEqual(seen(result), expect('x86_64', 'unsigned', 'timestamp', 'runtime'));
  });

  it('"The signature of the binary is invalid.": a code byte changed after signing', async () => {
    const file = await signed('patched');
    const bytes = fs.readFileSync(file);
    bytes[0x5000] ^= 0xff;
    fs.writeFileSync(file, bytes);
    assert.deepEqual(seen(await preflightPath(file)), expect('arm64', 'developerId', 'invalid'));
  });

  it('"The signature does not include a secure timestamp.": signed without a time-stamp authority', async () => {
    const file = await signed('no-timestamp', { timestamp: false });
    assert.deepEqual(seen(await preflightPath(file)), expect('arm64', 'developerId', 'timestamp'));
  });

  it('"The executable does not have the hardened runtime enabled.": signed without the runtime option', async () => {
    const file = await signed('no-runtime', { runtime: false });
    assert.deepEqual(seen(await preflightPath(file)), expect('arm64', 'developerId', 'runtime'));
  });

  it('"The executable requests the com.apple.security.get-task-allow entitlement."', async () => {
    const file = await signed('get-task-allow', {
      entitlements: `${XML_HEAD}<plist version="1.0"><dict><key>com.apple.security.get-task-allow</key><true/></dict></plist>\n`,
    });
    assert.deepEqual(seen(await preflightPath(file)), expect('arm64', 'developerId', 'getTaskAllow'));
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
    await signed('old-sdk', { from: file });
    assert.deepEqual(seen(await preflightPath(file)), expect('arm64', 'developerId', 'sdk'));
  });

  it('"Embedded entitlements are invalid": an entitlements blob that is not a property list', async () => {
    const broken = path.join(dir, 'broken.entitlements');
    fs.writeFileSync(broken, `${XML_HEAD}<plist version="1.0"><dict><key>com.apple.security.cs.allow-jit</key>\n`);
    // python's plistlib agrees that it cannot be read.
    assert.throws(() =>
      execFileSync('python3', ['-c', 'import plistlib,sys; plistlib.load(open(sys.argv[1],"rb"))', broken], {
        ...CHILD_LIMIT,
        stdio: 'pipe',
      }),
    );
    const { file } = adhocSign('bad-entitlements', [
      '--identifier',
      'com.example.hello',
      '--runtime',
      '--entitlements',
      broken,
    ]);
    // Ad hoc: no certificate and no timestamp, as Apple would also say.
    assert.deepEqual(seen(await preflightPath(file)), expect('arm64', 'developerId', 'timestamp', 'entitlements'));
  });

  it('"The signature algorithm used is too weak.": every CodeDirectory is SHA-1', async () => {
    const { file, cdhashes } = adhocSign('sha1-only', [
      '--identifier',
      'com.example.hello',
      '--runtime',
      '--hashes',
      'sha1',
    ]);
    assert.deepEqual(Object.keys(cdhashes), ['sha1'], 'python wrote one SHA-1 CodeDirectory');
    assert.deepEqual(seen(await preflightPath(file)), expect('arm64', 'developerId', 'timestamp', 'weak'));
    // With a SHA-256 CodeDirectory beside the SHA-1 one, the algorithm is fine.
    const both = adhocSign('sha1-sha256', [
      '--identifier',
      'com.example.hello',
      '--runtime',
      '--hashes',
      'sha1,sha256',
    ]);
    assert.deepEqual(seen(await preflightPath(both.file)), expect('arm64', 'developerId', 'timestamp'));
  });

  it("a universal file: each slice judged on its own, named by Apple's architecture names", async () => {
    const fat = path.join(dir, 'universal');
    execFileSync(lipoTool(), ['-create', await signed('good-arm64'), amd64, '-output', fat], CHILD_LIMIT);
    const result = await preflightPath(fat);
    assert.deepEqual(
      seen(result),
      [...expect('arm64', 'developerId'), ...expect('x86_64', 'unsigned', 'timestamp', 'runtime')].sort(),
    );
  });

  it('an .app with a nested helper: every Mach-O inside, the resource seal, and the same app in a zip', async () => {
    const app = path.join(dir, 'Hello.app');
    fs.mkdirSync(path.join(app, 'Contents', 'MacOS'), { recursive: true });
    fs.mkdirSync(path.join(app, 'Contents', 'Helpers'), { recursive: true });
    fs.mkdirSync(path.join(app, 'Contents', 'Resources'), { recursive: true });
    fs.writeFileSync(
      path.join(app, 'Contents', 'Info.plist'),
      `${XML_HEAD}<plist version="1.0"><dict><key>CFBundleExecutable</key><string>hello</string><key>CFBundleIdentifier</key><string>com.example.hello</string><key>CFBundlePackageType</key><string>APPL</string></dict></plist>\n`,
    );
    fs.copyFileSync(arm64, path.join(app, 'Contents', 'MacOS', 'hello'));
    fs.copyFileSync(arm64, path.join(app, 'Contents', 'Helpers', 'helper'));
    fs.writeFileSync(path.join(app, 'Contents', 'Resources', 'data.txt'), 'sealed\n');
    await signArtifact(app, { identity, runtime: true, timestampUrl: tsa.url });
    const main = path.join(app, 'Contents', 'MacOS', 'hello');
    const helper = path.join(app, 'Contents', 'Helpers', 'helper');

    const clean = await preflightPath(app);
    assert.deepEqual(clean.inspected.sort(), [helper, main].sort());
    assert.deepEqual(
      clean.findings.map((f) => [f.path, f.ruleId]).sort(),
      [
        [helper, 'signature/developer-id'],
        [main, 'signature/developer-id'],
      ].sort(),
    );

    // The same bundle zipped by Info-ZIP: the main executable is checked against the zipped Info.plist and
    // CodeResources, so it is not "invalid".
    const zip = path.join(dir, 'Hello.zip');
    execFileSync('zip', ['-q', '-r', '-y', zip, 'Hello.app'], { ...CHILD_LIMIT, cwd: dir });
    const zipped = await preflightPath(zip);
    assert.deepEqual(
      zipped.findings.map((f) => [f.path, f.ruleId]).sort(),
      [
        [`${zip}/Hello.app/Contents/Helpers/helper`, 'signature/developer-id'],
        [`${zip}/Hello.app/Contents/MacOS/hello`, 'signature/developer-id'],
      ].sort(),
    );

    // A sealed resource changed after signing: the bundle's signature is invalid.
    fs.writeFileSync(path.join(app, 'Contents', 'Resources', 'data.txt'), 'changed\n');
    const changed = await preflightPath(app);
    const invalid = changed.findings.filter((f) => f.ruleId === 'signature/intact');
    assert.deepEqual(
      invalid.map((f) => [f.path, f.arch, f.appleMessage, f.docUrl]),
      [[app, null, ...APPLE.invalid]],
    );
  });

  it('a zip (Info-ZIP) holding a bad binary beside a good one names the bad entry as Apple does', async () => {
    const root = path.join(dir, 'zipped');
    fs.mkdirSync(path.join(root, 'bin'), { recursive: true });
    fs.copyFileSync(amd64, path.join(root, 'bin', 'unsigned'));
    fs.copyFileSync(await signed('good-for-zip'), path.join(root, 'bin', 'good'));
    fs.writeFileSync(path.join(root, 'README.txt'), 'hello\n');
    const zip = path.join(dir, 'tool.zip');
    execFileSync('zip', ['-q', '-r', zip, 'bin', 'README.txt'], { ...CHILD_LIMIT, cwd: root });
    const result = await preflightPath(zip);
    assert.deepEqual(result.inspected.sort(), [`${zip}/bin/good`, `${zip}/bin/unsigned`]);
    const bad = result.findings.filter((f) => f.path === `${zip}/bin/unsigned`);
    assert.deepEqual(seen({ ...result, findings: bad }), expect('x86_64', 'unsigned', 'timestamp', 'runtime'));
    const good = result.findings.filter((f) => f.path === `${zip}/bin/good`);
    assert.deepEqual(seen({ ...result, findings: good }), expect('arm64', 'developerId'));
  });

  it('zip bombs and oversized archives are refused before anything is inflated', async () => {
    const bomb = path.join(dir, 'bomb.zip');
    execFileSync(
      'python3',
      [
        '-c',
        'import zipfile,sys\nwith zipfile.ZipFile(sys.argv[1],"w",zipfile.ZIP_DEFLATED) as z:\n for i in range(3): z.writestr(f"zeros{i}", bytes(32*1024*1024))',
        bomb,
      ],
      CHILD_LIMIT,
    );
    assert.ok(fs.statSync(bomb).size < 1024 * 1024, 'the archive is small');
    await assert.rejects(preflightPath(bomb, { zipLimits: { totalDeclared: 64 * 1024 * 1024 } }), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.match(error.message, /zip bomb\?\): refused/);
      return true;
    });
    await assert.rejects(preflightPath(bomb, { zipLimits: { entries: 2 } }), /lists 3 entries, more than 2: refused/);
    // An entry that inflates to more than its headers declare (sizes patched by python): read no further, skipped.
    const liar = path.join(dir, 'liar.zip');
    execFileSync(
      'python3',
      [
        '-c',
        [
          'import zipfile,sys,struct',
          'with zipfile.ZipFile(sys.argv[1],"w",zipfile.ZIP_DEFLATED) as z: z.write(sys.argv[2],"hello")',
          'b=bytearray(open(sys.argv[1],"rb").read())',
          'c=b.find(b"PK\\x01\\x02"); struct.pack_into("<I",b,c+24,4096); struct.pack_into("<I",b,22,4096)',
          'open(sys.argv[1],"wb").write(b)',
        ].join('\n'),
        liar,
        amd64,
      ],
      CHILD_LIMIT,
    );
    const lied = await preflightPath(liar);
    assert.deepEqual(lied.inspected, []);
    assert.deepEqual(
      lied.skipped.map((s) => s.path),
      [`${liar}/hello`],
    );
    const notZip = path.join(dir, 'fake.zip');
    fs.writeFileSync(notZip, Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(100)]));
    await assert.rejects(preflightPath(notZip), (error: unknown) => error instanceof InputError);
  });

  it("every message the pre-flight predicts is one the notary log reader explains for Go, and the table is §3.2's", () => {
    const predicted = Object.values(CERTAIN_REJECTIONS).map((r) => [r.appleMessage, r.docUrl]);
    assert.deepEqual(
      predicted.sort(),
      Object.values(APPLE)
        .map((m) => [...m])
        .sort(),
    );
    for (const [message] of predicted) assert.ok(goCause(`${message}: detail`), message);
  });

  it('a flat .pkg (xar with a gzip cpio Payload, written by python): every Mach-O inside is judged; pbzx is skipped', async () => {
    const payload = path.join(dir, 'Payload');
    const good = await signed('good-for-pkg');
    execFileSync(
      'python3',
      [
        path.join(REPO, 'test', 'support', 'make_pkg_payload.py'),
        payload,
        `usr/local/bin/unsigned=${amd64}`,
        `usr/local/bin/good=${good}`,
      ],
      CHILD_LIMIT,
    );
    // The payload is gzip over an odc cpio holding both files (python's gzip and a few lines read it back).
    const listed = execFileSync(
      'python3',
      [
        '-c',
        'import gzip,sys\nb=gzip.open(sys.argv[1]).read()\ni=0\nwhile i<len(b):\n n=int(b[i+59:i+65],8);s=int(b[i+65:i+76],8);print(b[i+76:i+75+n].decode());i+=76+n+s',
        payload,
      ],
      { ...CHILD_LIMIT, encoding: 'utf8' },
    );
    assert.match(listed, /\.\/usr\/local\/bin\/unsigned\n\.\/usr\/local\/bin\/good\n/);
    const pkg = path.join(dir, 'tool.pkg');
    execFileSync('python3', [path.join(REPO, 'test', 'support', 'make_xar.py'), pkg, payload], CHILD_LIMIT);
    const result = await preflightPath(pkg);
    const unsigned = `${pkg}/Payload/usr/local/bin/unsigned`;
    const signedInside = `${pkg}/Payload/usr/local/bin/good`;
    assert.deepEqual(result.inspected, [unsigned, signedInside]);
    assert.deepEqual(result.skipped, []);
    assert.deepEqual(
      seen({ ...result, findings: result.findings.filter((f) => f.path === unsigned) }),
      expect('x86_64', 'unsigned', 'timestamp', 'runtime'),
    );
    assert.deepEqual(
      seen({ ...result, findings: result.findings.filter((f) => f.path === signedInside) }),
      expect('arm64', 'developerId'),
    );

    // A product archive as productbuild lays it out (a component package as a directory, beside Distribution),
    // written by libarchive's bsdtar, which stores each file zlib-compressed (xar's application/x-gzip).
    const product = path.join(dir, 'product');
    fs.mkdirSync(path.join(product, 'tool.pkg'), { recursive: true });
    fs.copyFileSync(payload, path.join(product, 'tool.pkg', 'Payload'));
    fs.writeFileSync(path.join(product, 'Distribution'), '<?xml version="1.0"?><installer-gui-script/>\n');
    const productPkg = path.join(dir, 'product.pkg');
    execFileSync(
      findTool(['bsdtar'], 'bsdtar (libarchive)'),
      ['--format', 'xar', '-cf', productPkg, 'Distribution', 'tool.pkg'],
      {
        ...CHILD_LIMIT,
        cwd: product,
      },
    );
    const nested = await preflightPath(productPkg);
    assert.deepEqual(nested.inspected, [
      `${productPkg}/tool.pkg/Payload/usr/local/bin/unsigned`,
      `${productPkg}/tool.pkg/Payload/usr/local/bin/good`,
    ]);
    assert.equal(nested.findings.length, 4);

    // A payload newer pkgbuild compresses with LZMA (pbzx) is not read: skipped, never clean.
    execFileSync(
      'python3',
      [path.join(REPO, 'test', 'support', 'make_pkg_payload.py'), payload, '--pbzx'],
      CHILD_LIMIT,
    );
    const lzma = path.join(dir, 'lzma.pkg');
    execFileSync('python3', [path.join(REPO, 'test', 'support', 'make_xar.py'), lzma, payload], CHILD_LIMIT);
    const skipped = await preflightPath(lzma);
    assert.deepEqual(skipped.findings, []);
    assert.deepEqual(
      skipped.skipped.map((s) => s.path),
      [`${lzma}/Payload`],
    );
    assert.match(skipped.skipped[0].reason, /pbzx/);
    // A payload that inflates past the bound is skipped with the reason, not read.
    const bounded = await preflightPath(pkg, { pkgLimits: { inflatedBytes: 1024 } });
    assert.deepEqual(bounded.inspected, []);
    assert.match(bounded.skipped[0].reason, /larger than|inflates to more than/);
  });

  it('a .dmg or .pkg is listed as skipped, never as clean', async () => {
    const dmg = path.join(dir, 'tool.dmg');
    fs.writeFileSync(dmg, Buffer.alloc(1024));
    const result = await preflightPath(dmg);
    assert.deepEqual(result.findings, []);
    assert.deepEqual(result.inspected, []);
    assert.equal(result.skipped.length, 1);
  });
});
