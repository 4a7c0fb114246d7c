/**
 * The logic behind the editor's Test Explorer, CodeLens and toolchain language status, without VS Code: readiness
 * tests from the engine's reports of real binaries and a real .app; the package clause of real Go sources, checked
 * against `go list`; the signer and notary client the status names, by the CLI's own rules; `go version`'s output.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { isConfiguredPackage, mainPackageLine, packageSetting, HEAD_CHARS } from '../../client/src/mainPackage';
import type { PipelineSettings } from '../../client/src/pipelineArgs';
import { readinessTests } from '../../client/src/readinessTests';
import { parseGoVersion, signingStatus, ToolchainFacts } from '../../client/src/toolchain';
import { inspectPath } from '../../server/src/inspect';
import { addNotarization, ticketQueriesOf } from '../../server/src/inspectOnline';
import { signArtifact } from '../../server/src/sign';
import { CHILD_LIMIT } from '../support/bounds';
import { buildGo, goTool, npmPackage, tempDir } from '../support/tools';
import { fakeTicket, startTicketServer } from '../support/ticketServer';

const outcomes = (tests: { id: string; outcome: string }[]) => Object.fromEntries(tests.map((t) => [t.id, t.outcome]));

describe('readiness tests for the Test Explorer', () => {
  it('groups every readiness check of real binaries under the names users ask about', async () => {
    const dir = tempDir();
    // The Go linker signs darwin/arm64 ad hoc and leaves darwin/amd64 unsigned (without-a-mac.md); sentry-cli is
    // signed by its publisher with Developer ID, the hardened runtime and a secure timestamp.
    const [amd64] = (await inspectPath(buildGo('amd64', dir))).reports;
    const [arm64] = (await inspectPath(buildGo('arm64', dir))).reports;
    const [sentry] = (await inspectPath(path.join(npmPackage('@sentry/cli-darwin@3.8.0'), 'bin', 'sentry-cli')))
      .reports;

    for (const report of [amd64, arm64, sentry]) {
      const tests = readinessTests(report);
      const ids = tests.map((t) => t.id);
      assert.deepEqual(ids.slice(0, 6), [
        'signed',
        'intact',
        'developer-id',
        'hardened-runtime',
        'timestamp',
        'entitlements',
      ]);
      assert.deepEqual(ids.slice(-2), ['notarized', 'stapled']);
      // Every check the engine reports is in exactly one test's message: none is hidden.
      for (const c of report.checks)
        assert.equal(tests.filter((t) => t.message.split('\n').some((l) => l.startsWith(`${c.id}:`))).length, 1, c.id);
      // A failure names the rule that explains it, and only a failure does.
      for (const t of tests) {
        if (t.outcome === 'failed' && !['notarized', 'stapled'].includes(t.id))
          assert.ok(
            report.checks.some((c) => c.id === t.ruleId && c.status === 'fail'),
            t.id,
          );
        if (t.outcome !== 'failed') assert.equal(t.ruleId, undefined, t.id);
      }
      // A bare Mach-O file cannot carry a ticket.
      assert.equal(tests.at(-1)!.outcome, 'skipped');
    }
    assert.equal(outcomes(readinessTests(amd64)).signed, 'failed');
    assert.equal(readinessTests(amd64)[0].ruleId, 'signature/present');
    const adhoc = outcomes(readinessTests(arm64));
    assert.equal(adhoc.signed, 'passed');
    assert.equal(adhoc['developer-id'], 'failed');
    assert.equal(adhoc['hardened-runtime'], 'failed');
    assert.equal(adhoc.timestamp, 'failed');
    const signed = outcomes(readinessTests(sentry));
    for (const id of ['signed', 'intact', 'developer-id', 'hardened-runtime', 'timestamp', 'entitlements'])
      assert.equal(signed[id], 'passed', id);
    assert.equal(signed.notarized, 'failed');

    // Notarized: only while Apple's accepted ticket covers the file's cdhashes.
    const cdhashes = sentry.architectures.map((a) => a.signature!.cdhash);
    const accepted = outcomes(readinessTests(sentry, { status: 'Accepted', submissionId: 's1', cdhashes }));
    assert.equal(accepted.notarized, 'passed');
    const rebuilt = readinessTests(sentry, { status: 'Accepted', submissionId: 's1', cdhashes: ['0'.repeat(40)] });
    assert.equal(outcomes(rebuilt).notarized, 'failed');
    assert.match(rebuilt.find((t) => t.id === 'notarized')!.message, /changed since/);
    const invalid = readinessTests(arm64, { status: 'Invalid', submissionId: 's2', cdhashes: [] });
    assert.match(invalid.find((t) => t.id === 'notarized')!.message, /Invalid/);
  });

  it("notarized passes on Apple's ticket alone (goMacosSign.checkTicketsOnline): a binary notarized in CI", async () => {
    const [sentry] = (await inspectPath(path.join(npmPackage('@sentry/cli-darwin@3.8.0'), 'bin', 'sentry-cli')))
      .reports;
    const records = ticketQueriesOf(sentry).map((w) => `${w.query.digestType}/${w.query.digestType}/${w.query.cdhash}`);
    assert.equal(records.length, 2, 'one record per slice');
    const tickets = await startTicketServer(new Map(records.map((r) => [r, fakeTicket('ci')])));
    try {
      const [online] = await addNotarization([structuredClone(sentry)], { url: tickets.url });
      assert.equal(online.notarization?.ticket, 'found');
      const notarized = readinessTests(online).find((t) => t.id === 'notarized')!;
      assert.equal(notarized.outcome, 'passed');
      assert.match(notarized.message, /ticket database/);
      assert.equal(outcomes(readinessTests(sentry)).notarized, 'failed', 'offline, nothing says so');
    } finally {
      await tickets.close();
    }
  });

  it('stapled: skipped for an app Apple has not accepted, failed once notarized, passed with the ticket in place', async () => {
    const app = path.join(tempDir(), 'terminal-notifier.app');
    fs.cpSync(path.join(npmPackage('node-notifier@10.0.1'), 'vendor', 'mac.noindex', 'terminal-notifier.app'), app, {
      recursive: true,
    });
    // Shipped unsigned: the builtin signer signs it (ad hoc is enough for what is tested here, the ticket's place).
    await signArtifact(app, { identity: null, runtime: true, timestampUrl: null });
    const [report] = (await inspectPath(app)).reports;
    assert.equal(report.kind, 'app');
    assert.equal(outcomes(readinessTests(report)).stapled, 'skipped');
    const cdhashes = report.architectures.map((a) => a.signature!.cdhash);
    const record = { status: 'Accepted', submissionId: 's', cdhashes };
    assert.equal(outcomes(readinessTests(report, record)).stapled, 'failed');
    // Where Apple's stapler puts a bundle's ticket (apple-rules, stapling).
    fs.writeFileSync(path.join(app, 'Contents', 'CodeResources'), 'ticket');
    const [stapled] = (await inspectPath(app)).reports;
    const result = outcomes(readinessTests(stapled, record));
    assert.equal(result.stapled, 'passed');
    assert.equal(result.notarized, 'passed');
  });
});

describe('the package clause for the CodeLens', () => {
  it('finds `package main` in real Go sources exactly where `go list` says the package is main', () => {
    const go = goTool();
    const listed = spawnSync(
      go,
      ['list', '-f', '{{.Dir}}\t{{.Name}}\t{{join .GoFiles ","}}', 'cmd/gofmt', 'cmd/vet', 'fmt', 'os'],
      {
        ...CHILD_LIMIT,
        encoding: 'utf8',
      },
    );
    assert.equal(listed.status, 0, listed.stderr);
    let mains = 0;
    let others = 0;
    for (const row of listed.stdout.trim().split('\n')) {
      const [dir, name, files] = row.split('\t');
      for (const file of files.split(',')) {
        const text = fs.readFileSync(path.join(dir, file), 'utf8');
        const line = mainPackageLine(text);
        if (name === 'main') {
          assert.notEqual(line, undefined, file);
          assert.match(text.split('\n')[line!], /^package main\b/, file);
          mains++;
        } else {
          assert.equal(line, undefined, `${dir}/${file}`);
          others++;
        }
      }
    }
    // cmd/gofmt's doc.go puts a long comment before the clause.
    assert.ok(mains >= 5 && others >= 20, `${mains} main files, ${others} others`);
  });

  it('skips comments and build constraints, and reads no further than the head', () => {
    assert.equal(mainPackageLine('//go:build darwin\n\n/* package main\n*/\npackage tool\n'), undefined);
    assert.equal(mainPackageLine('/* a */ package main // the program\n'), 0);
    assert.equal(mainPackageLine('// Copyright\n\n/*\nDoc.\n*/\n\npackage main\n\nimport "fmt"\n'), 6);
    assert.equal(mainPackageLine('package mainly\n'), undefined);
    assert.equal(mainPackageLine(`${'// x\n'.repeat(HEAD_CHARS / 5 + 1)}package main\n`), undefined);
  });

  it('tells whether a folder is the package goMacosSign.build.package builds', () => {
    assert.ok(isConfiguredPackage('', '.'));
    assert.ok(isConfiguredPackage('', ''));
    assert.ok(isConfiguredPackage('cmd/tool', './cmd/tool'));
    assert.ok(isConfiguredPackage('cmd/tool', './cmd/tool/'));
    assert.ok(!isConfiguredPackage('cmd/other', './cmd/tool'));
    assert.ok(!isConfiguredPackage('cmd/tool', '.'));
    assert.ok(isConfiguredPackage('cmd/tool', './cmd/...'));
    assert.ok(isConfiguredPackage('cmd/tool', './...'));
    assert.ok(!isConfiguredPackage('internal/x', './cmd/...'));
    assert.ok(isConfiguredPackage('cmd/tool', 'example.com/mod/cmd/tool'));
    assert.equal(packageSetting(''), '.');
    assert.equal(packageSetting('cmd/tool'), './cmd/tool');
  });
});

