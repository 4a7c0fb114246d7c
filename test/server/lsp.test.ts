/**
 * The language server as VS Code talks to it: the bundled dist/server.js in a child process, real JSON-RPC over
 * stdio (vscode-jsonrpc's framing), the custom inspect request on a Go binary built for the test.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { MessageConnection } from 'vscode-jsonrpc/node';
import type { InspectRequest, NewEntitlementsRequest } from '../../server/src/protocol';
import { CHILD_LIMIT, within } from '../support/bounds';
import { startServer } from '../support/lspServer';
import { buildGo, REPO, tempDir } from '../support/tools';

const dir = tempDir();
let connection: MessageConnection;
let stop: () => Promise<number | null>;
let binary: string;

const inspect = (params: unknown) => connection.sendRequest<InspectRequest.Result>('goMacosSign/inspect', params);

before(async () => {
  binary = buildGo('arm64', dir);
  const started = await startServer({
    rootUri: pathToFileURL(dir).href,
    workspaceFolders: [{ uri: pathToFileURL(dir).href, name: 'test' }],
  });
  ({ connection, stop } = started);
  assert.equal(started.initialized.serverInfo?.name, 'go-macos-sign');
});

after(async () => {
  assert.equal(await stop(), 0);
});

describe('entitlements diagnostics over JSON-RPC', () => {
  it('publishes diagnostics with exact ranges, rule codes and doc links as the document changes', async () => {
    const uri = pathToFileURL(path.join(dir, 'tool.entitlements')).href;
    const text = '<plist>\n<dict>\n\t<key>com.apple.security.get-task-allow</key>\n\t<true/>\n</dict>\n</plist>\n';
    const published = (version: number) =>
      within(
        new Promise<{
          version?: number;
          diagnostics: {
            range: unknown;
            code: string;
            severity: number;
            codeDescription?: { href: string };
            source: string;
          }[];
        }>((resolve) => {
          const listener = connection.onNotification('textDocument/publishDiagnostics', (params) => {
            if (params.uri === uri && params.version === version) {
              listener.dispose();
              resolve(params);
            }
          });
        }),
        60_000,
        `diagnostics for version ${version}`,
      );
    const first = published(1);
    await connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'entitlements', version: 1, text },
    });
    const { diagnostics } = await first;
    assert.equal(diagnostics.length, 1);
    assert.equal(diagnostics[0].code, 'entitlements/get-task-allow');
    assert.equal(diagnostics[0].severity, 1);
    assert.equal(diagnostics[0].source, 'go-macos-sign');
    assert.deepEqual(diagnostics[0].range, { start: { line: 2, character: 6 }, end: { line: 2, character: 39 } });
    assert.match(diagnostics[0].codeDescription!.href, /docs\/rules\/entitlements\/get-task-allow\.md$/);

    const second = published(2);
    const fixed = text.replace('<true/>', '<false/>');
    await connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: 2 },
      contentChanges: [{ text: fixed }],
    });
    const falseValue = (await second).diagnostics;
    assert.deepEqual(
      falseValue.map((d) => d.code),
      ['entitlements/false-value'],
    );

    // The quick fix, applied as VS Code would, leaves a file with no diagnostics.
    const actions = await connection.sendRequest<
      {
        title: string;
        kind: string;
        isPreferred: boolean;
        edit: {
          changes: Record<
            string,
            {
              range: { start: { line: number; character: number }; end: { line: number; character: number } };
              newText: string;
            }[]
          >;
        };
      }[]
    >('textDocument/codeAction', {
      textDocument: { uri },
      range: falseValue[0].range,
      context: { diagnostics: falseValue },
    });
    assert.deepEqual(
      actions.map((a) => [a.title, a.kind, a.isPreferred]),
      [['Remove com.apple.security.get-task-allow', 'quickfix', true]],
    );
    const lines = fixed.split('\n');
    const offset = (p: { line: number; character: number }) =>
      lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
    let result = fixed;
    for (const edit of actions[0].edit.changes[uri].reverse())
      result = result.slice(0, offset(edit.range.start)) + edit.newText + result.slice(offset(edit.range.end));
    const third = published(3);
    await connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: 3 },
      contentChanges: [{ text: result }],
    });
    assert.deepEqual((await third).diagnostics, []);
    assert.equal(result, '<plist>\n<dict>\n</dict>\n</plist>\n');
  });
});

interface Published {
  version?: number;
  diagnostics: {
    range: { start: { line: number; character: number }; end: { line: number; character: number } };
    code: string;
    severity: number;
    message: string;
    relatedInformation?: unknown[];
  }[];
}

/** Waiters for published diagnostics; one notification handler serves them all (JSON-RPC allows one per method). */
const waiters: { uri: string; accept: (p: Published) => boolean; resolve: (p: Published) => void }[] = [];

