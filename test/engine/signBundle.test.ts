/**
 * Signing an .app bundle with the builtin signer's bundle part (server/src/sign/bundle.ts, codeResources.ts), on a
 * real third-party bundle (terminal-notifier.app from node-notifier) grown with what real apps carry: a nested helper
 * .app and a nested framework built from Go binaries compiled in the test, a loose helper in MacOS/, a Mach-O in
 * Resources/, localized files, a symbolic link and a .DS_Store.
 *
 * The slice signer is injected: a recording stub that changes each file it signs (as signing does) and returns a
 * cdhash. Expectations come from elsewhere: the CodeResources we write is read back by python's plistlib and compared
 * with an independent walk in python (hashlib digests, Apple's default rules written out again in python), and the
 * project's existing bundle reader (server/src/bundle/) must find the seal intact.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { readAppBundle } from '../../server/src/bundle/app';
import { InputError } from '../../server/src/errors';
import { signBundle, SignedCode } from '../../server/src/sign/bundle';
import { codeResourcesPlist } from '../../server/src/sign/codeResources';
import type { SignRequest } from '../../server/src/sign/types';
import { CHILD_LIMIT } from '../support/bounds';
import { buildGo, npmPackage, tempDir } from '../support/tools';

/** Apple's default rules for a macOS app, written again here from TN2206 and codesign's output, and a walk. */
const ORACLE = `
import hashlib, json, os, plistlib, re, sys
contents = sys.argv[1]
main = sys.argv[2]
RULES2 = [
    (r'^.*', 1, ''), (r'^[^/]+$', 10, 'nested'),
    (r'^(Frameworks|SharedFrameworks|PlugIns|Plug-ins|XPCServices|Helpers|MacOS|Library/(Automator|Spotlight|LoginItems))/', 10, 'nested'),
    (r'.*\\.dSYM($|/)', 11, ''), (r'^(.*/)?\\.DS_Store$', 2000, 'omit'), (r'^Info\\.plist$', 20, 'omit'),
    (r'^version\\.plist$', 20, ''), (r'^embedded\\.provisionprofile$', 20, ''), (r'^PkgInfo$', 20, 'omit'),
    (r'^Resources/', 20, ''), (r'^Resources/.*\\.lproj/', 1000, 'optional'), (r'^Resources/Base\\.lproj/', 1010, ''),
    (r'^Resources/.*\\.lproj/locversion.plist$', 1100, 'omit'),
]
def rule(rel):
    best = None
    for pattern, weight, flag in RULES2:
        if re.search(pattern, rel) and (best is None or weight > best[0]):
            best = (weight, flag)
    return best[1]
def macho(full):
    head = open(full, 'rb').read(4)
    return head in (b'\\xcf\\xfa\\xed\\xfe', b'\\xce\\xfa\\xed\\xfe', b'\\xca\\xfe\\xba\\xbe')
expected, legacy = {}, {}
def walk(rel_dir):
    for name in sorted(os.listdir(os.path.join(contents, rel_dir))):
        rel = os.path.join(rel_dir, name) if rel_dir else name
        full = os.path.join(contents, rel)
        if rel == '_CodeSignature' or rel == main:
            continue
        flag = rule(rel)
        if os.path.islink(full):
            expected[rel] = {'symlink': os.readlink(full)}
        elif os.path.isdir(full):
            bundle = os.path.isfile(os.path.join(full, 'Contents', 'Info.plist')) or os.path.islink(os.path.join(full, 'Versions', 'Current'))
            if flag == 'nested' and '.' in name and bundle:
                expected[rel] = {'nested': True}
            else:
                walk(rel)
        elif flag == 'omit':
            continue
        elif flag == 'nested' and macho(full):
            expected[rel] = {'nested': True}
        else:
            data = open(full, 'rb').read()
            entry = {'hash': hashlib.sha1(data).hexdigest(), 'hash2': hashlib.sha256(data).hexdigest()}
            if flag == 'optional':
                entry['optional'] = True
            expected[rel] = entry
            if rel.startswith('Resources/') and not rel.endswith('.DS_Store') and not rel.endswith('locversion.plist'):
                legacy[rel] = {'hash': entry['hash'], 'optional': flag == 'optional'}
walk('')
seal = plistlib.load(open(os.path.join(contents, '_CodeSignature', 'CodeResources'), 'rb'))
def actual2(v):
    if 'symlink' in v: return {'symlink': v['symlink']}
    if 'cdhash' in v: return {'nested': True}
    out = {'hash': v['hash'].hex(), 'hash2': v['hash2'].hex()}
    if v.get('optional'): out['optional'] = True
    return out
def actual1(v):
    if isinstance(v, bytes): return {'hash': v.hex(), 'optional': False}
    return {'hash': v['hash'].hex(), 'optional': v.get('optional', False)}
print(json.dumps({
    'expected': expected, 'actual': {k: actual2(v) for k, v in seal['files2'].items()},
    'expectedFiles': legacy, 'actualFiles': {k: actual1(v) for k, v in seal['files'].items()},
    'nested': {k: {'cdhash': v['cdhash'].hex(), 'requirement': v['requirement']} for k, v in seal['files2'].items() if 'cdhash' in v},
    'rules2': {k: v for k, v in seal['rules2'].items()},
}))
`;

