/**
 * The client's logic that needs no VS Code: the CLI arguments each task and command runs (checked by running them
 * against the fake Apple tools, as a task would), parsing `security find-identity`, and the artifact states and
 * details the macOS Signing view shows, computed from the engine's reports of real binaries.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { artifactDetails, artifactState } from '../../client/src/artifactState';
import { cliArgs, parseIdentities, PipelineSettings, SettingsError } from '../../client/src/pipelineArgs';
import { inspectPath } from '../../server/src/inspect';
import { fakeApple } from '../support/fakeApple';
import { buildGo, goTool, lipoTool, npmPackage, REPO, tempDir } from '../support/tools';

const SETTINGS: PipelineSettings = {
  package: '.',
  name: 'hello',
  outputDirectory: 'dist',
  ldflags: '-s -w',
  cgo: 'default',
  architectures: ['arm64', 'amd64'],
  identity: 'Developer ID Application: Example Corp (ABCDE12345)',
  identifier: 'com.example.hello',
  entitlements: '',
  method: 'keychainProfile',
  keychainProfile: 'notary',
  keyId: '',
  issuer: '',
  timeout: '30m',
  toolPaths: {},
};

describe('CLI arguments from settings', () => {
  it('builds each step\'s command line, with secrets kept out of it', () => {
    assert.deepEqual(cliArgs('build', SETTINGS), ['build', '--package', '.', '--out', 'dist', '--name', 'hello', '--arch', 'arm64,amd64', '--ldflags', '-s -w']);
    assert.deepEqual(cliArgs('sign', SETTINGS, 'dist/hello'), ['sign', '--identity', SETTINGS.identity, '--identifier', 'com.example.hello', '--', 'dist/hello']);
    assert.deepEqual(cliArgs('notarize', { ...SETTINGS, method: 'apiKey', keyId: 'K1', issuer: 'I1', toolPaths: { xcrun: '/usr/bin/xcrun' } }, 'dist/hello', true), ['notarize', '--json', '--key-id', 'K1', '--issuer', 'I1', '--timeout', '30m', '--tool', 'xcrun=/usr/bin/xcrun', '--', 'dist/hello']);
    assert.deepEqual(cliArgs('verify', SETTINGS, '-odd name'), ['verify', '--readiness', '--', '-odd name']);
    assert.throws(() => cliArgs('sign', { ...SETTINGS, identity: '' }), SettingsError);
    assert.throws(() => cliArgs('notarize', { ...SETTINGS, keychainProfile: '' }), SettingsError);
  });

  it('runs as a task would: the release arguments drive the real CLI to the end with the fake Apple tools (exit 1: an ad-hoc signature is Invalid)', () => {
    const fake = fakeApple();
    const project = path.join(tempDir(), 'hello');
    fs.cpSync(path.join(REPO, 'examples', 'hello'), project, { recursive: true });
    const args = cliArgs('release', { ...SETTINGS, toolPaths: { go: goTool(), lipo: lipoTool() } }, undefined, true);
    const r = spawnSync(process.execPath, [path.join(REPO, 'dist', 'cli.js'), ...args], { cwd: project, env: { ...fake.env, GOCACHE: path.join(tempDir(), 'gocache') }, encoding: 'utf8' });
    const result = JSON.parse(r.stdout);
    // The fake codesign signs ad hoc (no test holds a Developer ID key), so the notary's verdict on the bytes is Invalid.
    assert.equal(result.notarization.status, 'Invalid');
    assert.ok(result.notarization.issues.some((i: { message: string }) => i.message === 'The binary is not signed with a valid Developer ID certificate.'));
    assert.equal(r.status, 1);
    assert.equal(result.ok, false);
    assert.equal(result.commands[0], `GOOS=darwin GOARCH=arm64 go build -trimpath -ldflags '-s -w' -o ${project}/dist/hello-darwin-arm64 .`);
  });

  it('reads the identities `security find-identity -v -p codesigning` prints', () => {
    const output = '  1) 1111111111111111111111111111111111111111 "Developer ID Application: Example Corp (ABCDE12345)"\n  2) 2222222222222222222222222222222222222222 "Apple Development: dev@example.com (FGHIJ67890)"\n     2 valid identities found\n';
    assert.deepEqual(parseIdentities(output), [
      { hash: '1111111111111111111111111111111111111111', name: 'Developer ID Application: Example Corp (ABCDE12345)', developerId: true },
      { hash: '2222222222222222222222222222222222222222', name: 'Apple Development: dev@example.com (FGHIJ67890)', developerId: false },
    ]);
  });
});

describe('artifact states for the macOS Signing view', () => {
  const rule = (id: string) => `https://example.test/${id}`;

  it('tells unsigned, ad-hoc, ready, notarized and broken apart on real files', async () => {
    const dir = tempDir();
    const arm64File = buildGo('arm64', dir);
    const [arm64] = (await inspectPath(arm64File)).reports;
    const [amd64] = (await inspectPath(buildGo('amd64', dir))).reports;
    assert.equal(artifactState(amd64), 'unsigned');
    assert.equal(artifactState(arm64), 'ad-hoc');

    const [sentry] = (await inspectPath(path.join(npmPackage('@sentry/cli-darwin@3.8.0'), 'bin', 'sentry-cli'))).reports;
    assert.equal(artifactState(sentry), 'ready');
    const cdhashes = sentry.architectures.map((a) => a.signature!.cdhash);
    assert.equal(artifactState(sentry, { status: 'Accepted', submissionId: 's', cdhashes }), 'notarized');
    // A record for other bytes (the file was rebuilt since) does not count.
    assert.equal(artifactState(sentry, { status: 'Accepted', submissionId: 's', cdhashes: ['0'.repeat(40)] }), 'ready');

    const tampered = path.join(dir, 'tampered');
    const bytes = fs.readFileSync(arm64File);
    bytes[0x2000] ^= 0xff;
    fs.writeFileSync(tampered, bytes);
    assert.equal(artifactState((await inspectPath(tampered)).reports[0]), 'broken');

    const details = artifactDetails(sentry, rule);
    assert.ok(details.some((n) => n.kind === 'check' && n.label === 'signature/developer-id' && n.icon === 'pass' && n.link === rule('signature/developer-id')));
    assert.ok(details.some((n) => n.kind === 'cdhash' && n.value === cdhashes[0]));
    assert.ok(details.some((n) => n.kind === 'timestamp'));
    assert.ok(details.some((n) => n.kind === 'group' && n.children?.some((c) => c.description === 'Apple root (pinned)')));
  });
});
