/**
 * The second cgo layer, for when `go list` cannot run (no Go, an untrusted workspace, a broken build): read each
 * required module's source from `vendor/` or the module cache and look for `import "C"` in the files that build for
 * darwin, judged by their file-name suffixes and `//go:build` lines as the go command would. Bounded: a module with
 * too many files is left to the next layer.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DirectoryEntry,
  FileAccessError,
  isDirectory,
  isRegularFile,
  listDirectory,
  readTextBounded,
} from '../../fileAccess';
import type { CgoFinding } from './analyze';
import { parseGoMod, Requirement } from './parse';

const MAX_FILES_PER_MODULE = 5_000;

const KNOWN_OS = new Set([
  'aix',
  'android',
  'darwin',
  'dragonfly',
  'freebsd',
  'hurd',
  'illumos',
  'ios',
  'js',
  'linux',
  'nacl',
  'netbsd',
  'openbsd',
  'plan9',
  'solaris',
  'wasip1',
  'windows',
  'zos',
]);
const KNOWN_ARCH = new Set([
  '386',
  'amd64',
  'amd64p32',
  'arm',
  'armbe',
  'arm64',
  'arm64be',
  'loong64',
  'mips',
  'mipsle',
  'mips64',
  'mips64le',
  'mips64p32',
  'mips64p32le',
  'ppc',
  'ppc64',
  'ppc64le',
  'riscv',
  'riscv64',
  's390',
  's390x',
  'sparc',
  'sparc64',
  'wasm',
]);

/** Whether a file name's _GOOS / _GOARCH suffixes allow darwin/`goarch` (go/build's goodOSArchFile). */
export function nameAllows(file: string, goarch: string): boolean {
  const parts = file.replace(/\.go$/, '').split('_');
  if (parts.length < 2) return true;
  const last = parts[parts.length - 1];
  const before = parts[parts.length - 2];
  if (parts.length >= 3 && KNOWN_OS.has(before) && KNOWN_ARCH.has(last)) return before === 'darwin' && last === goarch;
  if (KNOWN_OS.has(last)) return last === 'darwin';
  if (KNOWN_ARCH.has(last)) return last === goarch;
  return true;
}

/** Evaluates a `//go:build` expression for darwin/`goarch` with cgo on. */
export function constraintAllows(expr: string, goarch: string): boolean {
  const tags = new Set(['darwin', 'unix', goarch, 'cgo', 'gc']);
  for (let minor = 1; minor <= 30; minor++) tags.add(`go1.${minor}`);
  const tokens = expr.match(/!|&&|\|\||\(|\)|[\w.]+/g) ?? [];
  let i = 0;
  const primary = (): boolean => {
    const t = tokens[i++];
    if (t === '!') return !primary();
    if (t === '(') {
      const v = or();
      i++;
      return v;
    }
    return t !== undefined && tags.has(t);
  };
  const and = (): boolean => {
    let v = primary();
    while (tokens[i] === '&&') {
      i++;
      v = primary() && v;
    }
    return v;
  };
  const or = (): boolean => {
    let v = and();
    while (tokens[i] === '||') {
      i++;
      v = and() || v;
    }
    return v;
  };
  return or();
}

/** Whether a Go source builds for darwin/`goarch` and imports "C". */
export function importsC(source: string, goarch: string): boolean {
  const pkg = source.search(/^package\s/m);
  const header = pkg >= 0 ? source.slice(0, pkg) : source;
  const build = /^\/\/go:build\s+(.+)$/m.exec(header);
  if (build && !constraintAllows(build[1], goarch)) return false;
  return /^import\s*(\(\s*)?"C"/m.test(source) || /^import\s*\([^)]*^\s*"C"\s*$/m.test(source);
}

/** The module cache folder for a path: uppercase letters are escaped as `!` + lowercase (golang.org/x/mod/module). */
function escapePath(p: string): string {
  return p.replace(/[A-Z]/g, (c) => `!${c.toLowerCase()}`);
}

export function moduleCache(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GOMODCACHE) return env.GOMODCACHE;
  const gopath = (env.GOPATH ?? path.join(os.homedir(), 'go')).split(path.delimiter)[0];
  return path.join(gopath, 'pkg', 'mod');
}

