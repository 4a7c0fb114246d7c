/**
 * Boundaries, read from the source: the rule catalog (rules/) is a leaf that readiness checks (checks/) and linters
 * (lint/) both import; no two folders of server/src import each other in a cycle, and no two files of those three;
 * the engine never imports vscode or the language-server library; the client reaches server code only through
 * protocol.ts.
 *
 * The import graph is read from the text of every .ts file (each relative `from '...'`, `import '...'`,
 * `import('...')` and `require('...')` specifier, type-only imports included), resolved to a file and reduced to
 * top-level folders (a file directly in server/src is a node of its own) or kept per file.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { REPO } from '../support/tools';

const SRC = path.join(REPO, 'server', 'src');

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(full);
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

const SPECIFIER = /(?:\bfrom|\bimport|\brequire)\s*\(?\s*['"](\.{1,2}\/[^'"]*|\.{1,2})['"]/g;

/** The file a relative specifier names: `x.ts`, or `x/index.ts` for a folder. */
function resolve(fromFile: string, specifier: string): string {
  const target = path.resolve(path.dirname(fromFile), specifier);
  if (fs.existsSync(`${target}.ts`)) return `${target}.ts`;
  if (fs.existsSync(path.join(target, 'index.ts'))) return path.join(target, 'index.ts');
  return target;
}

/** The top-level folder of server/src a file belongs to, or the file's own name when it sits in server/src. */
function folderOf(root: string, file: string): string {
  return path.relative(root, file).split(path.sep)[0];
}

/** Import graph of the files under root, with each file mapped to a node by `nodeOf`; imports within a node drop out. */
function importGraph(root: string, nodeOf: (file: string) => string): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of tsFiles(root)) {
    const from = nodeOf(file);
    if (!graph.has(from)) graph.set(from, new Set());
    for (const m of fs.readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
      const target = resolve(file, m[1]);
      if (path.relative(root, target).startsWith('..')) continue;
      const to = nodeOf(target);
      if (to !== from) graph.get(from)!.add(to);
    }
  }
  return graph;
}

/** A cycle in the graph restricted to the nodes `keep` accepts, as a path that returns to its start; or undefined. */
function findCycle(graph: Map<string, Set<string>>, keep: (node: string) => boolean): string[] | undefined {
  const done = new Set<string>();
  const onPath: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (onPath.includes(node)) return [...onPath.slice(onPath.indexOf(node)), node];
    if (done.has(node)) return undefined;
    onPath.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = keep(next) ? visit(next) : undefined;
      if (cycle) return cycle;
    }
    onPath.pop();
    done.add(node);
    return undefined;
  };
  for (const node of [...graph.keys()].filter(keep).sort()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

const CATALOG_AND_USERS = ['checks', 'lint', 'rules'];
/** The engine: everything but the adapters (server.ts with lsp/, cli/) and the goListCache the server keeps. */
const ENGINE = [
  'macho',
  'sign',
  'bundle',
  'plist',
  'rules',
  'checks',
  'lint',
  'apple',
  'notary',
  'pipeline',
  'preflight',
  'ci',
  'fileAccess.ts',
  'errors.ts',
  'inspect.ts',
  'protocol.ts',
];
/** Package specifiers (not relative paths) a file imports. */
const PACKAGE = /(?:\bfrom|\bimport|\brequire)\s*\(?\s*['"]([^.'"][^'"]*)['"]/g;

describe('folder boundaries of server/src', () => {
  const folders = importGraph(SRC, (file) => folderOf(SRC, file));

  it('the import graph is read: checks/ and lint/ both import the rule catalog', () => {
    assert.ok(folders.get('checks')?.has('rules'), 'checks -> rules');
    assert.ok(folders.get('lint')?.has('rules'), 'lint -> rules');
  });

  it('the cycle finder finds a cycle, and none once a node of it is left out', () => {
    const g = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
      ['d', new Set(['a'])],
    ]);
    assert.deepEqual(
      findCycle(g, () => true),
      ['a', 'b', 'c', 'a'],
    );
    assert.equal(
      findCycle(g, (n) => n !== 'c'),
      undefined,
    );
  });

  it('rules/ imports neither checks/ nor lint/', () => {
    assert.deepEqual(
      [...(folders.get('rules') ?? [])].filter((n) => n === 'checks' || n === 'lint'),
      [],
    );
  });

  it('no import cycle between checks/, lint/ and rules/', () => {
    assert.equal(
      findCycle(folders, (n) => CATALOG_AND_USERS.includes(n)),
      undefined,
    );
  });

  it('no import cycle between files inside checks/, lint/ and rules/', () => {
    const files = importGraph(SRC, (file) => path.relative(SRC, file));
    assert.equal(
      findCycle(files, (f) => CATALOG_AND_USERS.includes(f.split(path.sep)[0])),
      undefined,
    );
  });

  it('no import cycle between any two folders of server/src', () => {
    assert.equal(
      findCycle(folders, () => true),
      undefined,
    );
  });

  it('the engine imports neither vscode nor the language-server library', () => {
    const offenders = tsFiles(SRC)
      .filter((file) => ENGINE.includes(folderOf(SRC, file)))
      .flatMap((file) =>
        [...fs.readFileSync(file, 'utf8').matchAll(PACKAGE)]
          .map((m) => m[1])
          .filter((p) => p === 'vscode' || p.startsWith('vscode-language'))
          .map((p) => `${path.relative(SRC, file)}: ${p}`),
      );
    assert.deepEqual(offenders, []);
  });
});

describe('the client and the server', () => {
  it('the client imports server code only from protocol.ts, the one contract', () => {
    const client = path.join(REPO, 'client', 'src');
    const reached = tsFiles(client).flatMap((file) =>
      [...fs.readFileSync(file, 'utf8').matchAll(SPECIFIER)]
        .map((m) => resolve(file, m[1]))
        .filter((target) => !path.relative(SRC, target).startsWith('..'))
        .map((target) => path.relative(SRC, target)),
    );
    assert.ok(reached.length > 0, 'the client reads protocol.ts');
    assert.deepEqual([...new Set(reached)], ['protocol.ts']);
  });
});
