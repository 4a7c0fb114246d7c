/**
 * The CLI as users run it: the bundled dist/cli.js in a child process, on real files.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import type { InspectReport } from '../../server/src/protocol';
import { CHILD_LIMIT } from '../support/bounds';
import { buildGo, lipoCreate, npmPackage, REPO, tempDir } from '../support/tools';

const dir = tempDir();
let arm64: string;
let universal: string;

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(REPO, 'dist', 'cli.js'), ...args], {
    ...CHILD_LIMIT,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(() => {
  arm64 = buildGo('arm64', dir);
  universal = lipoCreate(path.join(dir, 'universal'), [arm64, buildGo('amd64', dir)]);
});

describe('go-macos-sign inspect --json', () => {
  it('prints the documented shape for every path', () => {
    const r = cli('inspect', '--json', arm64, universal);
    assert.equal(r.code, 1, 'a fresh Go build fails readiness checks');
    const reports = JSON.parse(r.stdout) as InspectReport[];
    assert.deepEqual(
      reports.map((x) => [x.path, x.kind]),
      [
        [arm64, 'macho'],
        [universal, 'universal'],
      ],
    );
    for (const report of reports) {
      assert.ok(Array.isArray(report.checks) && report.checks.length === 12);
      for (const slice of report.architectures) {
        for (const key of ['arch', 'fileType', 'minOS', 'sdk', 'signature', 'verification'])
          assert.ok(key in slice, key);
        assert.deepEqual(Object.keys(slice.verification).sort(), ['failures', 'pagesChecked', 'valid', 'warnings']);
        if (slice.signature) {
          for (const key of [
            'kind',
            'identifier',
            'teamId',
            'flags',
            'hardenedRuntime',
            'cdhash',
            'codeDirectoryVersion',
            'hashType',
            'certificates',
            'signingTime',
            'timestamp',
            'entitlements',
          ]) {
            assert.ok(key in slice.signature, key);
          }
        }
      }
      for (const c of report.checks) assert.match(c.status, /^(pass|warn|fail|n\/a)$/);
    }
  });

  it('exits 0 for a Developer ID, hardened, timestamped universal binary', () => {
    const sentry = path.join(npmPackage('@sentry/cli-darwin@3.8.0'), 'bin', 'sentry-cli');
    const r = cli('inspect', sentry);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Developer ID Application: GetSentry LLC \(97JCY7859U\)/);
    assert.match(r.stdout, /timestamp/);
    assert.match(r.stdout, /warn\s+signature\/identifier/);
  });
});

describe('go-macos-sign inspect (text)', () => {
  it('shows each slice, its signer and the readiness report', () => {
    const r = cli('inspect', universal);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /universal \(x86_64, arm64\)|universal \(arm64, x86_64\)/);
    assert.match(r.stdout, /signature\s+linker-signed/);
    assert.match(r.stdout, /signature\s+none/);
    assert.match(r.stdout, /FAIL\s+signature\/present\s+x86_64: no code signature/);
    assert.equal(r.stderr, '');
  });

  it('--arch sets the architectures every file must contain', () => {
    const r = cli('inspect', '--arch', 'arm64,x86_64', arm64);
    assert.match(r.stdout, /FAIL\s+macho\/architectures\s+missing x86_64/);
  });
});

describe('go-macos-sign lint', () => {
  it('finds *.entitlements in a directory, prints JSON with zero-based LSP ranges, exits 1 on errors', () => {
    const project = path.join(dir, 'project');
    fs.mkdirSync(path.join(project, 'build'), { recursive: true });
    fs.writeFileSync(
      path.join(project, 'build', 'release.entitlements'),
      '<plist>\n<dict>\n<key>com.apple.security.get-task-allow</key><true/>\n</dict>\n</plist>\n',
    );
    fs.writeFileSync(path.join(project, 'notes.plist'), 'not linted: not an .entitlements file');
    const r = cli('lint', '--format', 'json', project);
    assert.equal(r.code, 1);
    assert.deepEqual(JSON.parse(r.stdout), [
      {
        file: path.join(project, 'build', 'release.entitlements'),
        range: { start: { line: 2, character: 5 }, end: { line: 2, character: 38 } },
        severity: 'error',
        code: 'entitlements/get-task-allow',
        message:
          'get-task-allow lets any debugger attach; notarization rejects it. Keep it in a debug-only entitlements file',
      },
    ]);
    const text = cli('lint', project);
    assert.match(text.stdout, /release\.entitlements:3:6: error entitlements\/get-task-allow/);
  });

  it("--rule changes a rule's severity or turns it off", () => {
    const project = path.join(dir, 'project');
    const lowered = cli('lint', '--format', 'json', '--rule', 'entitlements/get-task-allow=warning', project);
    assert.equal(lowered.code, 0, 'no error left');
    assert.equal(JSON.parse(lowered.stdout)[0].severity, 'warning');
    const off = cli('lint', '--format', 'json', '--rule=entitlements/get-task-allow=off', project);
    assert.deepEqual(JSON.parse(off.stdout), []);
    assert.equal(cli('lint', '--rule', 'entitlements/get-task-allow=loud', project).code, 2);
  });

  it('prints SARIF 2.1.0 for code scanning', () => {
    const project = path.join(dir, 'project');
    const r = spawnSync(process.execPath, [path.join(REPO, 'dist', 'cli.js'), 'lint', '--format', 'sarif', '.'], {
      ...CHILD_LIMIT,
      cwd: project,
      encoding: 'utf8',
    });
    assert.equal(r.status, 1);
    const sarif = JSON.parse(r.stdout);
    assert.equal(sarif.version, '2.1.0');
    const run = sarif.runs[0];
    assert.equal(run.tool.driver.name, 'go-macos-sign');
    assert.deepEqual(
      run.tool.driver.rules.map((x: { id: string }) => x.id),
      ['entitlements/get-task-allow'],
    );
    assert.match(run.tool.driver.rules[0].helpUri, /docs\/rules\/entitlements\/get-task-allow\.md$/);
    assert.deepEqual(run.results[0].locations[0].physicalLocation, {
      artifactLocation: { uri: 'build/release.entitlements' },
      region: { startLine: 3, startColumn: 6, endLine: 3, endColumn: 39 },
    });
    assert.equal(run.results[0].level, 'error');
  });

  it('exits 0 on clean files written by others, 2 on a usage error', () => {
    const electron = path.join(npmPackage('@electron/osx-sign@1.3.3'), 'entitlements', 'default.darwin.plist');
    assert.equal(cli('lint', electron).code, 0);
    assert.equal(cli('lint', '--format', 'xml', electron).code, 2);
    assert.equal(cli('lint', path.join(dir, 'missing.entitlements')).code, 2);
  });

  it('finds build files and go.mod in a directory (dot folders included), with JSON and SARIF output', () => {
    const seed = path.join(REPO, 'test', 'fixtures', 'build', 'seed');
    const r = cli('lint', '--format', 'json', seed);
    assert.equal(r.code, 1);
    const found = JSON.parse(r.stdout) as { file: string; code: string }[];
    assert.deepEqual([...new Set(found.map((d) => path.relative(seed, d.file)))].sort(), [
      '.github/workflows/release.yml',
      '.goreleaser.yaml',
      'Makefile',
      'release.sh',
    ]);
    const fixed = cli('lint', path.join(REPO, 'test', 'fixtures', 'build', 'fixed'));
    assert.deepEqual([fixed.code, fixed.stdout.trim()], [0, 'no problems found']);

    // go.mod: without go list, the known-modules layer; the entitlements file named by codesign is linked as related.
    const project = path.join(dir, 'go-project');
    fs.mkdirSync(project, { recursive: true });
    fs.writeFileSync(
      path.join(project, 'go.mod'),
      'module example.com/p\n\ngo 1.22\n\nrequire github.com/mattn/go-sqlite3 v1.14.16\n',
    );
    fs.writeFileSync(
      path.join(project, 'app.entitlements'),
      '<plist><dict><key>com.apple.security.get-task-allow</key><true/></dict></plist>\n',
    );
    fs.writeFileSync(
      path.join(project, 'sign.sh'),
      'codesign -f -o runtime --timestamp --entitlements app.entitlements -s "Developer ID Application: X (T)" tool\n',
    );
    const sarif = JSON.parse(
      spawnSync(
        process.execPath,
        [path.join(REPO, 'dist', 'cli.js'), 'lint', '--no-go-list', '--format', 'sarif', '.'],
        {
          ...CHILD_LIMIT,
          cwd: project,
          encoding: 'utf8',
          env: { ...process.env, GOMODCACHE: path.join(dir, 'empty') },
        },
      ).stdout,
    );
    const results = sarif.runs[0].results as {
      ruleId: string;
      relatedLocations?: { physicalLocation: { artifactLocation: { uri: string } } }[];
    }[];
    assert.deepEqual(results.map((x) => x.ruleId).sort(), [
      'codesign/entitlements-file',
      'entitlements/get-task-allow',
      'gomod/cgo-dependency',
    ]);
    assert.equal(
      results.find((x) => x.ruleId === 'codesign/entitlements-file')?.relatedLocations?.[0].physicalLocation
        .artifactLocation.uri,
      'app.entitlements',
    );
  });
});

describe('go-macos-sign usage errors', () => {
  it('lint: a file named explicitly that is not a kind we lint is an unsupported file type (exit 2), with nothing printed', () => {
    const notes = path.join(dir, 'notes.txt');
    fs.writeFileSync(notes, 'remember to notarize\n');
    for (const file of [notes, arm64]) {
      const r = cli('lint', file);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.equal(r.stdout, '');
      assert.equal(
        r.stderr,
        `go-macos-sign: ${file}: unsupported file type: lint reads entitlements (*.entitlements or a property list), Info.plist, go.mod, Makefiles, justfiles, shell scripts, .goreleaser.yaml, GitHub workflows, Taskfiles and .vscode/tasks.json or settings.json\n`,
      );
    }
    // A property list under another name is still read as entitlements, and a script is known by its shebang.
    const plist = path.join(dir, 'entitlements.plist');
    fs.writeFileSync(
      plist,
      '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0"><dict><key>com.apple.security.get-task-allow</key><true/></dict></plist>\n',
    );
    assert.match(cli('lint', plist).stdout, /entitlements\/get-task-allow/);
    const script = path.join(dir, 'release');
    fs.writeFileSync(script, '#!/bin/sh\nxcrun notarytool submit tool -p prof --wait\n');
    assert.match(cli('lint', script).stdout, /notarytool\/unsupported-container/);
  });

  it('--rule with an unknown rule id is a usage error', () => {
    const r = cli('lint', '--rule', 'codesign/no-such-rule=off', path.join(dir, 'entitlements.plist'));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^go-macos-sign: --rule: unknown rule "codesign\/no-such-rule"/);
    assert.equal(r.stdout, '');
  });

  it("--arch takes Go's names (amd64 = x86_64) and rejects unknown ones, for inspect and lint", () => {
    const both = cli('inspect', '--arch', 'amd64,arm64', universal);
    assert.match(both.stdout, /pass\s+macho\/architectures\s+x86_64, arm64\n/, both.stdout);
    assert.match(cli('inspect', '--arch=amd64', arm64).stdout, /FAIL\s+macho\/architectures\s+missing x86_64/);
    for (const command of ['inspect', 'lint']) {
      const r = cli(command, '--arch', 'arm64,i386', command === 'lint' ? path.join(dir, 'entitlements.plist') : arm64);
      assert.equal(r.code, 2, `${command}: ${r.stdout}`);
      assert.match(r.stderr, /--arch: unknown architecture "i386"/);
    }
    const gomod = path.join(dir, 'old-go', 'go.mod');
    fs.mkdirSync(path.dirname(gomod));
    fs.writeFileSync(gomod, 'module m\n\ngo 1.15\n');
    assert.match(cli('lint', '--no-go-list', '--arch', 'arm64', gomod).stdout, /gomod\/go-version/);
    assert.equal(cli('lint', '--no-go-list', '--arch', 'amd64', gomod).stdout.trim(), 'no problems found');
  });
});

describe('go-macos-sign verify', () => {
  it('exits 0 when every slice is intact, 1 when one is unsigned', () => {
    const ok = cli('verify', arm64);
    assert.equal(ok.code, 0);
    assert.match(ok.stdout, /\(arm64\): valid linker-signed signature, \d+ pages checked/);
    const mixed = cli('verify', universal);
    assert.equal(mixed.code, 1);
    assert.match(mixed.stdout, /\(x86_64\): not signed/);
  });

  it('handles odd file names: spaces, a newline, non-ASCII, and -- before a path', () => {
    const odd = path.join(dir, '-odd name\n✓.bin');
    fs.copyFileSync(arm64, odd);
    const r = cli('verify', '--', odd);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.includes(odd));
  });

  it('prints usage with --help and exits 0', () => {
    const r = cli('--help');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /usage: go-macos-sign/);
  });
});