/** Where a requirement's source is on disk: vendor/ first, then the module cache. */
export function moduleDir(root: string, r: Requirement, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const vendored = path.join(root, 'vendor', r.path);
  if (isRegularFile(path.join(root, 'vendor', 'modules.txt')) && isDirectory(vendored)) return vendored;
  const cached = path.join(moduleCache(env), `${escapePath(r.path)}@${escapePath(r.version)}`);
  return isDirectory(cached) ? cached : undefined;
}

/** Packages (relative folders) of a module folder that import "C" for darwin, or undefined if it is too big to read. */
function scanModule(dir: string, goarchs: string[]): string[] | undefined {
  const found = new Set<string>();
  let files = 0;
  const walk = (current: string, rel: string, top: boolean): boolean => {
    let entries: DirectoryEntry[];
    try {
      entries = listDirectory(current);
    } catch (error) {
      if (!(error instanceof FileAccessError)) throw error;
      return true;
    }
    // A nested module is another module.
    if (!top && entries.some((e) => e.name === 'go.mod')) return true;
    for (const e of entries) {
      if (e.name.startsWith('.') || e.name.startsWith('_') || e.name === 'testdata' || e.name === 'vendor') continue;
      const full = path.join(current, e.name);
      // Module zips hold no symbolic links, so one here is not the module's: not followed; FIFOs and devices not read.
      if (e.kind === 'directory') {
        if (!walk(full, rel ? `${rel}/${e.name}` : e.name, false)) return false;
      } else if (e.kind === 'file' && e.name.endsWith('.go') && !e.name.endsWith('_test.go')) {
        if (++files > MAX_FILES_PER_MODULE) return false;
        if (found.has(rel)) continue;
        for (const goarch of goarchs) {
          if (!nameAllows(e.name, goarch)) continue;
          try {
            if (importsC(readTextBounded(full, 'goSource'), goarch)) {
              found.add(rel);
              break;
            }
          } catch (error) {
            if (!(error instanceof FileAccessError)) throw error;
            /* unreadable or too large: skip */
          }
        }
      }
    }
    return true;
  };
  return walk(dir, '', true) ? [...found] : undefined;
}

function requiresModule(root: string, r: Requirement, module: string, env: NodeJS.ProcessEnv): boolean {
  const dir = moduleDir(root, r, env);
  if (!dir) return false;
  try {
    return parseGoMod(readTextBounded(path.join(dir, 'go.mod'), 'text')).requires.some((q) => q.path === module);
  } catch (error) {
    if (!(error instanceof FileAccessError)) throw error;
    return false;
  }
}

/** Findings for the requirements whose source is on disk; `unread` lists those left to the next layer. */
export function scanRequirements(
  root: string,
  requires: Requirement[],
  goarchs: string[],
  env: NodeJS.ProcessEnv = process.env,
): { findings: CgoFinding[]; unread: Requirement[] } {
  const findings: CgoFinding[] = [];
  const unread: Requirement[] = [];
  for (const r of requires) {
    const dir = moduleDir(root, r, env);
    const packages = dir ? scanModule(dir, goarchs) : undefined;
    if (!packages) {
      unread.push(r);
      continue;
    }
    if (packages.length > 0)
      findings.push({
        module: r.path,
        packages: packages.map((p) => (p ? `${r.path}/${p}` : r.path)),
        layer: 'module sources',
      });
  }
  // An indirect requirement is there because a direct one needs it: name that one, from its own go.mod.
  for (const finding of findings) {
    const r = requires.find((q) => q.path === finding.module);
    if (!r?.indirect) continue;
    const parent = requires.find((q) => !q.indirect && requiresModule(root, q, finding.module, env));
    if (parent) finding.chain = [parent.path, finding.module];
  }
  return { findings, unread };
}
