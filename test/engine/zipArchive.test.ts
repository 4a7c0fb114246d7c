/**
 * The in-process zip for notarization (server/src/notary/zipArchive.ts), judged by readers we did not write: Info-ZIP's
 * `zipinfo` (names, file types, permission bits, "made by" Unix, compression) and `unzip` (extracts: the parent folder,
 * modes, symbolic links, bytes), and Python's zipfile as a second reader. Inputs are real: a Go binary built here and a
 * copy of terminal-notifier.app (node-notifier 10.0.1) given a symbolic link, an executable script, odd file names and
 * a link that points out of the tree. Expectations come from the file system (lstat, readlink, the files' bytes).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { InputError } from '../../server/src/errors';
import { FileAccessError, openFileStream } from '../../server/src/fileAccess';
import { zipForNotarization, type ZipResult } from '../../server/src/notary/zipArchive';
import { CHILD_LIMIT } from '../support/bounds';
import { installHint, packageFor } from '../support/systemPackages';
import { buildGo, npmPackage, REPO, run, tempDir } from '../support/tools';
import { expectedTree, extractedTree, modeString, sha256, unzipTool, UTF8, zipinfo } from '../support/zipReaders';

const PYTHON_READER = `
import hashlib, json, stat, sys, zipfile
out = []
with zipfile.ZipFile(sys.argv[1]) as z:
    assert z.testzip() is None
    for i in z.infolist():
        data = z.read(i)
        mode = i.external_attr >> 16
        kind = 'symlink' if stat.S_ISLNK(mode) else 'directory' if stat.S_ISDIR(mode) else 'file' if stat.S_ISREG(mode) else 'other'
        out.append({'name': i.filename, 'system': i.create_system, 'type': kind, 'perm': stat.S_IMODE(mode),
                    'method': i.compress_type, 'content': data.decode('utf-8') if kind == 'symlink' else '' if kind == 'directory' else hashlib.sha256(data).hexdigest()})
json.dump(out, sys.stdout)
`;

/** Python's zipfile: every entry, its CRC checked, its type and permission bits, its content. */
function pythonRead(zip: string) {
  const r = spawnSync('python3', ['-c', PYTHON_READER, zip], { encoding: 'utf8', ...CHILD_LIMIT });
  assert.equal(r.status, 0, r.stderr || installHint(packageFor('python3').name));
  return JSON.parse(r.stdout) as {
    name: string;
    system: number;
    type: string;
    perm: number;
    method: number;
    content: string;
  }[];
}

/** Checks `zip` against the tree at `root` with zipinfo, unzip and Python; returns the extraction directory. */
function checkWithIndependentReaders(zip: string, root: string, result: ZipResult): string {
  const expected = expectedTree(root);

  // Our own report agrees with the file system (names in order, kinds, modes).
  assert.deepEqual(result.entries.map((e) => e.name).sort(), [...expected.keys()].sort());
  assert.equal(result.entries[0].name, [...expected.keys()][0], 'the parent folder comes first');
  assert.equal(result.sha256, sha256(fs.readFileSync(zip)));

  // zipinfo: names, type and permission string, made on Unix, files deflated, links and directories stored.
  const listing = zipinfo(zip);
  assert.deepEqual(listing.map((e) => e.name).sort(), [...expected.keys()].sort());
  for (const entry of listing) {
    const want = expected.get(entry.name)!;
    assert.equal(entry.mode, modeString(want), entry.name);
    assert.equal(entry.host, 'unx', entry.name);
    if (want.type === 'file' && want.content !== sha256(Buffer.alloc(0)))
      assert.equal(entry.method, 'defN', entry.name);
    if (want.type !== 'file') assert.equal(entry.method, 'stor', entry.name);
  }

  // unzip: the extracted tree is the original one: names, modes, links still links with the same target, same bytes.
  const out = tempDir('gms-unzip-');
  run(unzipTool(), ['-q', zip, '-d', out], { env: UTF8 });
  assert.deepEqual(Object.fromEntries([...extractedTree(out)].sort()), Object.fromEntries([...expected].sort()));

  // Python's zipfile: the same entries, "made by" Unix (3), modes in the external attributes' high 16 bits.
  const py = pythonRead(zip);
  assert.deepEqual(py.map((e) => e.name).sort(), [...expected.keys()].sort());
  for (const e of py) {
    const want = expected.get(e.name)!;
    assert.equal(e.system, 3, e.name);
    assert.deepEqual({ type: e.type, perm: e.perm, content: e.content }, want, e.name);
  }
  return out;
}

const work = tempDir('gms-zip-');