function listenForDiagnostics(): void {
  connection.onNotification('textDocument/publishDiagnostics', (params: Published & { uri: string }) => {
    for (const w of [...waiters]) {
      if (w.uri === params.uri && w.accept(params)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(params);
      }
    }
  });
}

function diagnosticsFor(uri: string, accept: (p: Published) => boolean): Promise<Published> {
  return within(new Promise((resolve) => waiters.push({ uri, accept, resolve })), 60_000, `diagnostics for ${uri}`);
}

/** Opens a document and resolves with the diagnostics the server publishes for that version. */
function openDocument(file: string, languageId: string, text: string, version = 1): Promise<Published> {
  const uri = pathToFileURL(file).href;
  const result = diagnosticsFor(uri, (p) => p.version === version);
  void connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version, text } });
  return result;
}

describe('build files and go.mod over JSON-RPC', () => {
  before(listenForDiagnostics);
  const codes = (p: Published) => p.diagnostics.map((d) => d.code);

  it('lints every kind of build file', async () => {
    const makefile =
      'release:\n\tgo build -ldflags "-s -w -H=macOS" -o tool .\n\tcodesign --force --deep --sign "Developer ID Application: X (T)" tool\n\txcrun notarytool submit tool -p prof --wait\n';
    assert.deepEqual(codes(await openDocument(path.join(dir, 'Makefile'), 'makefile', makefile)), [
      'ldflags/invalid-headtype',
      'codesign/missing-runtime',
      'codesign/missing-timestamp',
      'codesign/deep',
      'notarytool/unsupported-container',
    ]);
    // A script without extension is recognised by the editor's language id.
    assert.deepEqual(
      codes(await openDocument(path.join(dir, 'release'), 'shellscript', 'xcrun stapler staple tool\n')),
      ['stapler/unsupported-target'],
    );
    assert.deepEqual(
      codes(
        await openDocument(
          path.join(dir, '.goreleaser.yaml'),
          'yaml',
          'builds:\n  - goos: [darwin]\n    goarch: [arm64]\n    ldflags: ["-s -w -H=macOS"]\n',
        ),
      ),
      ['ldflags/invalid-headtype'],
    );
    fs.mkdirSync(path.join(dir, '.github', 'workflows'), { recursive: true });
    assert.deepEqual(
      codes(
        await openDocument(
          path.join(dir, '.github', 'workflows', 'ci.yml'),
          'yaml',
          'jobs:\n  b:\n    steps:\n      - run: spctl --assess --verbose tool\n',
        ),
      ),
      ['spctl/bare-cli'],
    );
    fs.mkdirSync(path.join(dir, '.vscode'), { recursive: true });
    const tasks =
      '{\n  // tasks\n  "version": "2.0.0",\n  "tasks": [{ "label": "n", "type": "shell", "command": "xcrun notarytool submit tool.zip --wait" }]\n}\n';
    assert.deepEqual(codes(await openDocument(path.join(dir, '.vscode', 'tasks.json'), 'jsonc', tasks)), [
      'notarytool/auth',
    ]);
    const settings = '{\n  "go.buildFlags": ["-ldflags=-sectcreate __TEXT __info_plist Info.plist"]\n}\n';
    assert.deepEqual(codes(await openDocument(path.join(dir, '.vscode', 'settings.json'), 'jsonc', settings)), [
      'ldflags/sectcreate',
    ]);
    const taskfile = 'version: "3"\ntasks:\n  n:\n    cmds:\n      - xcrun altool --notarize-app -f tool.zip\n';
    assert.deepEqual(codes(await openDocument(path.join(dir, 'Taskfile.yml'), 'yaml', taskfile)), [
      'notarytool/altool',
    ]);
    assert.deepEqual(
      codes(
        await openDocument(
          path.join(dir, 'justfile'),
          'plaintext',
          'release:\n    GOOS=darwin GOARCH=arm64 CGO_ENABLED=0 go build -race .\n',
        ),
      ),
      ['build/external-link-without-cgo'],
    );
  });

  it('hovers -H=macOS inside an ldflags string with our explanation', async () => {
    const file = path.join(dir, 'hover.mk');
    const text = 'build:\n\tGOOS=darwin go build -ldflags "-s -w -H=macOS" -o tool .\n';
    await openDocument(file, 'makefile', text);
    const character = text.split('\n')[1].indexOf('-H=macOS') + 2;
    const hover = await connection.sendRequest<{
      contents: { value: string };
      range: { start: { character: number }; end: { character: number } };
    }>('textDocument/hover', { textDocument: { uri: pathToFileURL(file).href }, position: { line: 1, character } });
    assert.match(hover.contents.value, /Go linker.*invalid headtype/s);
    assert.equal(text.split('\n')[1].slice(hover.range.start.character, hover.range.end.character), '-H=macOS');
  });

  it('offers the quick fix that zips before notarytool submit', async () => {
    const file = path.join(dir, 'notarize.sh');
    const text = 'xcrun notarytool submit dist/tool --keychain-profile prof --wait\n';
    const published = await openDocument(file, 'shellscript', text);
    const actions = await connection.sendRequest<
      { title: string; edit: { changes: Record<string, { newText: string }[]> } }[]
    >('textDocument/codeAction', {
      textDocument: { uri: pathToFileURL(file).href },
      range: published.diagnostics[0].range,
      context: { diagnostics: published.diagnostics },
    });
    assert.deepEqual(
      actions.map((a) => a.title),
      ['Zip with ditto and submit dist/tool.zip'],
    );
    assert.deepEqual(
      actions[0].edit.changes[pathToFileURL(file).href].map((e) => e.newText),
      ['ditto -c -k --keepParent dist/tool dist/tool.zip && ', 'dist/tool.zip'],
    );
  });

  it('serves a plist named by codesign --entitlements as an entitlements file', async () => {
    const plist = path.join(dir, 'signing.plist');
    const plistText =
      '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">\n<dict>\n\t<key>com.apple.security.get-task-allow</key>\n\t<true/>\n</dict>\n</plist>\n';
    fs.writeFileSync(plist, plistText);
    const plistUri = pathToFileURL(plist).href;
    const served = diagnosticsFor(plistUri, (p) => p.diagnostics.length > 0);
    await connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri: plistUri, languageId: 'xml', version: 1, text: plistText },
    });
    const build = await openDocument(
      path.join(dir, 'sign.sh'),
      'shellscript',
      'codesign --force --options runtime --timestamp --entitlements signing.plist --sign "Developer ID Application: X (T)" tool\n',
    );
    assert.deepEqual(codes(build), ['codesign/entitlements-file']);
    assert.deepEqual(codes(await served), ['entitlements/get-task-allow']);
  });

  it('matches the plist a build file names whatever the client percent-encodes: %28 %29 %40, a Windows drive as c%3A', async () => {
    const folder = path.join(dir, 'Team (1)@work');
    fs.mkdirSync(folder, { recursive: true });
    const plistText =
      '<plist version="1.0">\n<dict>\n\t<key>com.apple.security.get-task-allow</key>\n\t<true/>\n</dict>\n</plist>\n';
    // The URI as a client that encodes every reserved character writes it (Neovim's vim.uri_from_fname does).
    const encoded =
      pathToFileURL(folder).href.replace(/\(/g, '%28').replace(/\)/g, '%29').replace(/@/g, '%40') + '/signing.plist';
    assert.notEqual(encoded, pathToFileURL(path.join(folder, 'signing.plist')).href);
    const served = diagnosticsFor(encoded, (p) => p.diagnostics.length > 0);
    await connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri: encoded, languageId: 'xml', version: 1, text: plistText },
    });
    await openDocument(
      path.join(folder, 'sign.sh'),
      'shellscript',
      'codesign --force --options runtime --timestamp --entitlements signing.plist --sign "Developer ID Application: X (T)" tool\n',
    );
    assert.deepEqual(codes(await served), ['entitlements/get-task-allow']);

    // VS Code on Windows writes file:///c%3A/…; a build file opened as file:///C:/… names the same plist.
    const windowsPlist = 'file:///c%3A/proj/signing.plist';
    const windowsServed = diagnosticsFor(windowsPlist, (p) => p.diagnostics.length > 0);
    await connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri: windowsPlist, languageId: 'xml', version: 1, text: plistText },
    });
    const windowsBuild = diagnosticsFor('file:///C:/proj/Makefile', () => true);
    await connection.sendNotification('textDocument/didOpen', {
      textDocument: {
        uri: 'file:///C:/proj/Makefile',
        languageId: 'makefile',
        version: 1,
        text: 'sign:\n\tcodesign --force --options runtime --timestamp --entitlements signing.plist -s "Developer ID Application: X (T)" tool\n',
      },
    });
    await windowsBuild;
    assert.deepEqual(codes(await windowsServed), ['entitlements/get-task-allow']);
  });

  it('offers a quick fix once per line, and marks one fix per problem preferred', async () => {
    const file = path.join(dir, 'codesign.sh');
    const published = await openDocument(
      file,
      'shellscript',
      'codesign --force --sign "Developer ID Application: X (T)" tool\n',
    );
    assert.deepEqual(codes(published).sort(), ['codesign/missing-runtime', 'codesign/missing-timestamp']);
    const whole = { start: { line: 0, character: 0 }, end: { line: 1, character: 0 } };
    const actions = await connection.sendRequest<
      { title: string; isPreferred?: boolean; diagnostics: { code: string }[] }[]
    >('textDocument/codeAction', {
      textDocument: { uri: pathToFileURL(file).href },
      range: whole,
      context: { diagnostics: published.diagnostics },
    });
    const titles = actions.map((a) => a.title);
    assert.deepEqual(titles, [...new Set(titles)], 'each fix once');
    const both = actions.find((a) => a.title === 'Add --options runtime --timestamp')!;
    assert.deepEqual(
      both.diagnostics.map((d) => d.code).sort(),
      ['codesign/missing-runtime', 'codesign/missing-timestamp'],
      'one action for both problems',
    );
    for (const code of ['codesign/missing-runtime', 'codesign/missing-timestamp']) {
      assert.equal(
        actions.filter((a) => a.isPreferred && a.diagnostics.some((d) => d.code === code)).length,
        1,
        `${code}: one preferred fix`,
      );
    }
  });

  it('a binary plist opened in the editor gets the findings the CLI reports for the file', async () => {
    const file = path.join(dir, 'binary.entitlements');
    const value = "{'com.apple.security.get-task-allow': True, 'com.apple.security.cs.allow-jit': 'yes'}";
    fs.writeFileSync(
      file,
      execFileSync(
        'python3',
        ['-c', `import plistlib, sys; sys.stdout.buffer.write(plistlib.dumps(${value}, fmt=plistlib.FMT_BINARY))`],
        CHILD_LIMIT,
      ),
    );
    const cli = spawnSync(process.execPath, [path.join(REPO, 'dist', 'cli.js'), 'lint', file], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(cli.status, 1, cli.stderr);
    const fromCli = cli.stdout
      .trim()
      .split('\n')
      .map((line) => /^.+:(\d+):(\d+): (\w+) (\S+) (.*)$/.exec(line)!.slice(1));
    assert.ok(fromCli.length >= 3);
    // The editor shows the bytes decoded as UTF-8, as VS Code does.
    const published = await openDocument(file, 'entitlements', fs.readFileSync(file).toString('utf8'));
    const names = ['', 'error', 'warning', 'info', 'hint'];
    const fromServer = published.diagnostics.map((d) => [
      String(d.range.start.line + 1),
      String(d.range.start.character + 1),
      names[d.severity],
      d.code,
      d.message,
    ]);
    assert.deepEqual(fromServer, fromCli);
  });

  it('reports a cgo requirement in go.mod from the known modules when go list may not run (untrusted)', async () => {
    const gomod = path.join(dir, 'mod', 'go.mod');
    fs.mkdirSync(path.dirname(gomod), { recursive: true });
    const text = 'module example.com/x\n\ngo 1.15\n\nrequire github.com/mattn/go-sqlite3 v1.14.16\n';
    const published = await openDocument(gomod, 'go.mod', text);
    assert.deepEqual(
      published.diagnostics.map((d) => [d.code, d.range.start.line]),
      [
        ['gomod/go-version', 2],
        ['gomod/cgo-dependency', 4],
      ],
    );
    assert.match(published.diagnostics[1].message, /well-known cgo module.*modernc\.org\/sqlite/s);
  });
});

