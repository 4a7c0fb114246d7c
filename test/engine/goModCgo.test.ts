/**
 * go.mod and cgo, for real: a module whose dependencies are Debian's packaged sources of github.com/mattn/go-sqlite3
 * (cgo) and github.com/fsnotify/fsnotify (pure Go), served by a file-based GOPROXY, plus a module of ours that pulls
 * go-sqlite3 in transitively. `go list` runs offline; the test proves go.mod and go.sum are byte-for-byte unchanged
 * and that no connection reached a network proxy set up as a trap.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { lintGoMod } from '../../server/src/lint/gomod/analyze';
import { detectCgo, localCgo } from '../../server/src/lint/gomod/cgoLayers';
import { constraintAllows, importsC, nameAllows } from '../../server/src/lint/gomod/localScan';
import { parseGoMod } from '../../server/src/lint/gomod/parse';
import { lintDocument } from '../../server/src/lint/lintFiles';
import { CHILD_LIMIT, within } from '../support/bounds';
import { buildProxy, DEBIAN_MODULES } from '../support/goproxy';
import { startServer } from '../support/lspServer';
import { goTool, tempDir } from '../support/tools';
import { pathToFileURL } from 'node:url';

const dir = tempDir();
const app = path.join(dir, 'app');
const goEnv = {
  GOMODCACHE: path.join(dir, 'modcache'),
  GOPATH: path.join(dir, 'gopath'),
  GOCACHE: path.join(dir, 'gocache'),
};
let trap: net.Server;
let connections = 0;
let trapEnv: NodeJS.ProcessEnv;

const GO_MOD = `module example.com/app

go 1.19

require (
	example.com/store v1.0.0
	github.com/fsnotify/fsnotify v1.6.0
)

require (
	github.com/mattn/go-sqlite3 v1.14.16 // indirect
	golang.org/x/sys v0.0.0-20220908164124-27713097b956 // indirect
)
`;

before(async () => {
  // example.com/store: our own module that uses go-sqlite3, so the cgo reaches the app only transitively.
  const store = path.join(dir, 'store');
  fs.mkdirSync(store);
  fs.writeFileSync(
    path.join(store, 'go.mod'),
    'module example.com/store\n\ngo 1.19\n\nrequire github.com/mattn/go-sqlite3 v1.14.16\n',
  );
  fs.writeFileSync(
    path.join(store, 'store.go'),
    'package store\n\nimport _ "github.com/mattn/go-sqlite3"\n\nconst Driver = "sqlite3"\n',
  );
  const proxy = buildProxy(path.join(dir, 'proxy'), [
    ...DEBIAN_MODULES,
    { path: 'example.com/store', version: 'v1.0.0', time: '2024-01-01T00:00:00Z', src: store },
  ]);

  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'go.mod'), GO_MOD);
  fs.writeFileSync(
    path.join(app, 'main.go'),
    'package main\n\nimport (\n\t"fmt"\n\n\t"example.com/store"\n\t"github.com/fsnotify/fsnotify"\n)\n\nfunc main() {\n\tw, _ := fsnotify.NewWatcher()\n\tfmt.Println(store.Driver, w)\n}\n',
  );
  // Setup only: fill the module cache and go.sum from the file proxy, as `go mod download` would from the network.
  const setup = { ...process.env, ...goEnv, GOPROXY: `file://${proxy}`, GOSUMDB: 'off', GOFLAGS: '-mod=mod' };
  for (const goarch of ['arm64', 'amd64'])
    execFileSync(goTool(), ['list', '-deps', './...'], {
      ...CHILD_LIMIT,
      cwd: app,
      env: { ...setup, GOOS: 'darwin', GOARCH: goarch, CGO_ENABLED: '1' },
      stdio: 'pipe',
    });

  trap = net.createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
  const { port } = trap.address() as net.AddressInfo;
  trapEnv = { ...goEnv, HTTP_PROXY: `http://127.0.0.1:${port}`, HTTPS_PROXY: `http://127.0.0.1:${port}`, NO_PROXY: '' };
});

after(() => trap?.close());

describe('go.mod parser', () => {
  it('gives every directive, requirement and version its range', () => {
    const text =
      'module "example.com/m" // the module\n\ngo 1.21.3\ntoolchain go1.22.1\nrequire github.com/a/b v1.2.3\nrequire (\n\tgithub.com/c/d v0.1.0 // indirect\n\t`github.com/e/f` v2.0.0+incompatible\n)\nreplace github.com/a/b => ../b\nexclude github.com/c/d v0.0.9\nretract [v1.0.0, v1.0.5] // broken\n';
    const mod = parseGoMod(text);
    const at = (r: { start: number; end: number }) => text.slice(r.start, r.end);
    assert.equal(mod.module?.path, 'example.com/m');
    assert.equal(mod.go?.version, '1.21.3');
    assert.equal(at(mod.go!.versionRange), '1.21.3');
    assert.equal(mod.toolchain?.name, 'go1.22.1');
    assert.deepEqual(
      mod.requires.map((r) => [r.path, r.version, r.indirect, at(r.pathRange), at(r.versionRange)]),
      [
        ['github.com/a/b', 'v1.2.3', false, 'github.com/a/b', 'v1.2.3'],
        ['github.com/c/d', 'v0.1.0', true, 'github.com/c/d', 'v0.1.0'],
        ['github.com/e/f', 'v2.0.0+incompatible', false, '`github.com/e/f`', 'v2.0.0+incompatible'],
      ],
    );
    assert.deepEqual(
      mod.replaces.map((r) => [r.from, r.to]),
      [['github.com/a/b', '../b']],
    );
    assert.deepEqual(
      mod.excludes.map((e) => [e.path, e.version]),
      [['github.com/c/d', 'v0.0.9']],
    );
    assert.equal(mod.retracts.length, 1);
  });
});

describe('cgo detection, three layers', () => {
  it('go list (offline, read-only) finds go-sqlite3 through example.com/store, not fsnotify, and changes nothing', async () => {
    const before = { mod: fs.readFileSync(path.join(app, 'go.mod')), sum: fs.readFileSync(path.join(app, 'go.sum')) };
    const result = await detectCgo(path.join(app, 'go.mod'), GO_MOD, {
      goarchs: ['arm64', 'amd64'],
      useGoList: true,
      go: goTool(),
      env: trapEnv,
    });
    assert.equal(result.fallbackReason, undefined);
    assert.deepEqual(result.findings, [
      {
        module: 'github.com/mattn/go-sqlite3',
        packages: ['github.com/mattn/go-sqlite3'],
        layer: 'go list',
        chain: ['example.com/store', 'github.com/mattn/go-sqlite3'],
      },
    ]);
    assert.ok(fs.readFileSync(path.join(app, 'go.mod')).equals(before.mod), 'go.mod unchanged');
    assert.ok(fs.readFileSync(path.join(app, 'go.sum')).equals(before.sum), 'go.sum unchanged');
    assert.equal(connections, 0, 'nothing reached the network');

    const found = lintDocument(path.join(app, 'go.mod'), GO_MOD, { cgoFindings: result.findings });
    assert.deepEqual(
      found.map((d) => [d.code, d.range.start.line + 1]),
      [['gomod/cgo-dependency', 6]],
    );
    assert.match(
      found[0].message,
      /example\.com\/store brings cgo into the darwin build through github\.com\/mattn\/go-sqlite3 \(found by go list for GOOS=darwin\)/,
    );
    assert.match(
      found[0].message,
      /CGO_ENABLED=0.*macOS SDK.*external linking.*disable-library-validation.*modernc\.org\/sqlite/s,
    );
    assert.deepEqual(
      found[0].related?.map((r) => r.range.start.line + 1),
      [11],
    );
  });

  it('falls back to the module sources when go list cannot run', async () => {
    const result = await detectCgo(path.join(app, 'go.mod'), GO_MOD, {
      goarchs: ['arm64'],
      useGoList: true,
      go: path.join(dir, 'no-such-go'),
      env: goEnv,
    });
    assert.match(result.fallbackReason ?? '', /not found/);
    const goListFailure = `${path.join(dir, 'no-such-go')} not found`;
    assert.deepEqual(result.findings, [
      {
        module: 'github.com/mattn/go-sqlite3',
        packages: ['github.com/mattn/go-sqlite3'],
        layer: 'module sources',
        chain: ['example.com/store', 'github.com/mattn/go-sqlite3'],
        goListFailure,
      },
    ]);
    const found = lintGoMod(GO_MOD, { findings: result.findings });
    assert.deepEqual(
      found.map((d) => [d.code, d.range.start]),
      [['gomod/cgo-dependency', GO_MOD.indexOf('example.com/store v1')]],
    );
    assert.match(
      found[0].message,
      /found in the module's source files that build for darwin; go list could not answer: .*no-such-go not found\)/,
    );
  });

  it('ignores a go.work planted around the module (GOWORK=off)', async () => {
    // A hostile workspace: go.work swaps example.com/store for a pure-Go look-alike, which would hide go-sqlite3.
    const hostile = path.join(dir, 'hostile');
    const copy = path.join(hostile, 'app');
    const evil = path.join(hostile, 'evil');
    fs.mkdirSync(copy, { recursive: true });
    fs.mkdirSync(evil);
    for (const f of ['go.mod', 'go.sum', 'main.go']) fs.copyFileSync(path.join(app, f), path.join(copy, f));
    fs.writeFileSync(path.join(evil, 'go.mod'), 'module example.com/store\n\ngo 1.19\n');
    fs.writeFileSync(path.join(evil, 'store.go'), 'package store\n\nconst Driver = "none"\n');
    fs.writeFileSync(
      path.join(hostile, 'go.work'),
      'go 1.19\n\nuse ./app\n\nreplace example.com/store v1.0.0 => ./evil\n',
    );
    const result = await detectCgo(path.join(copy, 'go.mod'), GO_MOD, {
      goarchs: ['arm64'],
      useGoList: true,
      go: goTool(),
      env: trapEnv,
    });
    assert.equal(result.fallbackReason, undefined);
    assert.deepEqual(
      result.findings.map((f) => [f.module, f.layer]),
      [['github.com/mattn/go-sqlite3', 'go list']],
    );
  });

  it('falls back, saying why, when go list loads a package with an error (missing go.sum entry)', async () => {
    const noSum = path.join(dir, 'nosum');
    fs.mkdirSync(noSum);
    const text = 'module example.com/nosum\n\ngo 1.19\n\nrequire github.com/mattn/go-sqlite3 v1.14.16\n';
    fs.writeFileSync(path.join(noSum, 'go.mod'), text);
    fs.writeFileSync(
      path.join(noSum, 'main.go'),
      'package main\n\nimport _ "github.com/mattn/go-sqlite3"\n\nfunc main() {}\n',
    );
    const result = await detectCgo(path.join(noSum, 'go.mod'), text, {
      goarchs: ['arm64'],
      useGoList: true,
      go: goTool(),
      env: trapEnv,
    });
    assert.match(result.fallbackReason ?? '', /missing go\.sum entry/);
    assert.deepEqual(
      result.findings.map((f) => [f.module, f.layer]),
      [['github.com/mattn/go-sqlite3', 'module sources']],
    );
    const found = lintGoMod(text, { findings: result.findings });
    assert.deepEqual(
      found.map((d) => [d.code, text.slice(d.range.start, d.range.end)]),
      [['gomod/cgo-dependency', 'github.com/mattn/go-sqlite3']],
    );
    assert.match(
      found[0].message,
      /found in the module's source files that build for darwin; go list could not answer: cannot load github\.com\/mattn\/go-sqlite3: missing go\.sum entry for module providing package github\.com\/mattn\/go-sqlite3/,
    );
    assert.doesNotMatch(found[0].message, /to add|go get/);
    assert.equal(fs.existsSync(path.join(noSum, 'go.sum')), false, 'go.sum is not created');
  });

  it('falls back, saying why, when the go directive is newer than the toolchain', async () => {
    const newer = path.join(dir, 'newer');
    fs.mkdirSync(newer);
    const text = GO_MOD.replace('go 1.19', 'go 1.99.0');
    fs.writeFileSync(path.join(newer, 'go.mod'), text);
    for (const f of ['go.sum', 'main.go']) fs.copyFileSync(path.join(app, f), path.join(newer, f));
    const result = await detectCgo(path.join(newer, 'go.mod'), text, {
      goarchs: ['arm64'],
      useGoList: true,
      go: goTool(),
      env: trapEnv,
    });
    assert.match(result.fallbackReason ?? '', /1\.99\.0/);
    const found = lintGoMod(text, { findings: result.findings });
    assert.deepEqual(
      found.map((d) => [d.code, text.slice(d.range.start, d.range.end)]),
      [['gomod/cgo-dependency', 'example.com/store']],
    );
    assert.match(
      found[0].message,
      /through github\.com\/mattn\/go-sqlite3 \(found in the module's source files that build for darwin; go list could not answer: [^)]*1\.99\.0/,
    );
    assert.doesNotMatch(found[0].message, new RegExp(newer));
  });

  it("without go list nor sources, the well-known module is named, with go list's reason", async () => {
    const text = 'module example.com/bare\n\ngo 1.19\n\nrequire github.com/mattn/go-sqlite3 v1.14.16\n';
    const bare = path.join(dir, 'bare');
    fs.mkdirSync(bare);
    fs.writeFileSync(path.join(bare, 'go.mod'), text);
    fs.writeFileSync(
      path.join(bare, 'main.go'),
      'package main\n\nimport _ "github.com/mattn/go-sqlite3"\n\nfunc main() {}\n',
    );
    const empty = { ...trapEnv, GOMODCACHE: path.join(dir, 'empty-cache') };
    const result = await detectCgo(path.join(bare, 'go.mod'), text, {
      goarchs: ['arm64'],
      useGoList: true,
      go: goTool(),
      env: empty,
    });
    const found = lintGoMod(text, { findings: result.findings });
    assert.deepEqual(
      found.map((d) => d.code),
      ['gomod/cgo-dependency'],
    );
    assert.match(
      found[0].message,
      /a well-known cgo module; go list could not answer: cannot load github\.com\/mattn\/go-sqlite3/,
    );
  });

  it('uses the list of well-known cgo modules when there is no source either', () => {
    const findings = localCgo(path.join(app, 'go.mod'), GO_MOD, ['arm64'], {
      GOMODCACHE: path.join(dir, 'empty-cache'),
    });
    assert.deepEqual(
      findings.map((f) => [f.module, f.layer]),
      [['github.com/mattn/go-sqlite3', 'known cgo modules']],
    );
    const found = lintGoMod(GO_MOD, { findings });
    assert.match(found[0].message, /a well-known cgo module; go list could not confirm it here/);
  });
});

describe('the language server in a trusted workspace', () => {
  it('runs go list in the background and republishes with its findings', async () => {
    const env = { ...process.env, ...trapEnv, PATH: `${path.dirname(goTool())}${path.delimiter}${process.env.PATH}` };
    const { connection, stop } = await startServer({
      rootUri: pathToFileURL(app).href,
      initializationOptions: { trusted: true },
      env,
    });
    const uri = pathToFileURL(path.join(app, 'go.mod')).href;
    const fromGoList = new Promise<{
      diagnostics: {
        code: string;
        message: string;
        range: { start: { line: number } };
        relatedInformation?: { location: { uri: string; range: { start: { line: number } } } }[];
      }[];
    }>((resolve) => {
      connection.onNotification('textDocument/publishDiagnostics', (params) => {
        if (
          params.uri === uri &&
          params.diagnostics.some((d: { message: string }) => /found by go list/.test(d.message))
        )
          resolve(params);
      });
    });
    await connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'go.mod', version: 1, text: GO_MOD },
    });
    const { diagnostics } = await within(fromGoList, 120_000, 'diagnostics found by go list');
    assert.deepEqual(
      diagnostics.map((d) => [d.code, d.range.start.line + 1]),
      [['gomod/cgo-dependency', 6]],
    );
    assert.deepEqual(
      diagnostics[0].relatedInformation?.map((r) => [r.location.uri, r.location.range.start.line + 1]),
      [[uri, 11]],
    );
    assert.equal(connections, 0);
    assert.equal(await stop(), 0);
  });
});

describe('the language server when go list cannot answer', () => {
  it('republishes with the module sources, saying why go list could not answer', async () => {
    const project = path.join(dir, 'lsp-nosum');
    fs.mkdirSync(project);
    const text = 'module example.com/lspnosum\n\ngo 1.19\n\nrequire github.com/mattn/go-sqlite3 v1.14.16\n';
    fs.writeFileSync(path.join(project, 'go.mod'), text);
    fs.writeFileSync(
      path.join(project, 'main.go'),
      'package main\n\nimport _ "github.com/mattn/go-sqlite3"\n\nfunc main() {}\n',
    );
    const env = { ...process.env, ...trapEnv, PATH: `${path.dirname(goTool())}${path.delimiter}${process.env.PATH}` };
    const { connection, stop } = await startServer({
      rootUri: pathToFileURL(project).href,
      initializationOptions: { trusted: true },
      env,
    });
    const uri = pathToFileURL(path.join(project, 'go.mod')).href;
    const answered = new Promise<{ diagnostics: { code: string; message: string }[] }>((resolve) => {
      connection.onNotification('textDocument/publishDiagnostics', (params) => {
        if (
          params.uri === uri &&
          params.diagnostics.some((d: { message: string }) => /go list could not answer/.test(d.message))
        )
          resolve(params);
      });
    });
    try {
      await connection.sendNotification('textDocument/didOpen', {
        textDocument: { uri, languageId: 'go.mod', version: 1, text },
      });
      const bound = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('no diagnostics after go list within 60 s')), 60_000).unref(),
      );
      const { diagnostics } = await Promise.race([answered, bound]);
      assert.deepEqual(
        diagnostics.map((d) => d.code),
        ['gomod/cgo-dependency'],
      );
      assert.match(
        diagnostics[0].message,
        /found in the module's source files that build for darwin; go list could not answer: cannot load github\.com\/mattn\/go-sqlite3: missing go\.sum entry/,
      );
    } finally {
      assert.equal(await stop(), 0);
    }
  });
});

describe('gomod/go-version', () => {
  it('warns below Go 1.16 for arm64 and errors at 1.12 and below', () => {
    assert.deepEqual(
      lintGoMod('module m\n\ngo 1.15\n').map((d) => [d.code, d.severity]),
      [['gomod/go-version', 'warning']],
    );
    assert.deepEqual(lintGoMod('module m\n\ngo 1.15\n', { architectures: ['amd64'] }), []);
    assert.deepEqual(
      lintGoMod('module m\n\ngo 1.12\n').map((d) => [d.code, d.severity]),
      [['gomod/go-version', 'error']],
    );
    assert.deepEqual(lintGoMod('module m\n\ngo 1.22.1\n'), []);
  });
});

describe('build constraints for the module-sources layer', () => {
  it('reads file-name suffixes and //go:build lines as the go command does for darwin', () => {
    assert.equal(nameAllows('sqlite3_darwin.go', 'arm64'), true);
    assert.equal(nameAllows('sqlite3_linux.go', 'arm64'), false);
    assert.equal(nameAllows('asm_darwin_amd64.go', 'arm64'), false);
    assert.equal(nameAllows('asm_darwin_arm64.go', 'arm64'), true);
    assert.equal(nameAllows('x_arm64.go', 'amd64'), false);
    assert.equal(nameAllows('my_helper.go', 'amd64'), true);
    assert.equal(constraintAllows('darwin && cgo', 'arm64'), true);
    assert.equal(constraintAllows('!darwin', 'arm64'), false);
    assert.equal(constraintAllows('linux || (darwin && !ios)', 'amd64'), true);
    assert.equal(constraintAllows('ignore', 'amd64'), false);
    assert.equal(importsC('//go:build linux\n\npackage x\n\nimport "C"\n', 'arm64'), false);
    assert.equal(
      importsC('// comment\n//go:build darwin\n\npackage x\n\n// #include <stdio.h>\nimport "C"\n', 'arm64'),
      true,
    );
    assert.equal(importsC('package x\n\nimport (\n\t"fmt"\n\t"C"\n)\n', 'arm64'), true);
    assert.equal(importsC('package x\n\nimport "fmt"\n// import "C" in a comment\n', 'arm64'), false);
  });
});
