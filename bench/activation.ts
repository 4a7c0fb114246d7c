/**
 * Benchmark: the extension's bundle sizes (production build, as packaged) and its activation time, from `activate()`
 * entry to its return, in plain Node. VS Code's API is replaced by a stand-in where every call does nothing and
 * returns another stand-in, so what is timed is our own work; loading the client bundle is measured apart. activate()
 * starts the language server (dist/server.js over IPC) without waiting for it; how long the server takes to answer
 * `initialize` is measured apart too, over stdio. Targets: activation 50 ms or less, client bundle 400 KB or less.
 * Not a test.
 *
 *   npm run bench
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Module from 'node:module';
import { spawn } from 'node:child_process';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';

const ROOT = path.resolve(__dirname, '..');

/** A value that accepts any property access or call and yields another such value; never a thenable. */
function standIn(name = 'vscode'): unknown {
  const fn = function () {} as unknown as Record<string | symbol, unknown>;
  return new Proxy(fn, {
    get(_t, key) {
      if (key === 'then') return undefined;
      if (key === Symbol.toPrimitive) return () => name;
      if (key === 'isTrusted') return true;
      if (key === 'workspaceFolders') return [];
      if (key === 'platform') return process.platform;
      if (key === 'version') return '1.95.0';
      return standIn(`${name}.${String(key)}`);
    },
    apply: () => standIn(`${name}()`),
    construct: () => standIn(`new ${name}`) as object,
  });
}

/**
 * The `vscode` module stand-in: every name the real module exports (read from @types/vscode), so bundlers' ES-module
 * interop, which copies a module's own property names, sees them all.
 */
function vscodeModule(): unknown {
  const types = fs.readFileSync(path.join(ROOT, 'node_modules', '@types', 'vscode', 'index.d.ts'), 'utf8');
  const names = [
    ...new Set(
      [...types.matchAll(/^\s{1,4}export (?:declare )?(?:class|enum|namespace|const|function|let) (\w+)/gm)].map(
        (m) => m[1],
      ),
    ),
  ];
  const root = standIn() as object;
  return new Proxy(root, {
    ownKeys: () => [...names, 'prototype'],
    getOwnPropertyDescriptor: (_t, key) =>
      key === 'prototype'
        ? Object.getOwnPropertyDescriptor(root, 'prototype')
        : names.includes(String(key))
          ? {
              configurable: true,
              enumerable: true,
              writable: true,
              value: (root as Record<string, unknown>)[String(key)],
            }
          : undefined,
  });
}

function sizes(): void {
  for (const file of ['client.js', 'server.js', 'cli.js', 'pageWorker.js']) {
    const size = fs.statSync(path.join(ROOT, 'dist', file)).size;
    console.log(
      `dist/${file}: ${(size / 1024).toFixed(0)} KB${file === 'client.js' ? ` (target 400 KB or less)` : ''}`,
    );
  }
}

/** Time from spawning dist/server.js to its answer to `initialize`, over stdio. */
async function serverStart(): Promise<number> {
  const started = process.hrtime.bigint();
  const server = spawn(process.execPath, [path.join(ROOT, 'dist', 'server.js'), '--stdio'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const connection = createMessageConnection(
    new StreamMessageReader(server.stdout!),
    new StreamMessageWriter(server.stdin!),
  );
  connection.listen();
  await connection.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  server.kill();
  connection.dispose();
  return ms;
}

async function main(): Promise<void> {
  sizes();
  const vscode = vscodeModule();
  const load = Module.prototype.require;
  Module.prototype.require = function (this: NodeModule, id: string) {
    return id === 'vscode' ? vscode : load.call(this, id);
  } as typeof Module.prototype.require;
  const context = {
    subscriptions: [] as { dispose(): unknown }[],
    asAbsolutePath: (p: string) => path.join(ROOT, p),
    workspaceState: standIn('workspaceState'),
    secrets: standIn('secrets'),
  };
  let started = process.hrtime.bigint();
  const extension = require(path.join(ROOT, 'dist', 'client.js')) as {
    activate(c: unknown): Promise<void>;
    deactivate(): Promise<void>;
  };
  const loadMs = Number(process.hrtime.bigint() - started) / 1e6;
  started = process.hrtime.bigint();
  await extension.activate(context);
  const activateMs = Number(process.hrtime.bigint() - started) / 1e6;
  console.log(`client bundle load: ${loadMs.toFixed(1)} ms`);
  console.log(`activate(), entry to return: ${activateMs.toFixed(1)} ms (target 50 ms or less)`);
  await Promise.race([extension.deactivate(), new Promise((r) => setTimeout(r, 2000))]);
  console.log(
    `language server, spawn to initialize answer (in the background of activation): ${(await serverStart()).toFixed(1)} ms`,
  );
  process.exit(0);
}

void main();