type Oracle = {
  expected: unknown;
  actual: unknown;
  expectedFiles: unknown;
  actualFiles: unknown;
  nested: Record<string, { cdhash: string; requirement: string }>;
  rules2: Record<string, unknown>;
};

/** The oracle's view of the seal under `resourceRoot` whose main executable is `main` (relative). */
function runOracle(resourceRoot: string, main: string): Oracle {
  return JSON.parse(execFileSync('python3', ['-c', ORACLE, resourceRoot, main], { ...CHILD_LIMIT, encoding: 'utf8' }));
}

interface Call {
  file: string;
  identifier: string | undefined;
  entitlements: boolean;
  extras?: { infoPlist?: Buffer; codeResources?: Buffer };
}

/** A stand-in for the slice signer: records the call, changes the file as signing would, returns a cdhash. */
function recordingSigner(calls: Call[]) {
  return {
    signFile: async (file: string, request: SignRequest, extras?: Call['extras']): Promise<SignedCode> => {
      calls.push({ file, identifier: request.identifier, entitlements: request.entitlements !== undefined, extras });
      fs.appendFileSync(file, `signed as ${request.identifier ?? path.basename(file)}`);
      return { cdhash: createHash('sha256').update(fs.readFileSync(file)).digest().subarray(0, 20) };
    },
  };
}

const request: SignRequest = {
  identity: null,
  runtime: true,
  timestampUrl: null,
  entitlements: Buffer.from('<plist version="1.0"><dict/></plist>'),
};

const dir = tempDir();
let original: string;
let goArm64: string;
let goAmd64: string;

function writeInfo(file: string, executable: string, identifier: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(
    file,
    `<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict><key>CFBundleExecutable</key><string>${executable}</string><key>CFBundleIdentifier</key><string>${identifier}</string></dict></plist>\n`,
  );
}

