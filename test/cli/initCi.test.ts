/**
 * `go-macos-sign init ci` through the bundled CLI, on a real Go module made here. The generated workflow is judged by
 * independent parsers (GitHub's own `@actions/workflow-parser`, the `yaml` package) and by our own `lint`, which must
 * find nothing; its build, universal and sign steps are run as GitHub runs a step (`bash -eo pipefail`), with the real
 * Go toolchain, the test PKI's .p12 and a local time-stamp authority, and the result is checked with llvm-lipo and our
 * `verify`. `--goreleaser` is judged on a realistic .goreleaser.yaml with comments: every byte kept, our lint clean.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseDocument } from 'yaml';
import type { InitCiJson } from '../../server/src/protocol';
import { CACHE, goTool, lipoTool, REPO, run, runCli, tempDir } from '../support/tools';
import { CHILD_LIMIT } from '../support/bounds';
import { TEST_TEAM, testPki } from '../support/testPki';
import { startTsa, Tsa } from '../support/tsa';

const WORKFLOW = path.join('.github', 'workflows', 'macos-release.yml');

/** A Go module with one command, a library, a `go:build ignore` generator and testdata: only cmd/tool is a program. */
function goModule(extraMains: string[] = [], modulePath = 'github.com/acme/tool'): string {
  const dir = tempDir('gms-initci-');
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  };
  write('go.mod', `module ${modulePath}\n\ngo 1.19\n`);
  write(
    'cmd/tool/main.go',
    '// Command tool says hello.\npackage main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hello") }\n',
  );
  write('internal/greet/greet.go', 'package greet\n\nfunc Hello() string { return "hello" }\n');
  write('internal/greet/greet_test.go', 'package main\n');
  write('gen/gen.go', '//go:build ignore\n\npackage main\n\nfunc main() {}\n');
  write('testdata/fixture/main.go', 'package main\n\nfunc main() {}\n');
  for (const rel of extraMains) write(`${rel}/main.go`, 'package main\n\nfunc main() {}\n');
  return dir;
}

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
  if?: string;
}
interface Job {
  'runs-on': string;
  permissions: Record<string, string>;
  steps: Step[];
}

function readWorkflow(dir: string): { text: string; jobs: Record<string, Job>; on: unknown } {
  const text = fs.readFileSync(path.join(dir, WORKFLOW), 'utf8');
  const doc = parseDocument(text);
  assert.deepEqual(doc.errors, []);
  const value = doc.toJS() as { jobs: Record<string, Job>; on: unknown };
  return { text, jobs: value.jobs, on: value.on };
}

/** Every `${{ ... }}` expression of a text. */
function expressions(text: string): string[] {
  return [...text.matchAll(/\$\{\{\s*(.*?)\s*\}\}/g)].map((m) => m[1]);
}