describe('zipForNotarization on a Go binary built here', () => {
  it('writes one entry named after the binary, executable, deflated, byte-identical', async () => {
    const dir = path.join(work, 'bin');
    const binary = buildGo('arm64', dir, { name: 'mytool' });
    fs.chmodSync(binary, 0o750);
    const zip = path.join(work, 'mytool.zip');
    const result = await zipForNotarization(binary, zip);
    assert.equal(result.output, zip);
    assert.deepEqual(
      result.entries.map((e) => [e.name, e.kind, e.mode & 0o7777]),
      [['mytool', 'file', 0o750]],
    );
    checkWithIndependentReaders(zip, binary, result);
    assert.deepEqual(
      fs.readdirSync(work).filter((n) => n.endsWith('.tmp')),
      [],
      'no temporary file left',
    );
  });
});

describe('zipForNotarization on terminal-notifier.app (node-notifier 10.0.1) with links and odd names', () => {
  let app: string;
  const secret = 'outside the tree: must never be archived\n';

  before(() => {
    const original = path.join(npmPackage('node-notifier@10.0.1'), 'vendor', 'mac.noindex', 'terminal-notifier.app');
    const dir = path.join(work, 'app');
    fs.mkdirSync(dir);
    app = path.join(dir, 'terminal-notifier.app');
    fs.cpSync(original, app, { recursive: true, verbatimSymlinks: true });
    const resources = path.join(app, 'Contents', 'Resources');
    assert.ok(fs.statSync(path.join(resources, 'en.lproj')).isDirectory(), 'the fixture has en.lproj');
    fs.symlinkSync('en.lproj', path.join(resources, 'link'));
    // A link out of the tree, to a file whose bytes must not appear in the archive.
    fs.writeFileSync(path.join(work, 'secret.txt'), secret);
    fs.symlinkSync('../../../../secret.txt', path.join(resources, 'outside'));
    fs.symlinkSync('/etc/passwd', path.join(resources, 'absolute'));
    // An executable script, and a group-only executable: modes other than the fixture's.
    fs.writeFileSync(path.join(resources, 'helper.sh'), '#!/bin/sh\necho hi\n');
    fs.chmodSync(path.join(resources, 'helper.sh'), 0o755);
    fs.writeFileSync(path.join(resources, 'group-tool'), 'x');
    fs.chmodSync(path.join(resources, 'group-tool'), 0o710);
    // Odd names: a space, non-ASCII, a leading dash, an empty file and an empty folder.
    fs.writeFileSync(path.join(resources, 'with space.txt'), 'space\n');
    fs.writeFileSync(path.join(resources, 'ünïcødé ☃.txt'), 'unicode\n');
    fs.writeFileSync(path.join(resources, '-rf'), 'dash\n');
    fs.writeFileSync(path.join(resources, 'empty'), '');
    fs.mkdirSync(path.join(resources, 'Empty Folder'));
  });

  it('keeps the parent folder, directories, modes, links (never followed) and bytes, for unzip and Python alike', async () => {
    const zip = path.join(work, 'terminal-notifier.zip');
    const result = await zipForNotarization(app, zip);
    assert.equal(result.entries[0].name, 'terminal-notifier.app/');
    const byName = new Map(result.entries.map((e) => [e.name, e]));
    assert.equal(byName.get('terminal-notifier.app/Contents/Resources/link')?.target, 'en.lproj');
    assert.equal(byName.get('terminal-notifier.app/Contents/Resources/outside')?.kind, 'symlink');
    assert.equal(byName.get('terminal-notifier.app/Contents/MacOS/terminal-notifier')!.mode & 0o111, 0o111);

    const out = checkWithIndependentReaders(zip, app, result);
    const resources = path.join(out, 'terminal-notifier.app', 'Contents', 'Resources');
    assert.equal(fs.readlinkSync(path.join(resources, 'link')), 'en.lproj');
    assert.ok(fs.lstatSync(path.join(resources, 'outside')).isSymbolicLink());
    assert.equal(fs.readlinkSync(path.join(resources, 'outside')), '../../../../secret.txt');
    assert.equal(
      fs.statSync(path.join(out, 'terminal-notifier.app', 'Contents', 'MacOS', 'terminal-notifier')).mode & 0o777,
      0o755,
    );
    // The secret's bytes are in no entry (Python read every entry's data above; check the raw archive too).
    assert.ok(!fs.readFileSync(zip).includes(Buffer.from(secret)));
    for (const e of pythonRead(zip)) assert.notEqual(e.content, sha256(Buffer.from(secret)), e.name);
  });

  it('replaces an existing archive, and follows PATH itself when it is a link (as ditto does)', async () => {
    const link = path.join(work, 'Linked.app');
    fs.symlinkSync(app, link);
    const zip = path.join(work, 'linked.zip');
    fs.writeFileSync(zip, 'old');
    const result = await zipForNotarization(link, zip);
    assert.equal(result.entries[0].name, 'Linked.app/');
    assert.equal(result.entries[0].kind, 'directory');
    assert.ok(zipinfo(zip).some((e) => e.name === 'Linked.app/Contents/Info.plist'));
  });
});

