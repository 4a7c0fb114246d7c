/**
 * The language server driven by a client with none of VS Code's capabilities (as Neovim's, Helix's or a script's
 * may be): no snippets, no Markdown, no workspace/configuration, no code action literals, no workspace/applyEdit.
 * The bundled server in a child process, real JSON-RPC over stdio; every answer must be one such a client can use.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { LspServer, Position, startServer } from '../support/lspServer';
import { within } from '../support/bounds';
import { tempDir } from '../support/tools';

const dir = tempDir();
const plist = (body: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">\n<dict>\n${body}</dict>\n</plist>\n`;
const GET_TASK_ALLOW = plist('\t<key>com.apple.security.get-task-allow</key>\n\t<true/>\n');

interface TextEdit {
  range: { start: Position; end: Position };
  newText: string;
}

/** Applies LSP text edits to a text (last first, so earlier positions stay valid). */
function applyEdits(text: string, edits: TextEdit[]): string {
  const lines = text.split('\n');
  const offset = (p: Position) => lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
  const sorted = [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start));
  return sorted.reduce(
    (out, e) => out.slice(0, offset(e.range.start)) + e.newText + out.slice(offset(e.range.end)),
    text,
  );
}

let server: LspServer;
const request = <T>(method: string, params: unknown) =>
  within(server.connection.sendRequest<T>(method, params), 60_000, method);

/** Opens a document (or replaces its text, as version `version`) and resolves with that version's diagnostics. */
async function show(uri: string, text: string, version: number, languageId = 'entitlements') {
  const published = server.diagnostics(uri, (p) => p.version === version);
  if (version === 1)
    await server.connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId, version, text },
    });
  else
    await server.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version },
      contentChanges: [{ text }],
    });
  return (await published).diagnostics;
}

before(async () => {
  server = await startServer({ rootUri: pathToFileURL(dir).href, capabilities: {} });
});

after(async () => {
  assert.equal(await server.stop(), 0);
});

describe('a client with no capabilities', () => {
  it('is told what the server offers, quick fixes included as a command', () => {
    const offered = server.initialized.capabilities as {
      executeCommandProvider?: { commands: string[] };
      completionProvider?: unknown;
      hoverProvider?: boolean;
    };
    assert.deepEqual(offered.executeCommandProvider?.commands, ['goMacosSign.applyFix']);
    assert.ok(offered.completionProvider && offered.hoverProvider);
  });

  it('gets its settings read from workspace/didChangeConfiguration', async () => {
    const uri = pathToFileURL(path.join(dir, 'settings.entitlements')).href;
    await server.connection.sendNotification('workspace/didChangeConfiguration', {
      settings: { goMacosSign: { rules: { 'entitlements/get-task-allow': 'warning' } } },
    });
    const diagnostics = await show(uri, GET_TASK_ALLOW, 1);
    assert.deepEqual(
      diagnostics.map((d) => [d.code, d.severity]),
      [['entitlements/get-task-allow', 2]],
    );
    // A later change applies to open documents, and the key may be spelled out.
    const off = server.diagnostics(uri, (p) => p.diagnostics.length === 0);
    await server.connection.sendNotification('workspace/didChangeConfiguration', {
      settings: { 'goMacosSign.rules': { 'entitlements/get-task-allow': 'off' } },
    });
    await off;
    await server.connection.sendNotification('workspace/didChangeConfiguration', { settings: {} });
  });

  it('completes with plain text on one line, never a snippet, and the result is a well-formed plist', async () => {
    const uri = pathToFileURL(path.join(dir, 'complete.entitlements')).href;
    const text = plist('\t<\n');
    await show(uri, text, 1);
    const position = { line: 3, character: 2 };
    const items = await request<
      { label: string; insertTextFormat?: number; documentation?: unknown; textEdit: TextEdit }[]
    >('textDocument/completion', { textDocument: { uri }, position });
    assert.ok(items.length > 10);
    for (const item of items) {
      assert.notEqual(item.insertTextFormat, 2, `${item.label}: a snippet`);
      assert.doesNotMatch(
        item.textEdit.newText,
        /[\n\r\0]|\$\d/,
        `${item.label}: ${JSON.stringify(item.textEdit.newText)}`,
      );
      assert.equal(typeof item.documentation, 'string', `${item.label}: Markdown to a client without it`);
    }
    const array = items.find((i) => i.label === 'keychain-access-groups')!;
    const completed = applyEdits(text, [array.textEdit]);
    assert.equal(completed.split('\n')[3], '\t<key>keychain-access-groups</key><array><string></string></array>');
    const diagnostics = await show(uri, completed, 2);
    assert.deepEqual(
      diagnostics.filter((d) => d.code === 'plist/syntax'),
      [],
    );
  });

  it('offers nothing inside `</`, which completion must not replace', async () => {
    const uri = pathToFileURL(path.join(dir, 'closing.entitlements')).href;
    const text =
      '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">\n<dict>\n\t<key>com.apple.security.cs.allow-jit</key>\n\t<true/>\n</';
    await show(uri, text, 1);
    assert.deepEqual(
      await request('textDocument/completion', { textDocument: { uri }, position: { line: 5, character: 2 } }),
      [],
    );
  });

  it('hovers in plain text', async () => {
    const uri = pathToFileURL(path.join(dir, 'hover.entitlements')).href;
    await show(uri, GET_TASK_ALLOW, 1);
    const hover = await request<{ contents: { kind: string; value: string } }>('textDocument/hover', {
      textDocument: { uri },
      position: { line: 3, character: 12 },
    });
    assert.equal(hover.contents.kind, 'plaintext');
    assert.match(hover.contents.value, /get-task-allow/);
  });

  it("recognises Vim's filetypes: a script without extension as sh, a makefile by another name as make", async () => {
    const script = await show(pathToFileURL(path.join(dir, 'publish')).href, 'xcrun stapler staple tool\n', 1, 'sh');
    assert.deepEqual(
      script.map((d) => d.code),
      ['stapler/unsupported-target'],
    );
    const rules = await show(
      pathToFileURL(path.join(dir, 'release.rules')).href,
      'staple:\n\txcrun stapler staple tool\n',
      1,
      'make',
    );
    assert.deepEqual(
      rules.map((d) => d.code),
      ['stapler/unsupported-target'],
    );
  });

  it('gets quick fixes as commands, each offered once; without workspace/applyEdit the server says it cannot apply them', async () => {
    const uri = pathToFileURL(path.join(dir, 'sign.sh')).href;
    const text = 'codesign --force --sign "Developer ID Application: X (T)" tool\n';
    const diagnostics = await show(uri, text, 1, 'shellscript');
    assert.deepEqual(diagnostics.map((d) => d.code).sort(), ['codesign/missing-runtime', 'codesign/missing-timestamp']);
    const whole = { start: { line: 0, character: 0 }, end: { line: 1, character: 0 } };
    const commands = await request<{ title: string; command: string; arguments: unknown[]; edit?: unknown }[]>(
      'textDocument/codeAction',
      { textDocument: { uri }, range: whole, context: { diagnostics } },
    );
    assert.deepEqual(
      commands.map((c) => c.title),
      ['Add --options runtime', 'Add --options runtime --timestamp', 'Add --timestamp'],
    );
    assert.ok(commands.every((c) => c.command === 'goMacosSign.applyFix' && c.edit === undefined));
    await request('workspace/executeCommand', { command: commands[1].command, arguments: commands[1].arguments });
    assert.match(await server.logLine(/goMacosSign\.applyFix/), /does not support workspace\/applyEdit/);
  });
});

