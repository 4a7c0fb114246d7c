/**
 * The language server against what a document or a request can contain: handlers that fail, URIs that name no local
 * file, documents over the size cap, bursts of large edits, random bytes, and `exit` or the end of stdin while a
 * file read never returns. The bundled server runs in a child process under a memory ceiling, over real JSON-RPC on
 * stdio; every wait is bounded (a hang guard, never a timing assertion).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { InspectRequest } from '../../server/src/protocol';
import { MAX_PROBLEMS } from '../../server/src/plist/xml';
import { LspServer, startServer } from '../support/lspServer';
import { CHILD_LIMIT, within } from '../support/bounds';
import { tempDir } from '../support/tools';

const dir = tempDir();
const uriOf = (file: string) => pathToFileURL(path.join(dir, file)).href;
const GET_TASK_ALLOW =
  '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">\n<dict>\n\t<key>com.apple.security.get-task-allow</key>\n\t<true/>\n</dict>\n</plist>\n';

/** An entitlements file of about `bytes` bytes: get-task-allow, then filler keys. */
function bigEntitlements(bytes: number): string {
  const entry = (i: number) => `\t<key>com.example.filler.${i}</key>\n\t<string>${'v'.repeat(40)}</string>\n`;
  const entries: string[] = [];
  for (let i = 0, size = 0; size < bytes; i++) {
    entries.push(entry(i));
    size += entries[i].length;
  }
  return GET_TASK_ALLOW.replace('</dict>', `${entries.join('')}</dict>`);
}

let server: LspServer;
let version = 0;
const open = (uri: string, text: string, languageId = 'plaintext') =>
  server.connection.sendNotification('textDocument/didOpen', {
    textDocument: { uri, languageId, version: ++version, text },
  });

before(async () => {
  // A client that says nothing of itself: settings are not asked for, so a lint follows an edit at once.
  server = await startServer({
    rootUri: pathToFileURL(dir).href,
    workspaceFolders: [{ uri: pathToFileURL(dir).href, name: 'hostile' }],
    capabilities: {},
  });
});

after(async () => {
  assert.equal(await server.stop(), 0);
});

/** The server still lints, hovers and inspects after whatever came before. */
async function stillServes(name: string): Promise<void> {
  const uri = uriOf(`${name}.entitlements`);
  const published = server.diagnostics(uri);
  await open(uri, GET_TASK_ALLOW, 'entitlements');
  assert.deepEqual(
    (await published).diagnostics.map((d) => d.code),
    ['entitlements/get-task-allow'],
  );
  const hover = await within(
    server.connection.sendRequest<{ contents: { value: string } } | null>('textDocument/hover', {
      textDocument: { uri },
      position: { line: 3, character: 12 },
    }),
    60_000,
    'a hover',
  );
  assert.match(hover!.contents.value, /get-task-allow/i);
}