describe('zipForNotarization refuses what a zip for notarization must not hold', () => {
  async function refusal(input: string, output: string): Promise<string> {
    try {
      await zipForNotarization(input, output);
    } catch (error) {
      assert.ok(error instanceof InputError, String(error));
      assert.ok(!error.message.includes('\n'), 'one line');
      return error.message;
    }
    assert.fail('expected an InputError');
  }

  it('a FIFO inside the .app: one line naming it, nothing written', async () => {
    const dir = path.join(work, 'fifo');
    const app = path.join(dir, 'Fifo.app');
    fs.mkdirSync(path.join(app, 'Contents'), { recursive: true });
    fs.writeFileSync(path.join(app, 'Contents', 'Info.plist'), '<plist/>');
    const fifo = path.join(app, 'Contents', 'pipe');
    run('mkfifo', [fifo]);
    const zip = path.join(dir, 'Fifo.zip');
    assert.equal(await refusal(app, zip), `${fifo}: a FIFO cannot go into a zip for notarization; remove it`);
    assert.deepEqual(fs.readdirSync(dir), ['Fifo.app'], 'no archive, no temporary file');
  });

  it('a character device named directly', async () => {
    assert.match(await refusal('/dev/null', path.join(work, 'null.zip')), /^\/dev\/null: a character device cannot go/);
  });

  it('an archive written inside the tree it archives', async () => {
    const dir = path.join(work, 'inside', 'Self.app');
    fs.mkdirSync(dir, { recursive: true });
    assert.match(await refusal(dir, path.join(dir, 'Self.zip')), /cannot be written inside/);
  });

  it('a missing input', async () => {
    const missing = path.join(work, 'missing');
    assert.equal(await refusal(missing, path.join(work, 'missing.zip')), `${missing}: no such file`);
  });
});

describe('zipForNotarization streams', () => {
  it('zips a 200 MB binary without holding it: peak memory grows far less than the file', () => {
    const dir = tempDir('gms-zip-big-');
    const big = path.join(dir, 'big-tool');
    // Sparse: costs no disk, reads as zeros (deflated quickly); Mach-O or not does not matter to the zipper.
    fs.writeFileSync(big, Buffer.from('\xcf\xfa\xed\xfe', 'latin1'));
    fs.truncateSync(big, 200 * 1024 * 1024);
    fs.chmodSync(big, 0o755);
    const zip = path.join(dir, 'big-tool.zip');
    const script = path.join(dir, 'zip-big.ts');
    fs.writeFileSync(
      script,
      `import { zipForNotarization } from ${JSON.stringify(path.join(REPO, 'server', 'src', 'notary', 'zipArchive'))};
const before = process.memoryUsage().rss;
zipForNotarization(${JSON.stringify(big)}, ${JSON.stringify(zip)}).then((r) => {
  console.log(JSON.stringify({ before, peak: process.resourceUsage().maxRSS * 1024, entries: r.entries }));
});
`,
    );
    const r = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', cwd: REPO, ...CHILD_LIMIT });
    assert.equal(r.status, 0, r.stderr);
    const { before, peak, entries } = JSON.parse(r.stdout) as { before: number; peak: number; entries: unknown[] };
    assert.deepEqual(entries, [{ name: 'big-tool', kind: 'file', mode: 0o100755, size: 200 * 1024 * 1024 }]);
    assert.ok(peak - before < 100 * 1024 * 1024, `peak ${peak} vs ${before} before: grew by the file's size`);
    // Info-ZIP checks every entry's CRC and size.
    assert.match(run(unzipTool(), ['-t', zip]), /No errors detected/);
  });
});

describe('openFileStream with noFollow (what the zipper reads files with)', () => {
  it('refuses a symbolic link, even to a regular file, and streams the file itself', async () => {
    const dir = tempDir('gms-nofollow-');
    fs.writeFileSync(path.join(dir, 'real'), 'bytes');
    fs.symlinkSync('real', path.join(dir, 'link'));
    await assert.rejects(
      openFileStream(path.join(dir, 'link'), { noFollow: true }),
      (e: unknown) =>
        e instanceof FileAccessError && e.message === `${path.join(dir, 'link')}: not a regular file (a symbolic link)`,
    );
    const { stream, size } = await openFileStream(path.join(dir, 'real'), { noFollow: true });
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    assert.equal(size, 5);
    assert.equal(Buffer.concat(chunks).toString(), 'bytes');
  });
});
