/**
 * The CLI's V8 code cache (server/src/cli/compileCache.ts): where it lives, that a changed bundle or another V8 never
 * meets an old cache, and, through the bundled dist/cli.js in child processes, that the first run writes it, the next
 * run uses it (V8 accepted it, so it is not written again), a damaged cache is only a slower start, and
 * NODE_DISABLE_COMPILE_CACHE turns it off. Whatever the cache, the CLI's output is the same.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { compileCacheFile, compileCacheRoot } from '../../server/src/cli/compileCache';
import { CHILD_LIMIT } from '../support/bounds';
import { npmPackage, REPO, tempDir } from '../support/tools';

describe('where the compile cache lives', () => {
  it("is in the user's own cache folder, moved by NODE_COMPILE_CACHE and off with NODE_DISABLE_COMPILE_CACHE", () => {
    assert.equal(compileCacheRoot({}, 'linux', '/home/u'), '/home/u/.cache/go-macos-sign/compile-cache');
    assert.equal(
      compileCacheRoot({ XDG_CACHE_HOME: '/x/cache' }, 'linux', '/home/u'),
      '/x/cache/go-macos-sign/compile-cache',
    );
    assert.equal(
      compileCacheRoot({ XDG_CACHE_HOME: 'relative' }, 'linux', '/home/u'),
      '/home/u/.cache/go-macos-sign/compile-cache',
    );
    assert.equal(compileCacheRoot({}, 'darwin', '/Users/u'), '/Users/u/Library/Caches/go-macos-sign/compile-cache');
    assert.equal(compileCacheRoot({ NODE_COMPILE_CACHE: '/tmp/ncc' }, 'linux', '/home/u'), '/tmp/ncc/go-macos-sign');
    assert.equal(compileCacheRoot({ NODE_DISABLE_COMPILE_CACHE: '1' }, 'linux', '/home/u'), null);
    assert.equal(compileCacheRoot({}, 'linux', ''), null);
  });

  it('names one file per bundle content and command, in a folder per V8 version, architecture and flags', () => {
    const v8 = { v8: '11.3.244.8-node.38', arch: 'x64', execArgv: [] };
    const a = compileCacheFile('/c', '/d/cliMain.js', 'source A', v8);
    assert.equal(path.dirname(path.dirname(a)), '/c');
    assert.match(path.basename(a), /^cliMain-[0-9a-f]{24}-other\.bin$/);
    // One per command: a cache holds what the run that wrote it compiled.
    assert.match(path.basename(compileCacheFile('/c', '/d/cliMain.js', 'source A', v8, 'verify')), /-verify\.bin$/);
    assert.match(path.basename(compileCacheFile('/c', '/d/cliMain.js', 'source A', v8, '../x')), /-other\.bin$/);
    assert.equal(compileCacheFile('/c', '/d/cliMain.js', 'source A', { ...v8 }), a);
    // V8 checks a cache against the source's length only: a same-length change must change the name.
    assert.notEqual(compileCacheFile('/c', '/d/cliMain.js', 'source B', v8), a);
    const other = compileCacheFile('/c', '/d/cliMain.js', 'source A', { ...v8, execArgv: ['--max-old-space-size=64'] });
    assert.notEqual(path.dirname(other), path.dirname(a));
    assert.notEqual(
      path.dirname(compileCacheFile('/c', '/d/cliMain.js', 'source A', { ...v8, v8: '12.4' })),
      path.dirname(a),
    );
  });
});

describe('the CLI with its compile cache', () => {
  const file = path.join(npmPackage('@esbuild/darwin-arm64@0.28.2'), 'bin', 'esbuild');

  function verify(env: NodeJS.ProcessEnv): { code: number | null; stdout: string; stderr: string } {
    // This run's own setting decides, not the one the tests were started with.
    const child: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', NODE_DISABLE_COMPILE_CACHE: undefined, ...env };
    const r = spawnSync(process.execPath, [path.join(REPO, 'dist', 'cli.js'), 'verify', file], {
      ...CHILD_LIMIT,
      encoding: 'utf8',
      env: child,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  function cacheFiles(root: string): string[] {
    if (!fs.existsSync(root)) return [];
    return fs
      .readdirSync(root, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.bin'))
      .map((f) => path.join(root, f));
  }

  it('writes it on the first run, uses it on the next, survives a damaged one, and prints the same', () => {
    const dir = tempDir('gms-compile-cache-');
    const env = { NODE_COMPILE_CACHE: dir };
    const root = path.join(dir, 'go-macos-sign');
    const first = verify(env);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /: valid [\w-]+ signature, \d+ pages checked/);
    const [cache] = cacheFiles(root);
    assert.ok(cache, 'the first run wrote a cache');
    assert.deepEqual(cacheFiles(root), [cache]);
    assert.ok(fs.statSync(cache).size > 1000);

    const written = fs.statSync(cache);
    assert.deepEqual(verify(env), first);
    const after = fs.statSync(cache);
    assert.equal(after.ino, written.ino, 'an accepted cache is not written again');
    assert.equal(after.mtimeMs, written.mtimeMs);

    fs.writeFileSync(cache, Buffer.alloc(written.size, 0x5a)); // damaged: V8 rejects it, the run compiles from source
    assert.deepEqual(verify(env), first);
    assert.ok(!fs.readFileSync(cache).equals(Buffer.alloc(written.size, 0x5a)), 'a rejected cache is written anew');
    assert.deepEqual(verify(env), first);

    // A new cache replaces an older bundle's for the same command, and leaves another command's alone.
    const older = path.join(path.dirname(cache), path.basename(cache).replace(/-[0-9a-f]{24}-/, `-${'0'.repeat(24)}-`));
    const otherCommand = path.join(path.dirname(cache), path.basename(cache).replace(/-verify\.bin$/, '-lint.bin'));
    assert.notEqual(older, cache);
    assert.notEqual(otherCommand, cache);
    fs.writeFileSync(older, 'old');
    fs.writeFileSync(otherCommand, 'lint');
    fs.rmSync(cache);
    assert.deepEqual(verify(env), first);
    assert.ok(fs.existsSync(cache));
    assert.ok(!fs.existsSync(older), "an older bundle's cache is removed");
    assert.ok(fs.existsSync(otherCommand), "another command's cache is kept");
  });

  it('writes nothing with NODE_DISABLE_COMPILE_CACHE', () => {
    const dir = tempDir('gms-compile-cache-off-');
    const result = verify({ NODE_COMPILE_CACHE: dir, NODE_DISABLE_COMPILE_CACHE: '1' });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(cacheFiles(dir), []);
  });
});