describe('a failing handler is logged, and the server keeps serving', () => {
  it('a 10,000-deep .vscode/tasks.json is linted without overflowing the stack', async () => {
    fs.mkdirSync(path.join(dir, '.vscode'), { recursive: true });
    const uri = uriOf('.vscode/tasks.json');
    const deep = `{"version": "2.0.0", "tasks": ${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
    const published = server.diagnostics(uri);
    await open(uri, deep, 'jsonc');
    assert.deepEqual((await published).diagnostics, []);
    const everything = { start: { line: 0, character: 0 }, end: { line: 0, character: deep.length } };
    const actions = await within(
      server.connection.sendRequest('textDocument/codeAction', {
        textDocument: { uri },
        range: everything,
        context: { diagnostics: [] },
      }),
      60_000,
      'code actions',
    );
    assert.deepEqual(actions, []);
    await within(
      server.connection.sendRequest('textDocument/hover', {
        textDocument: { uri },
        position: { line: 0, character: 5000 },
      }),
      60_000,
      'a hover',
    );
    await stillServes('after-deep-json');
  });

  it('a request the server cannot make sense of fails in the log, not in the process', async () => {
    const uri = uriOf('malformed.entitlements');
    const published = server.diagnostics(uri);
    await open(uri, GET_TASK_ALLOW, 'entitlements');
    await published;
    // No context at all: the handler's TypeError is caught, logged, and the request answered with nothing.
    const actions = await within(
      server.connection.sendRequest('textDocument/codeAction', {
        textDocument: { uri },
        range: { start: { line: 0, character: 0 }, end: { line: 9, character: 0 } },
        context: null,
      }),
      60_000,
      'code actions',
    );
    assert.deepEqual(actions, []);
    assert.match(await server.logLine(/^computing quick fixes for .*malformed\.entitlements failed: /), /TypeError/);
    await stillServes('after-malformed-request');
  });
});

describe('URIs that name no local file are ignored, with a log line', () => {
  it('another host and an encoded slash: no lint, no crash, a line in the log', async () => {
    const otherHost = 'file://otherhost/share/Makefile';
    const encodedSlash = `${pathToFileURL(dir).href}/a%2Fb/release.sh`;
    await open(otherHost, 'sign:\n\tcodesign --entitlements app.entitlements -s - tool\n', 'makefile');
    await open(encodedSlash, 'codesign --entitlements app.entitlements -s - tool\n', 'shellscript');
    await open('file://otherhost/tool.entitlements', GET_TASK_ALLOW, 'entitlements');
    assert.match(await server.logLine(/^ignoring file:\/\/otherhost\/share\/Makefile/), /names the host otherhost/);
    assert.match(await server.logLine(/^ignoring .*a%2Fb/), /encoded path separator/);
    assert.match(await server.logLine(/^ignoring file:\/\/otherhost\/tool\.entitlements/), /names the host otherhost/);
    for (const uri of [otherHost, encodedSlash]) {
      const position = { line: 1, character: 3 };
      assert.equal(
        await server.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position }),
        null,
      );
      assert.deepEqual(
        await server.connection.sendRequest('textDocument/completion', { textDocument: { uri }, position }),
        [],
      );
    }
    const inspected = await server.connection.sendRequest<InspectRequest.Result>('goMacosSign/inspect', {
      path: 'file://otherhost/tool',
    });
    assert.match(inspected.errors[0].message, /names the host otherhost/);
    await stillServes('after-bad-uris');
    // Linted after them, yet nothing was published for them.
    assert.deepEqual(
      server.published.filter((p) => [otherHost, encodedSlash, 'file://otherhost/tool.entitlements'].includes(p.uri)),
      [],
    );
  });
});

describe('size and volume', () => {
  it('a document over the size cap is not linted (as the CLI refuses it), and says so in the log', async () => {
    const uri = uriOf('huge.entitlements');
    const text = bigEntitlements(17 * 1024 * 1024);
    const published = server.diagnostics(uri);
    await open(uri, text, 'entitlements');
    assert.deepEqual((await published).diagnostics, []);
    assert.match(await server.logLine(/^not linting .*huge\.entitlements/), /more than the \d+-byte limit/);
    assert.equal(
      await server.connection.sendRequest('textDocument/hover', {
        textDocument: { uri },
        position: { line: 3, character: 12 },
      }),
      null,
    );
    await server.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
  });

  it('300 full-text edits of a 1 MB entitlements file, then a hover: answered, and stale versions are not linted', async () => {
    const uri = uriOf('edited.entitlements');
    const first = ++version;
    const text = bigEntitlements(1024 * 1024);
    await server.connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'entitlements', version: first, text },
    });
    const last = first + 300;
    for (let v = first + 1; v <= last; v++) {
      // Each edit sends the whole file (as a client without incremental sync does), with a value changed.
      void server.connection.sendNotification('textDocument/didChange', {
        textDocument: { uri, version: v },
        contentChanges: [{ text: text.replace('<string>v', `<string>${v}`) }],
      });
    }
    version = last;
    const hover = await within(
      server.connection.sendRequest<{ contents: { value: string } } | null>('textDocument/hover', {
        textDocument: { uri },
        position: { line: 3, character: 12 },
      }),
      120_000,
      'the hover after 300 edits',
    );
    assert.match(hover!.contents.value, /get-task-allow/i);
    const final = await server.diagnostics(uri, (p) => p.version === last, 120_000);
    assert.deepEqual(
      final.diagnostics.map((d) => d.code),
      ['entitlements/get-task-allow'],
    );
    const versions = server.published.filter((p) => p.uri === uri).map((p) => p.version!);
    assert.deepEqual(
      versions,
      [...versions].sort((a, b) => a - b),
      'never an older version after a newer one',
    );
    assert.ok(
      versions.length < 150,
      `linted ${versions.length} of 301 versions: edits in a burst must not each be linted`,
    );
  });

  it('2 MB of random bytes as an entitlements document: a bounded number of problems', async () => {
    let seed = 7;
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed >>> 24;
    };
    const uri = uriOf('noise.entitlements');
    const published = server.diagnostics(uri);
    await open(uri, Buffer.from(Array.from({ length: 2 * 1024 * 1024 }, random)).toString('utf8'), 'entitlements');
    const syntax = (await published).diagnostics.filter((d) => d.code === 'plist/syntax');
    assert.ok(syntax.length > 0 && syntax.length <= MAX_PROBLEMS, `${syntax.length} syntax problems`);
    assert.match(syntax[syntax.length - 1].message, /stopped reading here/);
  });
});

describe('exit and the end of stdin end the server, even while a read never returns', () => {
  /** A FIFO nobody writes to: reading it blocks for ever (unless the read is non-blocking). */
  const fifo = () => {
    const file = path.join(tempDir(), 'pipe');
    execFileSync('mkfifo', [file], CHILD_LIMIT);
    return file;
  };

  it('shutdown and exit while goMacosSign/inspect reads a FIFO', async () => {
    const other = await startServer({ rootUri: pathToFileURL(dir).href });
    const target = fifo();
    void other.connection.sendRequest('goMacosSign/inspect', { path: target }).catch(() => undefined);
    // Several, so that every thread of libuv's pool may be stuck.
    for (let i = 0; i < 4; i++)
      void other.connection.sendRequest('goMacosSign/inspect', { path: target }).catch(() => undefined);
    await within(other.connection.sendRequest('shutdown'), 60_000, 'the answer to shutdown');
    await other.connection.sendNotification('exit');
    const ended = await within(other.ended, 60_000, 'the server to end after exit');
    assert.ok(ended.code === 0 || ended.signal === 'SIGKILL', JSON.stringify(ended));
    other.connection.dispose();
  });

  it('the end of stdin while goMacosSign/inspect reads a FIFO', async () => {
    const other = await startServer({ rootUri: pathToFileURL(dir).href });
    const target = fifo();
    for (let i = 0; i < 5; i++)
      void other.connection.sendRequest('goMacosSign/inspect', { path: target }).catch(() => undefined);
    // Requests are handled in order: once this one is answered, the reads above have started.
    await within(
      other.connection.sendRequest('textDocument/hover', {
        textDocument: { uri: uriOf('none.entitlements') },
        position: { line: 0, character: 0 },
      }),
      60_000,
      'a hover',
    );
    other.child.stdin!.end();
    const ended = await within(other.ended, 60_000, 'the server to end after stdin closed');
    assert.ok(ended.code !== null || ended.signal === 'SIGKILL', JSON.stringify(ended));
    other.connection.dispose();
  });
});