describe('init ci: the release workflow', () => {
  let dir: string;
  let json: InitCiJson;
  const leak = { password: 'pw-that-must-not-leak-7f3a', key: '-----BEGIN PRIVATE KEY-----\nMIGTAgEAleak\n' };

  before(() => {
    dir = goModule();
    // Secret values in the CLI's own environment must not reach the file either.
    const r = runCliEnv(['init', 'ci', '--json', dir], {
      GO_MACOS_SIGN_P12_PASSWORD: leak.password,
      GO_MACOS_SIGN_NOTARY_KEY: leak.key,
    });
    assert.equal(r.code, 0, r.stderr);
    json = JSON.parse(r.stdout) as InitCiJson;
  });

  it('releases the one main package, named after its directory, and names the secrets', () => {
    assert.equal(json.file, path.join(dir, WORKFLOW));
    assert.equal(json.kind, 'workflow');
    assert.equal(json.package, './cmd/tool');
    assert.equal(json.name, 'tool');
    assert.deepEqual(json.changes, ['created']);
    assert.deepEqual(
      json.secrets.map((s) => s.name),
      ['MACOS_P12_BASE64', 'MACOS_P12_PASSWORD', 'NOTARY_KEY', 'NOTARY_KEY_ID', 'NOTARY_ISSUER'],
    );
    assert.match(json.secrets[0].command, /base64 -w0 cert\.p12 \| gh secret set MACOS_P12_BASE64/);
    assert.match(json.secrets[2].command, /gh secret set NOTARY_KEY < AuthKey_KEYID\.p8/);
  });

  it('prints the secrets to create and how', () => {
    const other = goModule();
    const r = runCli('init', 'ci', other);
    assert.equal(r.code, 0, r.stderr);
    for (const name of ['MACOS_P12_BASE64', 'MACOS_P12_PASSWORD', 'NOTARY_KEY', 'NOTARY_KEY_ID', 'NOTARY_ISSUER'])
      assert.match(r.stdout, new RegExp(`^  ${name}: .+\\n {6}.*gh secret set ${name}\\b`, 'm'));
  });

  it('passes GitHub’s own workflow parser with no error', async () => {
    const { text } = readWorkflow(dir);
    const { parseWorkflow, convertWorkflowTemplate, NoOperationTraceWriter } = await import('@actions/workflow-parser');
    const parsed = parseWorkflow({ name: 'macos-release.yml', content: text }, new NoOperationTraceWriter());
    assert.deepEqual(
      parsed.context.errors.getErrors().map((e) => e.message),
      [],
    );
    assert.ok(parsed.value);
    const template = await convertWorkflowTemplate(parsed.context, parsed.value);
    assert.deepEqual(
      parsed.context.errors.getErrors().map((e) => e.message),
      [],
    );
    assert.deepEqual(
      template.jobs.map((j) => j.id.value),
      ['release', 'lint'],
    );
  });

  it('passes our own lint with no error nor warning, and lint does read it', () => {
    for (const target of [dir, path.join(dir, WORKFLOW)]) {
      const r = runCli('lint', '--format', 'json', target);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), []);
    }
    // The same file with one flag the Go linker rejects: lint reports it, so the file above was really analysed.
    const broken = goModule();
    const file = path.join(broken, WORKFLOW);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, readWorkflow(dir).text.replace("-ldflags='-s -w'", "-ldflags='-s -w -sectcreate'"));
    const r = runCli('lint', '--format', 'json', file);
    assert.ok(
      (JSON.parse(r.stdout) as { code: string }[]).some((d) => d.code === 'ldflags/sectcreate'),
      r.stdout,
    );
  });

  it('runs on a v* tag on ubuntu-latest, with pinned actions and the documented steps', () => {
    const { jobs, on } = readWorkflow(dir);
    assert.deepEqual(on, { push: { tags: ['v*'] } });
    assert.deepEqual(Object.keys(jobs), ['release', 'lint']);
    for (const job of Object.values(jobs)) {
      assert.equal(job['runs-on'], 'ubuntu-latest');
      for (const step of job.steps.filter((s) => s.uses))
        assert.match(step.uses!, /@(v\d+\.\d+\.\d+|[0-9a-f]{40})$/, `${step.uses} is pinned`);
    }
    assert.equal(jobs.release.permissions.contents, 'write');
    assert.equal(jobs.lint.permissions['security-events'], 'write');
    const runs = (job: Job) => job.steps.map((s) => s.run ?? '').join('\n');
    assert.ok(jobs.release.steps.some((s) => s.uses?.startsWith('actions/checkout@')));
    const setupGo = jobs.release.steps.find((s) => s.uses?.startsWith('actions/setup-go@'));
    assert.equal(setupGo?.with?.['go-version-file'], 'go.mod');
    for (const expected of [
      /GOARCH=arm64 go build -trimpath .*-o dist\/tool-arm64 \.\/cmd\/tool/,
      /GOARCH=amd64 go build -trimpath .*-o dist\/tool-amd64 \.\/cmd\/tool/,
      /go-macos-sign universal --via builtin --output dist\/tool dist\/tool-arm64 dist\/tool-amd64/,
      /go-macos-sign sign --via builtin --p12 "\$RUNNER_TEMP\/identity\.p12" --identifier com\.github\.acme\.tool dist\/tool/,
      /go-macos-sign notarize --via api --key-id "\$NOTARY_KEY_ID" --issuer "\$NOTARY_ISSUER" dist\/tool/,
      /go-macos-sign verify --readiness dist\/tool/,
      /gh release upload "\$GITHUB_REF_NAME" .*\.zip/,
    ])
      assert.match(runs(jobs.release), expected);
    const build = jobs.release.steps.find((s) => /go build/.test(s.run ?? ''))!;
    assert.deepEqual(build.env, { GOOS: 'darwin', CGO_ENABLED: '0' });
    assert.match(
      runs(jobs.release),
      /npm install --prefix "\$RUNNER_TEMP\/go-macos-sign" --no-audit --no-fund github:[\w.-]+\/[\w.-]+#[0-9a-f]{40}\n/,
    );
    assert.match(runs(jobs.lint), /go-macos-sign lint --format sarif \. > go-macos-sign\.sarif/);
    const upload = jobs.lint.steps.find((s) => s.uses?.startsWith('github/codeql-action/upload-sarif@'));
    assert.equal(upload?.with?.sarif_file, 'go-macos-sign.sarif');
  });

  it('holds no secret: only ${{ secrets.NAME }} references, in env maps', () => {
    const { text, jobs } = readWorkflow(dir);
    assert.ok(!text.includes(leak.password) && !text.includes('PRIVATE KEY'));
    const names = json.secrets.map((s) => s.name);
    for (const e of expressions(text)) assert.ok(e === 'github.token' || /^secrets\.[A-Z0-9_]+$/.test(e), e);
    for (const name of names) assert.ok(text.includes(`\${{ secrets.${name} }}`), name);
    for (const job of Object.values(jobs))
      for (const step of job.steps)
        assert.ok(!/secrets\./.test(step.run ?? ''), `no secret in a command line: ${step.run}`);
    assert.ok(!/secrets\./.test(text.replace(/^ {10}[A-Z0-9_]+: \$\{\{ secrets\.[A-Z0-9_]+ \}\}$/gm, '')));
  });

  it('keeps an existing workflow unless --force', () => {
    const file = path.join(dir, WORKFLOW);
    const before = fs.readFileSync(file, 'utf8');
    fs.appendFileSync(file, '# edited by hand\n');
    const refused = runCli('init', 'ci', dir);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /macos-release\.yml exists; --force replaces it/);
    assert.equal(fs.readFileSync(file, 'utf8'), `${before}# edited by hand\n`);
    const forced = runCli('init', 'ci', '--force', '--json', dir);
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepEqual((JSON.parse(forced.stdout) as InitCiJson).changes, ['replaced']);
    assert.equal(fs.readFileSync(file, 'utf8'), before);
  });

  it('with several programs, takes the one named like the module, else asks; --package chooses', () => {
    const named = goModule(['cmd/other']);
    const picked = runCli('init', 'ci', '--json', named);
    assert.equal(picked.code, 0, picked.stderr);
    assert.equal((JSON.parse(picked.stdout) as InitCiJson).package, './cmd/tool');
    const several = goModule(['cmd/other'], 'example.com/suite/v2');
    const r = runCli('init', 'ci', several);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /2 main packages \(\.\/cmd\/other, \.\/cmd\/tool\): choose one with --package/);
    const chosen = runCli('init', 'ci', '--json', '--package', 'cmd/other', several);
    assert.equal(chosen.code, 0, chosen.stderr);
    assert.equal((JSON.parse(chosen.stdout) as InitCiJson).name, 'other');
    const text = fs.readFileSync(path.join(several, WORKFLOW), 'utf8');
    assert.match(text, / -o dist\/other-arm64 \.\/cmd\/other$/m);
    assert.match(text, /--identifier com\.example\.suite\.other /);
  });

  it('refuses a directory without go.mod, and an unknown subcommand', () => {
    const empty = tempDir();
    assert.match(runCli('init', 'ci', empty).stderr, /no go\.mod/);
    const r = runCli('init', 'cd', empty);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /init takes a subcommand: init ci/);
  });
});

