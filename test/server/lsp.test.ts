/**
 * The language server as VS Code talks to it: the bundled dist/server.js in a child process, real JSON-RPC over
 * stdio (vscode-jsonrpc's framing), the custom inspect request on a Go binary built for the test.
 */
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, MessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import type { InspectRequest } from '../../server/src/protocol';
import { buildGo, REPO, tempDir } from '../support/tools';

const dir = tempDir();
let server: ChildProcess;
let connection: MessageConnection;
let binary: string;

const inspect = (params: unknown) => connection.sendRequest<InspectRequest.Result>('goMacosSign/inspect', params);

before(async () => {
  binary = buildGo('arm64', dir);
  server = spawn(process.execPath, [path.join(REPO, 'dist', 'server.js'), '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
  connection = createMessageConnection(new StreamMessageReader(server.stdout!), new StreamMessageWriter(server.stdin!));
  connection.listen();
  const init = await connection.sendRequest<{ serverInfo?: { name: string } }>('initialize', {
    processId: process.pid,
    rootUri: pathToFileURL(dir).href,
    workspaceFolders: [{ uri: pathToFileURL(dir).href, name: 'test' }],
    capabilities: {},
  });
  assert.equal(init.serverInfo?.name, 'go-macos-sign');
  await connection.sendNotification('initialized', {});
});

after(async () => {
  await connection.sendRequest('shutdown');
  const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));
  await connection.sendNotification('exit');
  assert.equal(await exited, 0);
  connection.dispose();
});

describe('entitlements diagnostics over JSON-RPC', () => {
  it('publishes diagnostics with exact ranges, rule codes and doc links as the document changes', async () => {
    const uri = pathToFileURL(path.join(dir, 'tool.entitlements')).href;
    const text = '<plist>\n<dict>\n\t<key>com.apple.security.get-task-allow</key>\n\t<true/>\n</dict>\n</plist>\n';
    const published = (version: number) =>
      new Promise<{ version?: number; diagnostics: { range: unknown; code: string; severity: number; codeDescription?: { href: string }; source: string }[] }>((resolve) => {
        const listener = connection.onNotification('textDocument/publishDiagnostics', (params) => {
          if (params.uri === uri && params.version === version) {
            listener.dispose();
            resolve(params);
          }
        });
      });
    const first = published(1);
    await connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'entitlements', version: 1, text } });
    const { diagnostics } = await first;
    assert.equal(diagnostics.length, 1);
    assert.equal(diagnostics[0].code, 'entitlements/get-task-allow');
    assert.equal(diagnostics[0].severity, 1);
    assert.equal(diagnostics[0].source, 'go-macos-sign');
    assert.deepEqual(diagnostics[0].range, { start: { line: 2, character: 6 }, end: { line: 2, character: 39 } });
    assert.match(diagnostics[0].codeDescription!.href, /docs\/rules\/entitlements\/get-task-allow\.md$/);

    const second = published(2);
    const fixed = text.replace('<true/>', '<false/>');
    await connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ text: fixed }] });
    const falseValue = (await second).diagnostics;
    assert.deepEqual(falseValue.map((d) => d.code), ['entitlements/false-value']);

    // The quick fix, applied as VS Code would, leaves a file with no diagnostics.
    const actions = await connection.sendRequest<{ title: string; kind: string; isPreferred: boolean; edit: { changes: Record<string, { range: { start: { line: number; character: number }; end: { line: number; character: number } }; newText: string }[]> } }[]>(
      'textDocument/codeAction',
      { textDocument: { uri }, range: falseValue[0].range, context: { diagnostics: falseValue } },
    );
    assert.deepEqual(actions.map((a) => [a.title, a.kind, a.isPreferred]), [['Remove com.apple.security.get-task-allow', 'quickfix', true]]);
    const lines = fixed.split('\n');
    const offset = (p: { line: number; character: number }) => lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
    let result = fixed;
    for (const edit of actions[0].edit.changes[uri].reverse()) result = result.slice(0, offset(edit.range.start)) + edit.newText + result.slice(offset(edit.range.end));
    const third = published(3);
    await connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 3 }, contentChanges: [{ text: result }] });
    assert.deepEqual((await third).diagnostics, []);
    assert.equal(result, '<plist>\n<dict>\n</dict>\n</plist>\n');
  });
});

describe('hover and completion over JSON-RPC', () => {
  it('hovers a key with its catalog entry, and completes keys not yet present', async () => {
    const uri = pathToFileURL(path.join(dir, 'app.entitlements')).href;
    const text = '<plist>\n<dict>\n\t<key>com.apple.security.cs.allow-jit</key>\n\t<true/>\n\t<key>com.apple.security.cs.</key>\n</dict>\n</plist>\n';
    await connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'entitlements', version: 1, text } });
    const hover = await connection.sendRequest<{ contents: { kind: string; value: string }; range: unknown }>('textDocument/hover', { textDocument: { uri }, position: { line: 2, character: 12 } });
    assert.equal(hover.contents.kind, 'markdown');
    assert.match(hover.contents.value, /Allow execution of JIT-compiled code/);
    assert.deepEqual(hover.range, { start: { line: 2, character: 6 }, end: { line: 2, character: 37 } });
    const items = await connection.sendRequest<{ label: string; textEdit: { range: unknown; newText: string } }[]>('textDocument/completion', { textDocument: { uri }, position: { line: 4, character: 28 } });
    const labels = items.map((i) => i.label);
    assert.ok(labels.includes('com.apple.security.cs.allow-dyld-environment-variables'));
    assert.ok(!labels.includes('com.apple.security.cs.allow-jit'));
    assert.deepEqual(items[0].textEdit.range, { start: { line: 4, character: 6 }, end: { line: 4, character: 28 } });
  });
});

describe('goMacosSign/inspect over JSON-RPC', () => {
  it('returns the model of a Go darwin/arm64 binary, computed in the server', async () => {
    const result = await inspect({ path: binary });
    assert.deepEqual(result.errors, []);
    const [report] = result.reports;
    assert.equal(report.kind, 'macho');
    assert.deepEqual(report.architectures.map((s) => s.arch), ['arm64']);
    assert.equal(report.architectures[0].signature?.kind, 'linker-signed');
    assert.equal(report.architectures[0].signature?.identifier, 'a.out');
    assert.equal(report.architectures[0].verification.valid, true);
    assert.equal(report.checks.find((c) => c.id === 'signature/developer-id')?.status, 'fail');
  });

  it('resolves a path relative to the workspace folder, and accepts file URIs', async () => {
    assert.equal((await inspect({ path: path.basename(binary) })).reports.length, 1);
    assert.equal((await inspect({ path: pathToFileURL(binary).href })).reports.length, 1);
  });

  it('passes the architecture setting to the checks', async () => {
    const result = await inspect({ path: binary, options: { architectures: ['arm64', 'x86_64'] } });
    assert.equal(result.reports[0].checks.find((c) => c.id === 'macho/architectures')?.status, 'fail');
  });

  it('answers bad input with errors, and keeps serving', async () => {
    const text = path.join(dir, 'notes.txt');
    fs.writeFileSync(text, 'not a binary');
    const missing = await inspect({ path: path.join(dir, 'missing') });
    assert.equal(missing.reports.length, 0);
    assert.equal(missing.errors.length, 1);
    assert.match((await inspect({ path: text })).errors[0].message, /not a Mach-O/);
    assert.match((await inspect({ path: 'https://example.com/tool' })).errors[0].message, /only local files/);
    assert.match((await inspect({})).errors[0].message, /needs a path/);
    assert.equal((await inspect({ path: binary })).reports.length, 1);
  });
});
