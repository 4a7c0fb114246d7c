/**
 * .app bundles: a real third-party bundle (terminal-notifier.app from node-notifier), and its resource seal.
 *
 * No signed bundle ships in an npm package we can use, so the seal is written by python's plistlib in the documented
 * `files2` form (SHA-1 `hash` and SHA-256 `hash2` per file, Apple's default `rules2`), with digests from python's
 * hashlib: an independent producer. Then files are modified, added and removed, as a user's build step might.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { inspectPath } from '../../server/src/inspect';
import type { InspectReport } from '../../server/src/protocol';
import { CHILD_LIMIT } from '../support/bounds';
import { npmPackage, tempDir } from '../support/tools';

const WRITE_SEAL = `
import hashlib, os, plistlib, sys
contents = os.path.join(sys.argv[1], 'Contents')
files2 = {}
for dirpath, dirnames, filenames in os.walk(contents):
    for name in filenames:
        full = os.path.join(dirpath, name)
        rel = os.path.relpath(full, contents)
        if rel in ('Info.plist', 'PkgInfo') or rel.startswith('MacOS/') or rel.startswith('_CodeSignature/'):
            continue
        data = open(full, 'rb').read()
        entry = {'hash': hashlib.sha1(data).digest(), 'hash2': hashlib.sha256(data).digest()}
        if '.lproj/' in rel:
            entry['optional'] = True
        files2[rel] = entry
rules2 = {
    '^.*': True,
    '^Info\\\\.plist$': {'omit': True, 'weight': 20.0},
    '^PkgInfo$': {'omit': True, 'weight': 20.0},
    '^Resources/': {'weight': 20.0},
    '^Resources/.*\\\\.lproj/': {'optional': True, 'weight': 1000.0},
    '^(.*/)?\\\\.DS_Store$': {'omit': True, 'weight': 2000.0},
    '^[^/]+$': {'nested': True, 'weight': 10.0},
}
os.makedirs(os.path.join(contents, '_CodeSignature'), exist_ok=True)
with open(os.path.join(contents, '_CodeSignature', 'CodeResources'), 'wb') as f:
    plistlib.dump({'files': {}, 'files2': files2, 'rules': {}, 'rules2': rules2}, f)
`;

let app: string;

async function inspectApp(): Promise<InspectReport> {
  const result = await inspectPath(app);
  assert.deepEqual(result.errors, []);
  return result.reports[0];
}

before(() => {
  const original = path.join(npmPackage('node-notifier@10.0.1'), 'vendor', 'mac.noindex', 'terminal-notifier.app');
  app = path.join(tempDir(), 'terminal-notifier.app');
  fs.cpSync(original, app, { recursive: true, verbatimSymlinks: true });
  fs.writeFileSync(path.join(app, 'Contents', 'Resources', 'data.bin'), 'sealed data');
  execFileSync('python3', ['-c', WRITE_SEAL, app], CHILD_LIMIT);
});

describe('resource seal (_CodeSignature/CodeResources)', () => {
  it('matches an untouched bundle', async () => {
    const report = await inspectApp();
    assert.equal(report.bundle?.codeResources, true);
    assert.ok(report.bundle!.resourceSeal!.checked >= 4, JSON.stringify(report.bundle?.resourceSeal));
    assert.deepEqual(report.bundle!.resourceSeal!.problems, []);
  });

  it('names files modified, added and removed after sealing', async () => {
    fs.appendFileSync(path.join(app, 'Contents', 'Resources', 'Terminal.icns'), 'x');
    fs.writeFileSync(path.join(app, 'Contents', 'Resources', 'added.txt'), 'new');
    fs.rmSync(path.join(app, 'Contents', 'Resources', 'data.bin'));
    fs.rmSync(path.join(app, 'Contents', 'Resources', 'en.lproj', 'Credits.rtf')); // optional: may go
    const report = await inspectApp();
    const problems = report.bundle!.resourceSeal!.problems.map((p) => `${p.kind} ${p.path}`).sort();
    assert.deepEqual(problems, [
      'added Resources/added.txt',
      'missing Resources/data.bin',
      'modified Resources/Terminal.icns',
    ]);
    const intact = report.checks.find((c) => c.id === 'signature/intact')!;
    assert.equal(intact.status, 'fail');
    assert.match(intact.message, /Terminal\.icns \(modified\)/);
  });

  it('reads a binary Info.plist and notices a stapled ticket', async () => {
    const info = path.join(app, 'Contents', 'Info.plist');
    const xml = fs.readFileSync(info);
    execFileSync(
      'python3',
      [
        '-c',
        'import plistlib,sys; d=plistlib.load(open(sys.argv[1],"rb")); plistlib.dump(d, open(sys.argv[1],"wb"), fmt=plistlib.FMT_BINARY)',
        info,
      ],
      CHILD_LIMIT,
    );
    fs.writeFileSync(path.join(app, 'Contents', 'CodeResources'), 'ticket'); // where stapler puts the ticket in a bundle
    const report = await inspectApp();
    assert.equal(report.bundle?.infoPlistFormat, 'binary');
    assert.equal(report.bundle?.executable, path.join('Contents', 'MacOS', 'terminal-notifier'));
    assert.equal(report.bundle?.stapledTicket, true);
    fs.writeFileSync(info, xml);
    fs.rmSync(path.join(app, 'Contents', 'CodeResources'));
  });

  it('refuses a CFBundleExecutable that escapes Contents/MacOS', async () => {
    const info = path.join(app, 'Contents', 'Info.plist');
    const text = fs.readFileSync(info, 'utf8');
    fs.writeFileSync(
      info,
      text.replace(/(<key>CFBundleExecutable<\/key>\s*<string>)[^<]*/, '$1../../../../etc/passwd'),
    );
    const result = await inspectPath(app);
    assert.equal(result.reports.length, 0);
    assert.match(result.errors[0].message, /not a plain file name/);
    fs.writeFileSync(info, text);
  });
});