describe('a client with workspace/applyEdit only', () => {
  let withApply: LspServer;
  const edits: { edit: { changes: Record<string, TextEdit[]> } }[] = [];

  before(async () => {
    withApply = await startServer({
      rootUri: pathToFileURL(dir).href,
      capabilities: { workspace: { applyEdit: true } },
    });
    withApply.connection.onRequest(
      'workspace/applyEdit',
      (params: { edit: { changes: Record<string, TextEdit[]> } }) => {
        edits.push(params);
        return { applied: true };
      },
    );
  });

  after(async () => {
    assert.equal(await withApply.stop(), 0);
  });

  it('applies a quick fix through the command, and the fixed file is clean', async () => {
    const uri = pathToFileURL(path.join(dir, 'fix.sh')).href;
    const text = 'codesign --force --sign "Developer ID Application: X (T)" tool\n';
    const first = withApply.diagnostics(uri, (p) => p.version === 1);
    await withApply.connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'shellscript', version: 1, text },
    });
    const { diagnostics } = await first;
    const commands = await within(
      withApply.connection.sendRequest<{ title: string; command: string; arguments: unknown[] }[]>(
        'textDocument/codeAction',
        { textDocument: { uri }, range: diagnostics[0].range, context: { diagnostics } },
      ),
      60_000,
      'code actions',
    );
    const both = commands.find((c) => c.title === 'Add --options runtime --timestamp')!;
    await within(
      withApply.connection.sendRequest('workspace/executeCommand', {
        command: both.command,
        arguments: both.arguments,
      }),
      60_000,
      'the command',
    );
    assert.equal(edits.length, 1);
    const fixed = applyEdits(text, edits[0].edit.changes[uri]);
    assert.equal(
      fixed,
      'codesign --options runtime --timestamp --force --sign "Developer ID Application: X (T)" tool\n',
    );
    const second = withApply.diagnostics(uri, (p) => p.version === 2);
    await withApply.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: 2 },
      contentChanges: [{ text: fixed }],
    });
    assert.deepEqual((await second).diagnostics, []);
    // A fix computed for version 1 is not applied to version 2.
    await within(
      withApply.connection.sendRequest('workspace/executeCommand', {
        command: both.command,
        arguments: both.arguments,
      }),
      60_000,
      'the stale command',
    );
    assert.equal(edits.length, 1);
  });
});