/** A fresh copy of terminal-notifier.app with nested code and the odd files real apps carry. */
function makeApp(name: string): string {
  const app = path.join(dir, name, 'terminal-notifier.app');
  fs.cpSync(original, app, { recursive: true, verbatimSymlinks: true });
  const contents = path.join(app, 'Contents');
  fs.copyFileSync(goAmd64, path.join(contents, 'MacOS', 'helper-tool'));
  const helper = path.join(contents, 'Helpers', 'Helper.app', 'Contents');
  writeInfo(path.join(helper, 'Info.plist'), 'Helper', 'com.example.helper');
  fs.mkdirSync(path.join(helper, 'MacOS'));
  fs.copyFileSync(goArm64, path.join(helper, 'MacOS', 'Helper'));
  fs.mkdirSync(path.join(helper, 'Resources'));
  fs.writeFileSync(path.join(helper, 'Resources', 'helper.txt'), 'helper data');
  const plugin = path.join(contents, 'PlugIns', 'Inner.appex', 'Contents');
  writeInfo(path.join(plugin, 'Info.plist'), 'Inner', 'com.example.inner');
  fs.mkdirSync(path.join(plugin, 'MacOS'));
  fs.copyFileSync(goAmd64, path.join(plugin, 'MacOS', 'Inner'));
  const framework = path.join(contents, 'Frameworks', 'Go.framework');
  writeInfo(path.join(framework, 'Versions', 'A', 'Resources', 'Info.plist'), 'Go', 'com.example.go');
  fs.copyFileSync(goArm64, path.join(framework, 'Versions', 'A', 'Go'));
  fs.writeFileSync(path.join(framework, 'Versions', 'A', 'Resources', 'go.txt'), 'framework data');
  fs.symlinkSync('A', path.join(framework, 'Versions', 'Current'));
  fs.symlinkSync('Versions/Current/Go', path.join(framework, 'Go'));
  fs.symlinkSync('Versions/Current/Resources', path.join(framework, 'Resources'));
  fs.mkdirSync(path.join(contents, 'Resources', 'bin'));
  fs.copyFileSync(goArm64, path.join(contents, 'Resources', 'bin', 'tool'));
  // An object file (MH_OBJECT) is Mach-O but no code to sign: sealed as data.
  const object = fs.readFileSync(goAmd64).subarray(0, 65536);
  object.writeUInt32LE(0x1, 12);
  fs.writeFileSync(path.join(contents, 'Resources', 'bin', 'part.o'), object);
  fs.writeFileSync(path.join(contents, 'Resources', '.DS_Store'), 'finder');
  fs.writeFileSync(path.join(contents, 'Resources', 'en.lproj', 'locversion.plist'), '<plist/>');
  fs.symlinkSync('Terminal.icns', path.join(contents, 'Resources', 'Icon.icns'));
  return app;
}

before(() => {
  original = path.join(npmPackage('node-notifier@10.0.1'), 'vendor', 'mac.noindex', 'terminal-notifier.app');
  goArm64 = buildGo('arm64', dir);
  goAmd64 = buildGo('amd64', dir);
});

