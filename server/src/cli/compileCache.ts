/**
 * Loads the CLI's bundle (dist/cliMain.js) with a V8 code cache, so that a command starts without compiling the
 * bundle's code again: compiling it is a tenth of what `go-macos-sign verify` of a large binary costs as a whole
 * process. Node 22 does the same for every module (`module.enableCompileCache`); Node 20, which we support, has only
 * `vm.Script`'s `cachedData`, which is what this uses.
 *
 * Contract of `loadCompiled(file)`: the `module.exports` of the CommonJS bundle `file`, run as Node runs a module
 * (`require` resolving next to it, `__filename`, `__dirname`). The cache is an optimisation only: when it is missing,
 * unreadable or rejected by V8 (another V8, other flags), the bundle is compiled from source as usual, and at the
 * process's exit the code V8 compiled during the run (lazily compiled functions included) is written as the new cache.
 * Nothing about the cache is ever an error or printed.
 *
 * Where: one file per bundle content and command in the user's own cache directory (never a shared temporary directory: another
 * user's file there would be run as code), under a folder for the V8 version, architecture and V8 flags that V8 checks
 * a cache against. V8 checks the source only by its length, so the file name carries a hash of the content: a changed
 * bundle of the same length can never meet an old cache. `NODE_DISABLE_COMPILE_CACHE` turns it off and
 * `NODE_COMPILE_CACHE` moves it, as they do for Node's own compile cache.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { listDirectory, readFileBounded } from '../fileAccess';

const NAME = 'go-macos-sign';

/** The folder our caches live in, or null when turned off or when there is no home to put it in. */
export function compileCacheRoot(env: NodeJS.ProcessEnv, platform: NodeJS.Platform, home: string): string | null {
  if (env.NODE_DISABLE_COMPILE_CACHE) return null;
  if (env.NODE_COMPILE_CACHE) return path.resolve(env.NODE_COMPILE_CACHE, NAME);
  if (!home || !path.isAbsolute(home)) return null;
  if (platform === 'darwin') return path.join(home, 'Library', 'Caches', NAME, 'compile-cache');
  if (platform === 'win32')
    return path.join(env.LOCALAPPDATA || path.join(home, 'AppData', 'Local'), NAME, 'compile-cache');
  const xdg = env.XDG_CACHE_HOME;
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(home, '.cache'), NAME, 'compile-cache');
}

/** What V8 checks a code cache against besides the source: its version, the architecture and its flags. */
export interface CompilerIdentity {
  v8: string;
  arch: string;
  execArgv: readonly string[];
}

const digest = (content: string | Uint8Array) => createHash('sha256').update(content).digest('hex').slice(0, 24);

/**
 * The cache file of a bundle `name` with content `source` (its text, or the same as UTF-8 bytes) under `root`, for
 * one V8 and one use of the bundle (`use`, the CLI's command: a cache holds the functions the run that wrote it
 * compiled, so each command has its own).
 */
export function compileCacheFile(
  root: string,
  name: string,
  source: string | Uint8Array,
  compiler: CompilerIdentity,
  use = '',
): string {
  const folder = `${compiler.v8}-${compiler.arch}-${digest(compiler.execArgv.join('\0'))}`.replace(/[^\w.-]/g, '_');
  const kind = /^[a-z][a-z-]{0,30}$/.test(use) ? use : 'other';
  return path.join(root, folder, `${path.basename(name, '.js')}-${digest(source)}-${kind}.bin`);
}

/** CommonJS's wrapper, as Node wraps a module (one line, so positions in the bundle's first line shift only). */
const wrap = (source: string) => `(function (exports, require, module, __filename, __dirname) { ${source}\n})`;

export function loadCompiled(file: string, use = ''): unknown {
  const bytes = readFileBounded(file);
  const source = bytes.toString('utf8');
  let cacheFile: string | null = null;
  let cachedData: Buffer | undefined;
  try {
    const root = compileCacheRoot(process.env, process.platform, os.homedir());
    if (root) {
      const compiler = { v8: process.versions.v8, arch: process.arch, execArgv: process.execArgv };
      cacheFile = compileCacheFile(root, file, bytes, compiler, use); // the bytes: hashing the text encodes it first
      cachedData = readFileBounded(cacheFile);
    }
  } catch {
    cachedData = undefined; // no cache yet (or unreadable): compile from source
  }
  const script = new vm.Script(wrap(source), { filename: file, cachedData });
  if (cacheFile && (!cachedData || script.cachedDataRejected)) {
    const target = cacheFile;
    process.once('exit', () => writeCache(target, script));
  }
  const module = { exports: {} as unknown, filename: file, id: file, loaded: false };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run.call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file));
  module.loaded = true;
  return module.exports;
}

/** Writes the code compiled so far, atomically, and removes the caches of older bundles; never throws. */
function writeCache(file: string, script: vm.Script): void {
  try {
    const folder = path.dirname(file);
    fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
    const temporary = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, script.createCachedData(), { mode: 0o600 });
    fs.renameSync(temporary, file);
    // `name-<content digest>-<use>.bin`: the same name with another digest is an older bundle's.
    const parts = (entry: string) => /^(.+?)-([0-9a-f]{24})-[a-z][a-z-]*\.bin$/.exec(entry);
    const [, name, content] = parts(path.basename(file))!;
    for (const entry of listDirectory(folder)) {
      const other = parts(entry.name);
      if (other && other[1] === name && other[2] !== content) fs.rmSync(path.join(folder, entry.name), { force: true });
    }
  } catch {
    // A cache that cannot be written costs the next run its compile time, nothing else.
  }
}
