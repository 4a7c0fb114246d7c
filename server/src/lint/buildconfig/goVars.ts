/**
 * Answers "is `name` a string variable of this package?" for `-X importpath.name=value`, from the Go source in the
 * workspace. A light reading of top-level `var` and `const` declarations, enough for what -X accepts: a package-level
 * string variable, uninitialized or initialized with a constant string. When the answer is not clear from the text
 * (an initializer that names another identifier), it says nothing rather than guess.
 */
import * as path from 'node:path';
import { FileAccessError, listDirectory, readTextBounded } from '../../fileAccess';
import { parseGoMod } from '../gomod/parse';

export type VariableKind = 'string' | 'not-string' | 'missing' | undefined;

/** The module root and path of the go.mod governing `dir`, if any. */
export function findModule(dir: string): { root: string; path: string } | undefined {
  for (let current = path.resolve(dir), i = 0; i < 64; i++) {
    const gomod = path.join(current, 'go.mod');
    try {
      const module = parseGoMod(readTextBounded(gomod, 'text')).module;
      return module ? { root: current, path: module.path } : undefined;
    } catch (error) {
      if (!(error instanceof FileAccessError)) throw error;
      /* keep looking upward */
    }
    const parent = path.dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
  return undefined;
}

/** The Go files of the package `importPath` ('main' = the package being built from `packages`, seen from `from`). */
function packageFiles(importPath: string, packages: string[], from: string): string[] | undefined {
  const read = (dir: string) => {
    try {
      // Every entry named *.go, whatever it is: one that cannot be read makes the answer unknown, as it would fail go build.
      return listDirectory(dir)
        .filter((e) => e.name.endsWith('.go') && !e.name.endsWith('_test.go'))
        .map((e) => path.join(dir, e.name));
    } catch (error) {
      if (!(error instanceof FileAccessError)) throw error;
      return undefined;
    }
  };
  if (importPath === 'main') {
    const literal = packages.filter((p) => !/[$`{]/.test(p));
    if (literal.length !== packages.length) return undefined;
    if (literal.some((p) => p.includes('...'))) return undefined;
    const files = literal.filter((p) => p.endsWith('.go')).map((p) => path.resolve(from, p));
    if (files.length > 0) return files;
    const dirs = literal.length > 0 ? literal : ['.'];
    if (dirs.length !== 1 || !/^\.{1,2}(\/|$)/.test(dirs[0])) return undefined;
    return read(path.resolve(from, dirs[0]));
  }
  const module = findModule(from);
  if (!module || (importPath !== module.path && !importPath.startsWith(`${module.path}/`))) return undefined;
  return read(path.join(module.root, importPath.slice(module.path.length)));
}

/** Removes comments, keeping string literals (an initializer's kind depends on them). */
function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*|("(?:[^"\\\n]|\\.)*"|`[^`]*`)/g, (m, literal) =>
    literal ? m : '',
  );
}

function classify(type: string | undefined, init: string | undefined): VariableKind {
  const t = type?.trim();
  const value = init?.trim();
  if (t && t !== 'string') return 'not-string';
  if (value === undefined || value === '') return t === 'string' ? 'string' : undefined;
  if (/^("(?:[^"\\]|\\.)*"|`[^`]*`)(\s*\+\s*("(?:[^"\\]|\\.)*"|`[^`]*`))*$/.test(value)) return 'string';
  if (/\(/.test(value)) return 'not-string';
  return undefined;
}

/** What `name` is in one file's text. */
export function declaredKind(source: string, name: string): VariableKind | 'absent' {
  const text = stripComments(source);
  let found: VariableKind | 'absent' = 'absent';
  const spec = (line: string, constant: boolean) => {
    const m = /^\s*([A-Za-z_][\w]*(?:\s*,\s*[A-Za-z_][\w]*)*)\s*([^=]*?)\s*(?:=\s*(.*))?$/.exec(line);
    if (!m) return;
    const names = m[1].split(',').map((n) => n.trim());
    const index = names.indexOf(name);
    if (index < 0) return;
    if (constant) {
      found = 'not-string';
      return;
    }
    const inits = m[3] !== undefined && names.length > 1 ? m[3].split(',') : m[3] !== undefined ? [m[3]] : undefined;
    found = classify(m[2] || undefined, inits?.[index]);
  };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^(var|const)\b\s*(\(?)(.*)$/.exec(lines[i]);
    if (!m) continue;
    const constant = m[1] === 'const';
    if (m[2] === '(') {
      for (i++; i < lines.length && !/^\)/.test(lines[i]); i++) spec(lines[i], constant);
    } else spec(m[3], constant);
  }
  return found;
}

export function lookupVariable(from: string, importPath: string, name: string, packages: string[]): VariableKind {
  const files = packageFiles(importPath, packages, from);
  if (!files || files.length === 0) return undefined;
  let result: VariableKind | 'absent' = 'absent';
  for (const file of files) {
    let source: string;
    try {
      source = readTextBounded(file, 'goSource');
    } catch (error) {
      if (!(error instanceof FileAccessError)) throw error;
      return undefined;
    }
    const kind = declaredKind(source, name);
    if (kind !== 'absent') result = kind;
  }
  return result === 'absent' ? 'missing' : result;
}