describe('signBundle on terminal-notifier.app with nested code', () => {
  let app: string;
  let calls: Call[];
  let oracle: Oracle;
  let result: SignedCode;

  before(async () => {
    app = makeApp('signed');
    calls = [];
    result = await signBundle(app, request, recordingSigner(calls));
    oracle = runOracle(path.join(app, 'Contents'), 'MacOS/terminal-notifier');
  });

  const rel = (file: string) => path.relative(path.join(app, 'Contents'), file);

  it('signs nested code first, inside out, and the main executable last', () => {
    const order = calls.map((c) => rel(c.file));
    assert.equal(order.at(-1), 'MacOS/terminal-notifier');
    assert.deepEqual([...order].sort(), [
      'Frameworks/Go.framework/Versions/A/Go',
      'Helpers/Helper.app/Contents/MacOS/Helper',
      'MacOS/helper-tool',
      'MacOS/terminal-notifier',
      'PlugIns/Inner.appex/Contents/MacOS/Inner',
      'Resources/bin/tool',
    ]);
    // Deeper code first: Resources/bin/tool (three levels) before MacOS/helper-tool (two).
    assert.ok(order.indexOf('Resources/bin/tool') < order.indexOf('MacOS/helper-tool'));
  });

  it('passes Info.plist and the CodeResources it wrote to the main executable only', () => {
    const main = calls.at(-1)!;
    const contents = path.join(app, 'Contents');
    assert.ok(main.extras?.infoPlist?.equals(fs.readFileSync(path.join(contents, 'Info.plist'))));
    assert.ok(
      main.extras?.codeResources?.equals(fs.readFileSync(path.join(contents, '_CodeSignature', 'CodeResources'))),
    );
    const bundleMains = [
      'Frameworks/Go.framework/Versions/A/Go',
      'MacOS/terminal-notifier',
      'Helpers/Helper.app/Contents/MacOS/Helper',
      'PlugIns/Inner.appex/Contents/MacOS/Inner',
    ];
    for (const call of calls)
      if (!bundleMains.includes(rel(call.file))) assert.equal(call.extras, undefined, rel(call.file));
    const helperMain = calls.find((c) => c.file.endsWith('MacOS/Helper'))!;
    assert.ok(helperMain.extras?.codeResources, 'a nested bundle is sealed too');
    assert.ok(
      fs.existsSync(path.join(contents, 'Helpers', 'Helper.app', 'Contents', '_CodeSignature', 'CodeResources')),
    );
  });

  it('uses CFBundleIdentifier for bundles, file names for loose code, entitlements for the bundle only', () => {
    const byFile = new Map(calls.map((c) => [rel(c.file), c]));
    const identifier = execFileSync(
      'python3',
      [
        '-c',
        'import plistlib,sys; print(plistlib.load(open(sys.argv[1],"rb"))["CFBundleIdentifier"])',
        path.join(app, 'Contents', 'Info.plist'),
      ],
      { ...CHILD_LIMIT, encoding: 'utf8' },
    ).trim();
    assert.equal(byFile.get('MacOS/terminal-notifier')!.identifier, identifier);
    assert.equal(byFile.get('MacOS/terminal-notifier')!.entitlements, true);
    assert.equal(byFile.get('Helpers/Helper.app/Contents/MacOS/Helper')!.identifier, 'com.example.helper');
    assert.equal(byFile.get('MacOS/helper-tool')!.identifier, undefined, 'the slice signer defaults to the file name');
    for (const [file, call] of byFile)
      if (file !== 'MacOS/terminal-notifier') assert.equal(call.entitlements, false, file);
    assert.equal(result.cdhash.length, 20);
  });

  it('writes files2 and files as an independent walk with Apple rules and hashlib computes them', () => {
    assert.deepEqual(oracle.actual, oracle.expected);
    assert.deepEqual(oracle.actualFiles, oracle.expectedFiles);
    assert.deepEqual(Object.keys(oracle.nested).sort(), [
      'Frameworks/Go.framework',
      'Helpers/Helper.app',
      'MacOS/helper-tool',
      'PlugIns/Inner.appex',
    ]);
  });

  it('seals a versioned framework in Versions/A, its Info.plist bound and sealed as a resource too', () => {
    const version = path.join(app, 'Contents', 'Frameworks', 'Go.framework', 'Versions', 'A');
    const framework = runOracle(version, 'Go');
    assert.deepEqual(framework.actual, framework.expected);
    assert.deepEqual(Object.keys(framework.actual as object).sort(), ['Resources/Info.plist', 'Resources/go.txt']);
    const call = calls.find((c) => c.file === path.join(version, 'Go'))!;
    assert.equal(call.identifier, 'com.example.go');
    assert.ok(call.extras?.infoPlist?.equals(fs.readFileSync(path.join(version, 'Resources', 'Info.plist'))));
    assert.ok(
      call.extras?.codeResources?.equals(fs.readFileSync(path.join(version, '_CodeSignature', 'CodeResources'))),
    );
  });

  it('seals nested code by the cdhash signing returned and an ad hoc requirement naming it', () => {
    const helperTool = path.join(app, 'Contents', 'MacOS', 'helper-tool');
    const cdhash = createHash('sha256').update(fs.readFileSync(helperTool)).digest().subarray(0, 20).toString('hex');
    assert.deepEqual(oracle.nested['MacOS/helper-tool'], { cdhash, requirement: `cdhash H"${cdhash}"` });
  });

  it('writes the default rules2 codesign writes, weights included', () => {
    assert.deepEqual(oracle.rules2['^Resources/.*\\.lproj/'], { optional: true, weight: 1000 });
    assert.deepEqual(oracle.rules2['^(.*/)?\\.DS_Store$'], { omit: true, weight: 2000 });
    assert.equal(oracle.rules2['^.*'], true);
    assert.equal(Object.keys(oracle.rules2).length, 13);
  });

  it('passes the project bundle reader: the seal is intact, and a modified resource is found', () => {
    const seal = readAppBundle(app).report.resourceSeal!;
    assert.deepEqual(seal.problems, []);
    assert.equal(seal.checked, Object.keys(oracle.actual as object).length);
    fs.appendFileSync(path.join(app, 'Contents', 'Resources', 'Terminal.icns'), 'x');
    const after = readAppBundle(app).report.resourceSeal!;
    assert.deepEqual(
      after.problems.map((p) => `${p.kind} ${p.path}`),
      ['modified Resources/Terminal.icns'],
    );
  });
});

