/**
 * Hostile workspaces through the language server, as an editor drives it: dist/server.js over stdio, under a heap
 * ceiling, every wait bounded and the process killed when a bound runs out. The same cases as the CLI suite
 * (test/engine/hostileFiles.test.ts): each ends, with our one-line message, and the server keeps serving and exits
 * when told. Before reads were bounded, a Makefile naming an entitlements link to /dev/zero or a -X lookup through a Go
 * file linked to /dev/zero aborted the server, and an inspect of a FIFO never returned, took a thread of the pool for
 * ever and kept the server from exiting.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { InspectRequest } from '../../server/src/protocol';
import { LIMITS } from '../../server/src/fileAccess';
import { HEAP_MB, HostileWorkspace, KILL_AFTER_MS, limitText, makeHostileWorkspace } from '../support/hostileWorkspace';
import { within as withinMs } from '../support/bounds';
import { LspServer, PublishedDiagnostics, startServer } from '../support/lspServer';
import { buildGo, goTool, tempDir } from '../support/tools';

const within = <T>(promise: Promise<T>, what: string) => withinMs(promise, KILL_AFTER_MS, what);

/** A server under the heap ceiling, with Go on its PATH (for go list in a trusted workspace). */
function start(root: string, trusted = false): Promise<LspServer> {
  const uri = pathToFileURL(root).href;
  return within(
    startServer({
      rootUri: uri,
      workspaceFolders: [{ uri, name: 'hostile' }],
      initializationOptions: { trusted },
      maxOldSpaceMb: HEAP_MB,
      env: { ...process.env, PATH: `${path.dirname(goTool())}${path.delimiter}${process.env.PATH ?? ''}` },
    }),
    'initialize',
  );
}

/** shutdown + exit must end the process with 0; killed (and failed) when it does not end within the bound. */
async function stopWithin(server: LspServer): Promise<void> {
  try {
    assert.equal(await within(server.stop(), 'shutdown and exit'), 0);
  } finally {
    if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
  }
}

const inspect = (server: LspServer, target: string) =>
  within(
    server.connection.sendRequest<InspectRequest.Result>('goMacosSign/inspect', { path: target }),
    `inspect ${target}`,
  );

/** The one error an inspect of `target` answers. */
async function inspectError(server: LspServer, target: string): Promise<string> {
  const result = await inspect(server, target);
  assert.equal(result.reports.length, 0);
  assert.equal(result.errors.length, 1);
  return result.errors[0].message;
}

let ws: HostileWorkspace;

before(() => {
  ws = makeHostileWorkspace(tempDir('gms-hostile-lsp-'));
});

describe('diagnostics for a hostile workspace', () => {
  let server: LspServer;

  before(async () => {
    server = await start(ws.root, true);
  });

  after(() => stopWithin(server));

  /** Opens a file of the workspace as an editor would, and resolves with the diagnostics published for it. */
  function open(file: string, languageId: string): Promise<PublishedDiagnostics['diagnostics']> {
    const uri = pathToFileURL(file).href;
    void server.connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId, version: 1, text: fs.readFileSync(file, 'utf8') },
    });
    return server.diagnostics(uri, () => true, KILL_AFTER_MS).then((p) => p.diagnostics);
  }

  const messages = (diagnostics: PublishedDiagnostics['diagnostics'], code: string) =>
    diagnostics.filter((d) => d.code === code).map((d) => d.message);

  it('reports an --entitlements file that links to /dev/zero instead of reading it', async () => {
    assert.deepEqual(messages(await open(ws.sign.makefile, 'makefile'), 'codesign/entitlements-file'), [
      'app.entitlements: not a regular file (a character device); codesign will fail.',
    ]);
  });

  it('says nothing about -X when a Go file of the package links to /dev/zero, rather than guess', async () => {
    assert.equal(messages(await open(ws.xvarControl.makefile, 'makefile'), 'ldflags/x-not-a-switch').length, 1);
    assert.deepEqual(messages(await open(ws.xvar.makefile, 'makefile'), 'ldflags/x-not-a-switch'), []);
  });

  it('reports an entitlements file over the size limit without reading it', async () => {
    assert.deepEqual(messages(await open(ws.huge.makefile, 'makefile'), 'codesign/entitlements-file'), [
      `big.entitlements: larger than the ${limitText('text')} limit (${LIMITS.text + 1} bytes); codesign will fail.`,
    ]);
  });

  it('names a symbolic link loop', async () => {
    assert.deepEqual(messages(await open(ws.loop.makefile, 'makefile'), 'codesign/entitlements-file'), [
      'loop.entitlements: a symbolic link loop; codesign will fail.',
    ]);
  });

  it('lints a go.mod beside a go.sum that is a FIFO, and does not run go list on it', async () => {
    const diagnostics = await open(ws.gosum.gomod, 'go.mod');
    assert.equal(messages(diagnostics, 'gomod/cgo-dependency').length, 1);
    // The trusted workspace asks for go list in the background; it declines with our reason.
    const expected = `go list could not answer for ${ws.gosum.gomod}: go.sum: not a regular file (a FIFO)`;
    await server.logLine(new RegExp(`^${expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`), KILL_AFTER_MS);
  });
});

describe('goMacosSign/inspect of a hostile workspace', () => {
  it('answers a FIFO at once, however many times, keeps serving, and exits when told', async () => {
    const binary = buildGo('arm64', tempDir());
    const server = await start(ws.root);
    try {
      // More requests than libuv has threads: none may take a thread for ever.
      const answers = await Promise.all(Array.from({ length: 8 }, () => inspectError(server, ws.fifo.pipe)));
      assert.deepEqual(new Set(answers), new Set([`${ws.fifo.pipe}: not a regular file (a FIFO)`]));
      assert.equal(
        await inspectError(server, ws.fifo.dir),
        `${ws.fifo.dir}: no Mach-O files, .app bundles, disk images or installer packages found`,
      );
      assert.equal((await inspect(server, binary)).reports.length, 1);
    } finally {
      await stopWithin(server);
    }
  });

  it('refuses a link to /dev/zero, a file over the binary limit and symbolic link loops', async () => {
    const server = await start(ws.root);
    try {
      assert.equal(
        await inspectError(server, ws.sign.entitlements),
        `${ws.sign.entitlements}: not a regular file (a character device)`,
      );
      assert.equal(
        await inspectError(server, ws.huge.binary),
        `${ws.huge.binary}: larger than the ${limitText('binary')} limit (${LIMITS.binary + 1} bytes)`,
      );
      assert.equal(await inspectError(server, ws.loop.pair), `${ws.loop.pair}: a symbolic link loop`);
      assert.equal(
        await inspectError(server, ws.loop.dir),
        `${ws.loop.dir}: no Mach-O files, .app bundles, disk images or installer packages found`,
      );
    } finally {
      await stopWithin(server);
    }
  });
});