describe('hover and completion over JSON-RPC', () => {
  it('hovers a key with its catalog entry, and completes keys not yet present', async () => {
    const uri = pathToFileURL(path.join(dir, 'app.entitlements')).href;
    const text =
      '<plist>\n<dict>\n\t<key>com.apple.security.cs.allow-jit</key>\n\t<true/>\n\t<key>com.apple.security.cs.</key>\n</dict>\n</plist>\n';
    await connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'entitlements', version: 1, text },
    });
    const hover = await connection.sendRequest<{ contents: { kind: string; value: string }; range: unknown }>(
      'textDocument/hover',
      { textDocument: { uri }, position: { line: 2, character: 12 } },
    );
    assert.equal(hover.contents.kind, 'markdown');
    assert.match(hover.contents.value, /Allow execution of JIT-compiled code/);
    assert.deepEqual(hover.range, { start: { line: 2, character: 6 }, end: { line: 2, character: 37 } });
    const items = await connection.sendRequest<{ label: string; textEdit: { range: unknown; newText: string } }[]>(
      'textDocument/completion',
      { textDocument: { uri }, position: { line: 4, character: 28 } },
    );
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
    assert.deepEqual(
      report.architectures.map((s) => s.arch),
      ['arm64'],
    );
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

describe('a new entitlements file', () => {
  it('is written by the server with the plist package, and Python plistlib reads back what was asked', async () => {
    const { text } = await connection.sendRequest<NewEntitlementsRequest.Result>('goMacosSign/newEntitlements', {
      entitlements: { 'com.apple.security.cs.allow-jit': true, 'not-a-boolean': 'x' },
    });
    const parsed = spawnSync(
      'python3',
      ['-c', 'import plistlib,sys,json; print(json.dumps(plistlib.loads(sys.stdin.buffer.read())))'],
      { ...CHILD_LIMIT, input: text, encoding: 'utf8' },
    );
    assert.equal(parsed.status, 0, parsed.stderr);
    assert.deepEqual(JSON.parse(parsed.stdout), { 'com.apple.security.cs.allow-jit': true });
    const empty = await connection.sendRequest<NewEntitlementsRequest.Result>('goMacosSign/newEntitlements', {});
    assert.match(empty.text, /<dict\/>|<dict>\s*<\/dict>/);
  });
});
