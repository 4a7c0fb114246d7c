/**
 * Facts about the extension manifest and the packages built from it that users and the marketplace depend on, and
 * the README facts a newcomer starts from: the system packages, the Node version, how to install what we build.
 * Package contents are listed by vsce and npm themselves; a .vsix is read with Python's zipfile.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { CHILD_LIMIT } from '../support/bounds';
import { systemPackages } from '../support/systemPackages';
import { REPO, tempDir } from '../support/tools';

const manifest = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));

const VSCE = path.join(REPO, 'node_modules', '@vscode', 'vsce', 'vsce');
const BUNDLES = [
  'dist/cli.js',
  // The CLI's code, which dist/cli.js loads through a V8 code cache (server/src/cli/compileCache.ts).
  'dist/cliMain.js',
  'dist/client.js',
  'dist/pageWorker.js',
  'dist/server.js',
  // Libraries the CLI requires only when a command uses them (scripts/build.mjs).
  'dist/vendor/node-forge.js',
  'dist/vendor/plist.js',
  'dist/vendor/yaml.js',
];
/** vsce writes README.md, CHANGELOG.md and LICENSE as readme.md, changelog.md and LICENSE.txt. */
const SHIPPED =
  /^(dist\/(cli|cliMain|client|pageWorker|server|vendor\/(node-forge|plist|yaml))\.js|media\/.+|syntaxes\/.+|package\.json|README\.md|CHANGELOG\.md|LICENSE(\.txt)?)$/i;
const PNG_HEADER = `
import json, struct, sys
data = open(sys.argv[1], 'rb').read(33)
width, height, depth, colour = struct.unpack('>IIBB', data[16:26])
print(json.dumps({'signature': data[:8] == b'\\x89PNG\\r\\n\\x1a\\n' and data[12:16] == b'IHDR', 'width': width, 'height': height, 'colourType': colour}))
`;

