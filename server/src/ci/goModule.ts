/**
 * What a release workflow needs to know of a Go module: its path (go.mod's `module` line) and its main packages, found
 * by reading the sources rather than running `go list`, so that `init ci` works without Go installed and without
 * touching the module cache. A directory is a main package when one of its non-test .go files that builds normally
 * (no `//go:build ignore` generator) says `package main`. Directories Go itself skips are skipped: vendor, testdata,
 * names starting with `.` or `_`, and nested modules (a directory with its own go.mod). Reads go through fileAccess.
 */
import * as path from 'node:path';
import { InputError } from '../errors';
import { isRegularFile, listDirectory, readTextBounded } from '../fileAccess';

export interface MainPackage {
  /** The package as `go build` takes it: `.` or `./cmd/tool` (forward slashes). */
  pkg: string;
  /** The binary `go build` names after it: the directory's name, or the module path's last element at the root. */
  name: string;
}

export interface GoModule {
  dir: string;
  modulePath: string;
  mains: MainPackage[];
}

/** Far more directories than a module's source tree has; a bound against walking a home directory by mistake. */
const MAX_DIRECTORIES = 5000;

/** The module path of go.mod's text, or undefined (comments and a quoted path are allowed, as go.mod allows). */
export function modulePathOf(goMod: string): string | undefined {
  for (const raw of goMod.split('\n')) {
    const line = raw.replace(/\/\/.*$/, '').trim();
    const m = /^module\s+("?)([^\s"]+)\1$/.exec(line);
    if (m) return m[2];
  }
  return undefined;
}

/** The package clause of a Go file's text, skipping comments before it; undefined if none. */
export function packageClause(source: string): string | undefined {
  const text = source.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, '');
  return /^\s*package\s+([A-Za-z_][A-Za-z0-9_]*)/m.exec(text)?.[1];
}

/** A file that `go build` leaves out: a generator or tool marked with the `ignore` build tag. */
export function ignoredByBuild(source: string): boolean {
  const header = source.slice(0, source.search(/^\s*package\s/m) >>> 0);
  return /^\/\/go:build\s+ignore\s*$/m.test(header) || /^\/\/\s*\+build\s+ignore\s*$/m.test(header);
}

export function readGoModule(dir: string): GoModule {
  const goMod = path.join(dir, 'go.mod');
  if (!isRegularFile(goMod)) throw new InputError(`${dir}: no go.mod (init ci works on a Go module's directory)`);
  const modulePath = modulePathOf(readTextBounded(goMod));
  if (!modulePath) throw new InputError(`${goMod}: no module line`);
  const mains: MainPackage[] = [];
  const pending = ['.'];
  let seen = 0;
  while (pending.length > 0) {
    const rel = pending.shift()!;
    if (++seen > MAX_DIRECTORIES) throw new InputError(`${dir}: more than ${MAX_DIRECTORIES} directories`);
    const abs = path.join(dir, rel);
    const entries = listDirectory(abs);
    if (rel !== '.' && entries.some((e) => e.name === 'go.mod' && e.kind === 'file')) continue;
    let main = false;
    for (const e of entries) {
      if (e.kind === 'directory' && !/^[._]/.test(e.name) && e.name !== 'vendor' && e.name !== 'testdata')
        pending.push(rel === '.' ? e.name : `${rel}/${e.name}`);
      if (main || e.kind !== 'file' || !e.name.endsWith('.go') || e.name.endsWith('_test.go') || /^[._]/.test(e.name))
        continue;
      const source = readTextBounded(path.join(abs, e.name));
      if (!ignoredByBuild(source) && packageClause(source) === 'main') main = true;
    }
    if (main)
      mains.push({
        pkg: rel === '.' ? '.' : `./${rel}`,
        name: rel === '.' ? lastElement(modulePath) : rel.slice(rel.lastIndexOf('/') + 1),
      });
  }
  return { dir, modulePath, mains };
}

/** go build's name for the root package: the module path's last element, without a major-version suffix (`/v2`). */
function lastElement(modulePath: string): string {
  const parts = modulePath.split('/');
  const last = parts[parts.length - 1];
  return /^v[0-9]+$/.test(last) && parts.length > 1 ? parts[parts.length - 2] : last;
}

/**
 * The main package to release: the one named (as `./cmd/x`, `cmd/x` or a binary name), the only one, or the one
 * named like the module. More than one otherwise is a question for the user.
 */
export function chooseMain(module: GoModule, wanted?: string): MainPackage {
  const { mains } = module;
  if (mains.length === 0) throw new InputError(`${module.dir}: no package main in this module`);
  if (wanted !== undefined) {
    const norm = wanted === '.' ? '.' : `./${wanted.replace(/^\.\//, '').replace(/\/+$/, '')}`;
    const found = mains.find((m) => m.pkg === norm || m.name === wanted);
    if (!found)
      throw new InputError(`--package ${wanted}: not a main package here (${mains.map((m) => m.pkg).join(', ')})`);
    return found;
  }
  if (mains.length === 1) return mains[0];
  const named = mains.filter((m) => m.name === lastElement(module.modulePath));
  if (named.length === 1) return named[0];
  throw new InputError(
    `${mains.length} main packages (${mains.map((m) => m.pkg).join(', ')}): choose one with --package`,
  );
}
