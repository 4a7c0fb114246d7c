/**
 * `go-macos-sign package --format zip` where `ditto` does not run (Linux, no ditto on PATH): the zip is written
 * in-process with the layout `ditto -c -k --keepParent` makes, and judged by Info-ZIP: `unzip -Z -l` for names, file
 * types and permission bits, `unzip` for the extracted tree (links still links, same targets, modes, bytes). Inputs are
 * real: a Go binary built here and a copy of terminal-notifier.app (node-notifier 10.0.1) given a symbolic link and an
 * executable script. With a `ditto` on PATH, that ditto runs instead.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { fakeApple } from '../support/fakeApple';
import { buildGo, npmPackage, run, runCliAsync, tempDir } from '../support/tools';
import { expectedTree, extractedTree, modeString, unzipTool, UTF8, zipinfo } from '../support/zipReaders';

/** A PATH with node and the system's tools but no ditto (checked, not assumed). */
function pathWithoutDitto(): string {
  const dirs = [path.dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'];
  for (const dir of dirs) assert.ok(!fs.existsSync(path.join(dir, 'ditto')), `${dir} has a ditto`);
  return dirs.join(path.delimiter);
}

/** Packages `artifact` with the CLI, then checks the zip against the tree with zipinfo and unzip. */
async function packageAndCheck(artifact: string, expectedZip: string): Promise<string> {
  const r = await runCliAsync(['package', '--json', '--format', 'zip', artifact], { PATH: pathWithoutDitto() });
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.output, expectedZip);
  assert.deepEqual(out.commands, [], 'no tool ran: the zip was written in-process');

  const expected = expectedTree(artifact);
  const listing = zipinfo(expectedZip, 'unzip -Z');
  assert.deepEqual(listing.map((e) => e.name).sort(), [...expected.keys()].sort());
  assert.equal(listing[0].name, [...expected.keys()][0], 'the parent folder kept, first');
  for (const entry of listing) {
    assert.equal(entry.mode, modeString(expected.get(entry.name)!), entry.name);
    assert.equal(entry.host, 'unx', entry.name);
  }
  const dir = tempDir('gms-package-unzip-');
  run(unzipTool(), ['-q', expectedZip, '-d', dir], { env: UTF8 });
  assert.deepEqual(Object.fromEntries([...extractedTree(dir)].sort()), Object.fromEntries([...expected].sort()));
  return dir;
}

describe('package --format zip without ditto', () => {
  it('a Go binary: one executable entry named after it, as ditto --keepParent makes', async () => {
    const binary = buildGo('arm64', tempDir(), { name: 'mytool' });
    fs.chmodSync(binary, 0o750);
    const dir = await packageAndCheck(binary, `${binary}.zip`);
    assert.equal(fs.statSync(path.join(dir, 'mytool')).mode & 0o777, 0o750);
  });

  it('terminal-notifier.app with a symbolic link and an executable script: links stay links, modes are kept', async () => {
    const original = path.join(npmPackage('node-notifier@10.0.1'), 'vendor', 'mac.noindex', 'terminal-notifier.app');
    const dir = tempDir();
    const app = path.join(dir, 'terminal-notifier.app');
    fs.cpSync(original, app, { recursive: true, verbatimSymlinks: true });
    const resources = path.join(app, 'Contents', 'Resources');
    fs.symlinkSync('en.lproj', path.join(resources, 'Current'));
    fs.writeFileSync(path.join(resources, 'helper.sh'), '#!/bin/sh\necho hi\n');
    fs.chmodSync(path.join(resources, 'helper.sh'), 0o755);

    // An .app packages as NAME.zip next to it, holding NAME.app/ (package drops the .app suffix, as before).
    const out = await packageAndCheck(app, path.join(dir, 'terminal-notifier.zip'));
    const extracted = path.join(out, 'terminal-notifier.app', 'Contents');
    assert.ok(fs.lstatSync(path.join(extracted, 'Resources', 'Current')).isSymbolicLink());
    assert.equal(fs.readlinkSync(path.join(extracted, 'Resources', 'Current')), 'en.lproj');
    assert.equal(fs.statSync(path.join(extracted, 'Resources', 'helper.sh')).mode & 0o777, 0o755);
    assert.equal(fs.statSync(path.join(extracted, 'MacOS', 'terminal-notifier')).mode & 0o111, 0o111);
  });

  it('with a ditto on PATH, ditto makes the zip', async () => {
    const fake = fakeApple();
    const binary = buildGo('amd64', tempDir());
    const r = await runCliAsync(['package', '--json', '--format', 'zip', binary], fake.env);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).commands, [`ditto -c -k --keepParent ${binary} ${binary}.zip`]);
    assert.ok(fake.calls().some((c) => c[0] === 'ditto'));
  });
});