function run(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { ...CHILD_LIMIT, cwd, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.error ?? r.stderr}`);
  return r.stdout;
}

function assertShipped(files: string[]): void {
  assert.deepEqual(
    files.filter((f) => !SHIPPED.test(f)),
    [],
    'nothing but the bundles and assets',
  );
  for (const f of [...BUNDLES, manifest.icon, 'package.json', 'README.md'])
    assert.ok(
      files.some((g) => g.toLowerCase() === f.toLowerCase()),
      `${f} is shipped`,
    );
}

const VSIX_LISTING = `
import json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    print(json.dumps({'files': z.namelist(), 'manifest': z.read('extension.vsixmanifest').decode(), 'client': z.read('extension/dist/client.js').decode()[-400:]}))
`;

describe('package.json', () => {
  it('pins engines.vscode to the @types/vscode it is compiled against', () => {
    const types = JSON.parse(
      fs.readFileSync(path.join(REPO, 'node_modules', '@types', 'vscode', 'package.json'), 'utf8'),
    );
    assert.equal(manifest.engines.vscode, `^${types.version}`);
    assert.equal(manifest.devDependencies['@types/vscode'], types.version);
  });

  it('installs the CLI as go-macos-sign and starts the client bundle', () => {
    assert.deepEqual(manifest.bin, { 'go-macos-sign': './dist/cli.js' });
    assert.equal(manifest.main, './dist/client.js');
    assert.equal(manifest.name, 'go-macos-sign');
  });

  it('activates narrowly', () => {
    assert.ok(!manifest.activationEvents.includes('*'));
  });

  it('registers every contributed command in the client', () => {
    const dir = path.join(REPO, 'client', 'src');
    const files = fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const source = files.map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('\n');
    for (const { command } of manifest.contributes.commands) assert.ok(source.includes(`'${command}'`), command);
  });

  it('has a 128x128 PNG icon under media/', () => {
    assert.match(manifest.icon, /^media\/[\w-]+\.png$/);
    const png = fs.readFileSync(path.join(REPO, manifest.icon));
    const header = JSON.parse(
      execFileSync('python3', ['-c', PNG_HEADER, path.join(REPO, manifest.icon)], { ...CHILD_LIMIT, encoding: 'utf8' }),
    );
    assert.deepEqual(header, { signature: true, width: 128, height: 128, colourType: 6 });
    assert.ok(png.length < 64 * 1024);
  });

  it('builds the production bundles before vsce packages them and before npm packs them', () => {
    assert.equal(manifest.scripts['vscode:prepublish'], 'node scripts/build.mjs --production');
    assert.equal(manifest.scripts.prepack, manifest.scripts['vscode:prepublish']);
    assert.doesNotMatch(
      manifest.scripts.package,
      /--no-prepublish|build\.mjs/,
      'npm run package goes through vscode:prepublish',
    );
  });

  it('ships only the bundles and assets: one allow-list ("files") for the .vsix and the npm package', () => {
    assert.ok(!fs.existsSync(path.join(REPO, '.vscodeignore')), 'vsce refuses a .vscodeignore next to "files"');
    const vsix = run(process.execPath, [VSCE, 'ls'], REPO).split('\n').filter(Boolean);
    assertShipped(vsix);
    // --ignore-scripts: prepack would rebuild dist/ under the other tests' feet.
    const npm = JSON.parse(run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], REPO))[0].files.map(
      (f: { path: string }) => f.path,
    );
    assertShipped(npm);
    assert.deepEqual([...npm].sort(), [...vsix].sort());
  });
});

describe('a fresh clone', () => {
  // The repository as `git clone` gives it (nothing that .gitignore leaves out), with the dependencies `npm ci` installs.
  const clone = () => {
    const dir = path.join(tempDir('gms-clone-'), 'go-macos-sign');
    const ignored = new Set(['node_modules', 'dist', 'out', '.cache', '.demo', 'test-results', '.git']);
    fs.cpSync(REPO, dir, {
      recursive: true,
      filter: (src) => !ignored.has(path.basename(src)) && !src.endsWith('.vsix'),
    });
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'));
    return dir;
  };

  it('packages the extension with `npx @vscode/vsce package` alone: production bundles and the icon', () => {
    const dir = clone();
    const vsix = path.join(dir, 'out.vsix');
    run(process.execPath, [VSCE, 'package', '--out', vsix], dir);
    const listing = JSON.parse(
      execFileSync('python3', ['-c', VSIX_LISTING, vsix], { ...CHILD_LIMIT, encoding: 'utf8' }),
    );
    assertShipped(
      listing.files.filter((f: string) => f.startsWith('extension/')).map((f: string) => f.slice('extension/'.length)),
    );
    assert.match(listing.manifest, new RegExp(`<Icon>extension/${manifest.icon}</Icon>`));
    assert.doesNotMatch(listing.client, /sourceMappingURL/, 'the production build has no source maps');
  });

  it('packs the CLI with `npm pack`, and the unpacked CLI runs on its own', () => {
    const dir = clone();
    const [{ filename }] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', dir], dir));
    const unpacked = tempDir();
    run('tar', ['-xzf', path.join(dir, filename), '-C', unpacked], dir);
    const cli = path.join(unpacked, 'package', manifest.bin['go-macos-sign']);
    assert.match(run(process.execPath, [cli, '--help'], unpacked), /^usage: go-macos-sign/);
  });
});

describe('README', () => {
  const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');

  it('lists every system package in one install line, the same list .ci/run installs', () => {
    const installLines = readme.split('\n').filter((l) => l.startsWith('sudo apt-get install -y '));
    assert.equal(installLines.length, 1, 'one install line');
    assert.deepEqual(
      installLines[0].replace('sudo apt-get install -y ', '').trim().split(/\s+/),
      systemPackages().map((p) => p.name),
    );
    assert.match(fs.readFileSync(path.join(REPO, '.ci', 'run'), 'utf8'), /done <scripts\/system-packages\.txt/);
  });

  it('states the Node.js version package.json requires', () => {
    const major = /^>=(\d+)$/.exec(manifest.engines.node)![1];
    assert.match(readme, new RegExp(`Node\\.js ≥ ${major}\\b`));
  });

  it('says how to install the .vsix that `npm run package` writes, and how to run the CLI from a clone or the packed CLI', () => {
    const out = /--out (\S+\.vsix)/.exec(manifest.scripts.package)![1];
    assert.ok(readme.includes(`code --install-extension ${out}`));
    assert.match(readme, /npx --yes --package \S+ go-macos-sign /);
    assert.match(readme, /npm install -g \S+\.tgz/);
  });
});