describe('signBundle refuses what it cannot seal, before writing anything', () => {
  const refuses = async (app: string, pattern: RegExp) => {
    const calls: Call[] = [];
    await assert.rejects(signBundle(app, request, recordingSigner(calls)), (error: Error) => {
      assert.ok(error instanceof InputError, `InputError, got ${error.name}: ${error.message}`);
      assert.match(error.message, pattern);
      assert.ok(!error.message.includes('\n'));
      return true;
    });
    assert.deepEqual(calls, [], 'nothing was signed');
    assert.ok(!fs.existsSync(path.join(app, 'Contents', '_CodeSignature')), 'no seal was written');
  };

  it('a FIFO inside the bundle', async () => {
    const app = makeApp('fifo');
    execFileSync('mkfifo', [path.join(app, 'Contents', 'Resources', 'pipe')], CHILD_LIMIT);
    await refuses(app, /pipe: a FIFO, socket or device in the bundle cannot be sealed/);
  });

  it('a symbolic link that leads out of the bundle', async () => {
    const app = makeApp('escape');
    fs.symlinkSync('../../../../etc/passwd', path.join(app, 'Contents', 'Resources', 'passwd'));
    await refuses(app, /symbolic link to "\.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd", outside the bundle/);
    const absolute = makeApp('absolute');
    fs.symlinkSync('/etc/passwd', path.join(absolute, 'Contents', 'Resources', 'passwd'));
    await refuses(absolute, /outside the bundle/);
  });

  it('an Info.plist without CFBundleExecutable, or one naming a path', async () => {
    const app = makeApp('noexec');
    writeInfo(path.join(app, 'Contents', 'Info.plist'), '', 'x');
    await refuses(app, /CFBundleExecutable is missing/);
    writeInfo(path.join(app, 'Contents', 'Info.plist'), '../../x', 'x');
    await refuses(app, /not a plain file name/);
  });

  it('unsealed content in the root directory of a framework', async () => {
    const app = makeApp('framework-root');
    fs.writeFileSync(path.join(app, 'Contents', 'Frameworks', 'Go.framework', 'stray.txt'), 'x');
    await refuses(app, /stray\.txt: unsealed content in the root directory of a framework/);
  });

  it('a _CodeSignature or MacOS reached through a symbolic link (signing would write elsewhere)', async () => {
    const app = makeApp('seal-link');
    const elsewhere = fs.mkdtempSync(path.join(dir, 'elsewhere-'));
    fs.symlinkSync(elsewhere, path.join(app, 'Contents', '_CodeSignature'));
    await assert.rejects(signBundle(app, request, recordingSigner([])), /_CodeSignature: not a directory/);
    assert.deepEqual(fs.readdirSync(elsewhere), []);
    const macos = makeApp('macos-link');
    fs.renameSync(path.join(macos, 'Contents', 'MacOS'), path.join(elsewhere, 'MacOS'));
    fs.symlinkSync(path.join(elsewhere, 'MacOS'), path.join(macos, 'Contents', 'MacOS'));
    await refuses(macos, /MacOS: not a directory/);
  });

  it('a directory that is not a bundle', async () => {
    await refuses(dir, /not a bundle the builtin signer knows/);
  });
});

describe('codeResourcesPlist (the pure core)', () => {
  const file = (p: string) => ({
    path: p,
    kind: 'file' as const,
    sha1: createHash('sha1').update(p).digest(),
    sha256: createHash('sha256').update(p).digest(),
  });

  it('writes any file name as a key, __proto__ and digits included (python plistlib reads them back)', () => {
    const bytes = codeResourcesPlist([file('__proto__'), file('10'), file('Resources/constructor')], null);
    const keys = execFileSync(
      'python3',
      ['-c', 'import plistlib,sys,json; print(json.dumps(sorted(plistlib.loads(sys.stdin.buffer.read())["files2"])))'],
      { ...CHILD_LIMIT, input: bytes, encoding: 'utf8' },
    );
    assert.deepEqual(JSON.parse(keys), ['10', 'Resources/constructor', '__proto__']);
  });

  it('refuses paths that are not plain relative paths, and items listed twice', () => {
    assert.throws(() => codeResourcesPlist([file('../x')], null), /not a plain relative path/);
    assert.throws(() => codeResourcesPlist([file('/etc/passwd')], null), /not a plain relative path/);
    assert.throws(() => codeResourcesPlist([file('a'), file('a')], null), /listed twice/);
  });
});