function runCliEnv(args: string[], env: NodeJS.ProcessEnv): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(REPO, 'dist', 'cli.js'), ...args], {
    ...CHILD_LIMIT,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs one `run:` step as GitHub's runner does (bash --noprofile --norc -eo pipefail), `${{ secrets.X }}` filled in. */
function runStep(
  step: Step,
  cwd: string,
  env: NodeJS.ProcessEnv,
  secrets: Record<string, string>,
): Promise<{ code: number | null; out: string }> {
  const stepEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(step.env ?? {}))
    stepEnv[k] = String(v).replace(/\$\{\{ secrets\.([A-Z0-9_]+) \}\}/g, (_, name: string) => secrets[name] ?? '');
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['--noprofile', '--norc', '-eo', 'pipefail', '-c', step.run!],
      { cwd, env: { ...env, ...stepEnv }, timeout: CHILD_LIMIT.timeout, encoding: 'utf8' },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, out: stdout + stderr }),
    );
  });
}

describe('init ci: the release job’s steps, run', () => {
  let tsa: Tsa;
  const pki = testPki();
  before(async () => {
    tsa = await startTsa();
  });
  after(() => tsa.stop());

  it('build, universal and sign produce a signed universal binary', async () => {
    const dir = goModule();
    assert.equal(runCli('init', 'ci', dir).code, 0);
    const { jobs } = readWorkflow(dir);
    // The runner's PATH, with `go` and the CLI as the workflow's setup steps install them.
    const bin = tempDir('gms-initci-bin-');
    fs.symlinkSync(goTool(), path.join(bin, 'go'));
    fs.writeFileSync(
      path.join(bin, 'go-macos-sign'),
      `#!/bin/sh\nexec "${process.execPath}" "${path.join(REPO, 'dist', 'cli.js')}" "$@"\n`,
      { mode: 0o755 },
    );
    const runnerTemp = tempDir('gms-initci-runner-');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: `${bin}${path.delimiter}${process.env.PATH}`,
      RUNNER_TEMP: runnerTemp,
      GOCACHE: path.join(CACHE, 'gocache'),
      GOPATH: path.join(CACHE, 'gopath'),
      GOTOOLCHAIN: 'local',
      GO_MACOS_SIGN_TSA_URL: tsa.url,
    };
    const secrets = {
      MACOS_P12_BASE64: fs.readFileSync(pki.developerId.p12).toString('base64'),
      MACOS_P12_PASSWORD: pki.password,
    };
    for (const name of ['Build darwin/arm64 and darwin/amd64', 'Universal binary', 'Sign']) {
      const step = jobs.release.steps.find((s) => s.name === name);
      assert.ok(step, name);
      const r = await runStep(step, dir, env, secrets);
      assert.equal(r.code, 0, `${name}: ${r.out}`);
      assert.ok(!r.out.includes(pki.password), 'the password is never printed');
    }
    const universal = path.join(dir, 'dist', 'tool');
    assert.match(
      run(lipoTool(), ['-info', universal]),
      /Architectures in the fat file: .*: (arm64 x86_64|x86_64 arm64)/,
    );
    const verified = runCli('verify', universal);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    assert.match(verified.stdout, /\(arm64\): valid \S+ signature/);
    assert.match(verified.stdout, /\(x86_64\): valid \S+ signature/);
    // Signed by the .p12 the secret held (the test PKI's Developer ID leaf), with the workflow's identifier.
    const inspected = JSON.parse(runCli('inspect', '--json', universal).stdout) as {
      architectures: { signature: { identifier: string; teamId: string; hardenedRuntime: boolean } }[];
    }[];
    for (const slice of inspected[0].architectures) {
      assert.equal(slice.signature.identifier, 'com.github.acme.tool');
      assert.equal(slice.signature.teamId, TEST_TEAM);
      assert.equal(slice.signature.hardenedRuntime, true);
    }
    // The decoded .p12 does not outlive its step.
    assert.deepEqual(fs.readdirSync(runnerTemp), []);
  });
});

