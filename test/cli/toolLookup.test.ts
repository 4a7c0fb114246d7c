/**
 * Tools found under their other names: `universal` on Linux runs LLVM's llvm-lipo (Debian names it llvm-lipo-14)
 * when there is no `lipo`, without --tool. The universal file is read back with Python, not with our parser.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { notFoundMessage, resolveTool } from '../../server/src/apple/toolLookup';
import { CHILD_LIMIT } from '../support/bounds';
import { buildGo, lipoTool, REPO, tempDir } from '../support/tools';

/** A folder holding the named files; `executable` false leaves the x bit off. */
function folder(files: Record<string, boolean>): string {
  const dir = tempDir();
  for (const [name, executable] of Object.entries(files))
    fs.writeFileSync(path.join(dir, name), '#!/bin/sh\n', { mode: executable ? 0o755 : 0o644 });
  return dir;
}

describe('resolveTool', () => {
  it('takes lipo when it is on PATH, else llvm-lipo, else the newest executable llvm-lipo-N', () => {
    const old = folder({ 'llvm-lipo-9': true });
    const versioned = folder({ 'llvm-lipo-14': true, 'llvm-lipo-15': false, 'llvm-lipo-tool': true });
    const search = (...dirs: string[]) => dirs.join(path.delimiter);
    assert.equal(resolveTool('lipo', search(old, versioned, '/nonexistent')), 'llvm-lipo-14');
    assert.equal(resolveTool('lipo', search(old, versioned, folder({ 'llvm-lipo': true }))), 'llvm-lipo');
    assert.equal(resolveTool('lipo', search(old, folder({ lipo: true }))), 'lipo');
    assert.equal(
      resolveTool('lipo', search(folder({ 'llvm-lipo-15': false }))),
      'lipo',
      'nothing usable: the name, for the not-found message',
    );
    assert.equal(resolveTool('codesign', search(versioned)), 'codesign', 'a tool without other names is left alone');
  });

  it('says where a missing tool comes from', () => {
    assert.match(
      notFoundMessage('lipo'),
      /^lipo: not found on PATH, nor llvm-lipo, llvm-lipo-N; .*apt-get install llvm-14.*--tool lipo=PATH/,
    );
    assert.match(notFoundMessage('codesign'), /xcode-select --install/);
  });
});

describe('go-macos-sign universal on Linux', () => {
  let thin: string[];
  before(() => {
    const dir = tempDir();
    thin = [buildGo('arm64', dir), buildGo('amd64', dir)];
  });

  /** The CLI with only `dirs` on PATH, as on a machine where Debian's llvm-14 is the only lipo. */
  const universal = (output: string, dirs: string[]) =>
    spawnSync(process.execPath, [path.join(REPO, 'dist', 'cli.js'), 'universal', '--output', output, ...thin], {
      ...CHILD_LIMIT,
      encoding: 'utf8',
      env: { ...process.env, PATH: dirs.join(path.delimiter) },
    });

  it('runs llvm-lipo-14 by itself when there is no lipo, and makes a universal file', () => {
    const bin = tempDir();
    fs.symlinkSync(lipoTool(), path.join(bin, 'llvm-lipo-14'));
    const output = path.join(tempDir(), 'hello');
    const r = universal(output, [bin]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^\$ llvm-lipo-14 -create -output /m, 'the echo names what ran');
    const archs = execFileSync('python3', ['-c', FAT_ARCHS, output], { ...CHILD_LIMIT, encoding: 'utf8' }).trim();
    assert.equal(archs, '0x1000007 0x100000c', 'x86_64 and arm64 slices (CPU_TYPE_X86_64, CPU_TYPE_ARM64)');
  });

  it('names the package when there is no lipo at all', () => {
    const r = universal(path.join(tempDir(), 'hello'), [tempDir()]);
    assert.equal(r.status, 1);
    const said = r.stdout + r.stderr; // a failed step is reported with the step's output
    assert.match(
      said,
      /go-macos-sign universal: lipo: not found on PATH, nor llvm-lipo, llvm-lipo-N; .*apt-get install llvm-14/,
    );
    assert.doesNotMatch(said, /\n\s+at /, 'no stack trace');
  });
});

/** The CPU types in a fat header (big-endian fat_header, then fat_arch entries), as Apple's <mach-o/fat.h> lays it out. */
const FAT_ARCHS = `
import struct, sys
data = open(sys.argv[1], 'rb').read(4096)
magic, count = struct.unpack('>II', data[:8])
assert magic == 0xcafebabe, hex(magic)
print(' '.join(sorted(hex(struct.unpack('>i', data[8 + 20 * i:12 + 20 * i])[0]) for i in range(count))))
`;