describe('the toolchain language status', () => {
  const base: PipelineSettings = {
    package: '.',
    name: '',
    outputDirectory: 'dist',
    ldflags: '',
    cgo: 'default',
    architectures: ['arm64', 'amd64'],
    identity: '',
    p12: '',
    identifier: '',
    entitlements: '',
    method: 'keychainProfile',
    keychainProfile: '',
    keyId: '',
    issuer: '',
    timeout: '30m',
    toolPaths: {},
  };
  const linux: ToolchainFacts = { onMac: false, codesign: false, xcrun: false, p12Password: false, notaryKey: false };
  const mac: ToolchainFacts = { onMac: true, codesign: true, xcrun: true, p12Password: false, notaryKey: false };

  it('warns when nothing can sign or notarize, and offers the command that fixes it', () => {
    const none = signingStatus(base, linux);
    assert.equal(none.text, 'cannot sign · cannot notarize');
    assert.ok(none.warning);
    assert.equal(none.fix?.command, 'goMacosSign.chooseIdentity');
    // A keychain identity and profile need codesign and notarytool: on Linux neither runs.
    const keychain = signingStatus(
      { ...base, identity: 'Developer ID Application: X (ABCDE12345)', keychainProfile: 'p' },
      linux,
    );
    assert.deepEqual([keychain.signer, keychain.notary, keychain.warning], ['none', 'none', true]);
  });

  it('names what each step will run, as the CLI chooses: builtin and the Notary API on Linux, codesign and notarytool on a Mac', () => {
    const ci = signingStatus(
      { ...base, p12: 'id.p12', method: 'apiKey', keyId: 'ABC123DEFG' },
      { ...linux, p12Password: true, notaryKey: true },
    );
    assert.deepEqual([ci.signer, ci.notary, ci.warning, ci.fix], ['builtin', 'api', false, undefined]);
    assert.equal(ci.text, 'builtin signer · Notary API');
    assert.match(ci.detail, /password stored/);
    const desk = signingStatus(
      { ...base, identity: 'Developer ID Application: X (ABCDE12345)', keychainProfile: 'notary' },
      mac,
    );
    assert.deepEqual([desk.signer, desk.notary, desk.warning], ['codesign', 'notarytool', false]);
    // An API key where xcrun runs goes to notarytool (notaryBackend's rule); without a stored key it is incomplete.
    const keyOnMac = signingStatus(
      { ...base, p12: 'id.p12', method: 'apiKey', keyId: 'K' },
      { ...mac, notaryKey: true },
    );
    assert.equal(keyOnMac.notary, 'notarytool');
    const noKey = signingStatus({ ...base, p12: 'id.p12', method: 'apiKey', keyId: 'K' }, linux);
    assert.deepEqual([noKey.notary, noKey.fix?.command], ['none', 'goMacosSign.setUpCredentials']);
    assert.match(noKey.detail, /no key stored/);
  });

  it('reads the version and host from the real `go version`', () => {
    const out = spawnSync(goTool(), ['version'], { ...CHILD_LIMIT, encoding: 'utf8' }).stdout;
    const parsed = parseGoVersion(out);
    const [, , version, host] = out.trim().split(' ');
    assert.deepEqual(parsed, { version, host });
    assert.equal(parseGoVersion('bash: go: command not found'), undefined);
  });
});