const GORELEASER = `# This is an example .goreleaser.yml file with some sensible defaults.
# Make sure to check the documentation at https://goreleaser.com
version: 2

before:
  hooks:
    # You may remove this if you don't use go modules.
    - go mod tidy

builds:
  - id: tool # the command-line tool
    main: ./cmd/tool
    env:
      - CGO_ENABLED=0
    goos:
      - linux
      - windows
      - darwin
    flags:
      - -trimpath
    ldflags:
      - -s -w

archives:
  - formats: [tar.gz]
    # this name template makes the OS and Arch compatible with the results of \`uname\`.
    name_template: >-
      {{ .ProjectName }}_
      {{- title .Os }}_
      {{- if eq .Arch "amd64" }}x86_64
      {{- else }}{{ .Arch }}{{ end }}
    format_overrides:
      - goos: windows
        formats: [zip]

changelog:
  sort: asc
  filters:
    exclude:
      - "^docs:"
      - "^test:"

# yaml-language-server: $schema=https://goreleaser.com/static/schema.json
`;

describe('init ci --goreleaser', () => {
  const HOOKS = [
    'go-macos-sign sign --via builtin --p12 "{{ .Env.GO_MACOS_SIGN_P12 }}" --identifier com.github.acme.tool "{{ .Path }}"',
    'go-macos-sign notarize --via api --key-id "{{ .Env.NOTARY_KEY_ID }}" --issuer "{{ .Env.NOTARY_ISSUER }}" "{{ .Path }}"',
    'go-macos-sign verify --readiness "{{ .Path }}"',
  ];

  it('adds a signed, notarized universal binary, keeps every byte and comment, and lints clean', () => {
    const dir = goModule();
    const file = path.join(dir, '.goreleaser.yaml');
    fs.writeFileSync(file, GORELEASER);
    const r = runCli('init', 'ci', '--goreleaser', '--json', dir);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as InitCiJson;
    assert.equal(result.kind, 'goreleaser');
    assert.ok(result.environment.some((e) => e.startsWith('GO_MACOS_SIGN_P12:')));
    assert.ok(!fs.existsSync(path.join(dir, WORKFLOW)), 'no workflow in this mode');
    const text = fs.readFileSync(file, 'utf8');
    assert.ok(text.startsWith(GORELEASER), 'the original file is kept as written');
    const doc = parseDocument(text);
    assert.deepEqual(doc.errors, []);
    const value = doc.toJS() as {
      universal_binaries: { ids: string[]; replace: boolean; hooks: { post: string[] } }[];
    };
    assert.deepEqual(value.universal_binaries, [{ ids: ['tool'], replace: true, hooks: { post: HOOKS } }]);
    assert.ok(!/secrets|PRIVATE KEY/.test(text.slice(GORELEASER.length)));
    const lint = runCli('lint', '--format', 'json', file);
    assert.equal(lint.code, 0, lint.stdout + lint.stderr);
    assert.deepEqual(JSON.parse(lint.stdout), []);
    // Run again: nothing to add, nothing changed.
    const again = runCli('init', 'ci', '--goreleaser', '--json', dir);
    assert.deepEqual((JSON.parse(again.stdout) as InitCiJson).changes, []);
    assert.equal(fs.readFileSync(file, 'utf8'), text);
  });

  it('adds the hooks after the user’s own in an existing universal_binaries, comments kept', () => {
    const dir = goModule();
    const file = path.join(dir, '.goreleaser.yml');
    const existing = `${GORELEASER}universal_binaries:
  # one binary for both Macs
  - replace: false
    hooks:
      post: upx "{{ .Path }}" # compress
`;
    fs.writeFileSync(file, existing);
    const r = runCli('init', 'ci', '--goreleaser', dir);
    assert.equal(r.code, 0, r.stderr);
    const text = fs.readFileSync(file, 'utf8');
    for (const comment of [
      '# one binary for both Macs',
      '# compress',
      '# this name template makes',
      '# You may remove',
    ])
      assert.ok(text.includes(comment), comment);
    const value = parseDocument(text).toJS() as {
      universal_binaries: { replace: boolean; hooks: { post: string[] } }[];
    };
    assert.deepEqual(value.universal_binaries[0].hooks.post, ['upx "{{ .Path }}"', ...HOOKS]);
    assert.equal(value.universal_binaries[0].replace, true);
    const lint = runCli('lint', '--format', 'json', file);
    assert.deepEqual(JSON.parse(lint.stdout), []);
  });

  it('refuses a file whose builds never target darwin, and a missing file', () => {
    const dir = goModule();
    assert.match(runCli('init', 'ci', '--goreleaser', dir).stderr, /no \.goreleaser\.yaml/);
    fs.writeFileSync(path.join(dir, '.goreleaser.yaml'), 'builds:\n  - goos: [linux]\n');
    const r = runCli('init', 'ci', '--goreleaser', dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no build targets darwin/);
  });
});
