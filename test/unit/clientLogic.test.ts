/**
 * The client's logic that needs no VS Code: the CLI arguments each task and command runs (checked by running them
 * against the fake Apple tools, as a task would), parsing `security find-identity`, the artifact states and details
 * the macOS Signing view shows, computed from the engine's reports of real binaries, and the Notarize flow's
 * notification (one for the latest run; the spinner ends with the work), driven through a stand-in for withProgress.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { artifactDetails, artifactState } from '../../client/src/artifactState';
import { cliArgs, parseIdentities, PipelineSettings, SettingsError, stepSecrets } from '../../client/src/pipelineArgs';
import { LatestRunNotification, ProgressStep, WithProgress } from '../../client/src/runNotification';
import { inspectPath } from '../../server/src/inspect';
import { CHILD_LIMIT, waitUntil } from '../support/bounds';
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
  p12: '',
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
  it("builds each step's command line, with secrets kept out of it", () => {
    assert.deepEqual(cliArgs('build', SETTINGS), [
      'build',
      '--package',
      '.',
      '--out',
      'dist',
      '--name',
      'hello',
      '--arch',
      'arm64,amd64',
      '--ldflags',
      '-s -w',
    ]);
    assert.deepEqual(cliArgs('sign', SETTINGS, 'dist/hello'), [
      'sign',
      '--identity',
      SETTINGS.identity,
      '--identifier',
      'com.example.hello',
      '--',
      'dist/hello',
    ]);
    assert.deepEqual(
      cliArgs(
        'notarize',
        { ...SETTINGS, method: 'apiKey', keyId: 'K1', issuer: 'I1', toolPaths: { xcrun: '/usr/bin/xcrun' } },
        'dist/hello',
        true,
      ),
      [
        'notarize',
        '--json',
        '--key-id',
        'K1',
        '--issuer',
        'I1',
        '--timeout',
        '30m',
        '--tool',
        'xcrun=/usr/bin/xcrun',
        '--',
        'dist/hello',
      ],
    );
    assert.deepEqual(cliArgs('verify', SETTINGS, '-odd name'), ['verify', '--readiness', '--', '-odd name']);
    assert.throws(() => cliArgs('sign', { ...SETTINGS, identity: '' }), SettingsError);
    // A .p12 file is the builtin signer's identity on any OS; it wins over a keychain name, and its password is not here.
    assert.deepEqual(cliArgs('sign', { ...SETTINGS, p12: 'certs/id.p12' }, 'dist/hello'), [
      'sign',
      '--p12',
      'certs/id.p12',
      '--identifier',
      'com.example.hello',
      '--',
      'dist/hello',
    ]);
    assert.deepEqual(cliArgs('sign', { ...SETTINGS, identity: '', p12: 'id.p12' }).slice(0, 3), [
      'sign',
      '--p12',
      'id.p12',
    ]);
    assert.throws(() => cliArgs('notarize', { ...SETTINGS, keychainProfile: '' }), SettingsError);
  });

  it('gives each step only the secrets it needs: the notary key to notarize, the .p12 password to sign, both to release', () => {
    assert.deepEqual(stepSecrets('sign'), { notary: false, signing: true });
    assert.deepEqual(stepSecrets('notarize'), { notary: true, signing: false });
    assert.deepEqual(stepSecrets('release'), { notary: true, signing: true });
    for (const step of ['build', 'staple', 'verify', 'lint'] as const)
      assert.deepEqual(stepSecrets(step), { notary: false, signing: false });
  });

  it('runs as a task would: the release arguments drive the real CLI to the end with the fake Apple tools (exit 1: an ad-hoc signature is Invalid)', () => {
    const fake = fakeApple();
    const project = path.join(tempDir(), 'hello');
    fs.cpSync(path.join(REPO, 'examples', 'hello'), project, { recursive: true });
    const args = cliArgs('release', { ...SETTINGS, toolPaths: { go: goTool(), lipo: lipoTool() } }, undefined, true);
    // The fake codesign signs ad hoc on purpose: --force past the pre-flight, so the notary judges the bytes.
    const r = spawnSync(process.execPath, [path.join(REPO, 'dist', 'cli.js'), ...args, '--force'], {
      ...CHILD_LIMIT,
      cwd: project,
      env: { ...fake.env, GOCACHE: path.join(tempDir(), 'gocache') },
      encoding: 'utf8',
    });
    const result = JSON.parse(r.stdout);
    // The fake codesign signs ad hoc (no test holds a Developer ID key), so the notary's verdict on the bytes is Invalid.
    assert.equal(result.notarization.status, 'Invalid');
    assert.ok(
      result.notarization.issues.some(
        (i: { message: string }) => i.message === 'The binary is not signed with a valid Developer ID certificate.',
      ),
    );
    assert.equal(r.status, 1);
    assert.equal(result.ok, false);
    assert.equal(
      result.commands[0],
      `GOOS=darwin GOARCH=arm64 go build -trimpath -ldflags '-s -w' -o ${project}/dist/hello-darwin-arm64 .`,
    );
  });

  it('reads the identities `security find-identity -v -p codesigning` prints', () => {
    const output =
      '  1) 1111111111111111111111111111111111111111 "Developer ID Application: Example Corp (ABCDE12345)"\n  2) 2222222222222222222222222222222222222222 "Apple Development: dev@example.com (FGHIJ67890)"\n     2 valid identities found\n';
    assert.deepEqual(parseIdentities(output), [
      {
        hash: '1111111111111111111111111111111111111111',
        name: 'Developer ID Application: Example Corp (ABCDE12345)',
        developerId: true,
      },
      {
        hash: '2222222222222222222222222222222222222222',
        name: 'Apple Development: dev@example.com (FGHIJ67890)',
        developerId: false,
      },
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

    const [sentry] = (await inspectPath(path.join(npmPackage('@sentry/cli-darwin@3.8.0'), 'bin', 'sentry-cli')))
      .reports;
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
    assert.ok(
      details.some(
        (n) =>
          n.kind === 'check' &&
          n.label === 'signature/developer-id' &&
          n.icon === 'pass' &&
          n.link === rule('signature/developer-id'),
      ),
    );
    assert.ok(details.some((n) => n.kind === 'cdhash' && n.value === cdhashes[0]));
    assert.ok(details.some((n) => n.kind === 'timestamp'));
    assert.ok(
      details.some((n) => n.kind === 'group' && n.children?.some((c) => c.description === 'Apple root (pinned)')),
    );
  });
});

/** What VS Code's notification area would hold: each withProgress notification, open until its task settles. */
class Notifications {
  readonly shown: { title: string; steps: ProgressStep[]; open: boolean; cancel: () => void }[] = [];
  readonly withProgress: WithProgress = (title, task) => {
    const cancelListeners: (() => void)[] = [];
    const n = { title, steps: [] as ProgressStep[], open: true, cancel: () => cancelListeners.forEach((l) => l()) };
    this.shown.push(n);
    return task(
      (step) => n.steps.push(step),
      (listener) => cancelListeners.push(listener),
    ).finally(() => (n.open = false));
  };
  get onScreen() {
    return this.shown.filter((n) => n.open).map((n) => `${n.title}: ${n.steps.at(-1)?.message ?? ''}`);
  }
}

function spinner() {
  return {
    spinning: false,
    show() {
      this.spinning = true;
    },
    hide() {
      this.spinning = false;
    },
  };
}

/** A promise the test resolves: the moment Apple's verdict arrives. */
function gate<T>() {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("the Notarize flow's notification", () => {
  it("ends the spinner with the work, shows the verdict in the run's own notification, and the next run replaces it", async () => {
    const notifications = new Notifications();
    const busy = spinner();
    const flow = new LatestRunNotification(notifications.withProgress, busy);

    const invalid = gate<string>();
    const first = flow.run('Notarization of hello', 'Notarizing hello…', async (report) => {
      report('waiting for Apple');
      return invalid.promise;
    });
    await settle();
    assert.equal(busy.spinning, true);
    assert.deepEqual(notifications.onScreen, ['Notarization of hello: waiting for Apple']);
    invalid.open('Invalid: 2 issues in the Problems panel.');
    await first;
    assert.equal(busy.spinning, false, 'no spinner while the verdict is on screen');
    assert.deepEqual(notifications.onScreen, ['Notarization of hello: Invalid: 2 issues in the Problems panel.']);
    assert.deepEqual(notifications.shown[0].steps.at(-1), {
      message: 'Invalid: 2 issues in the Problems panel.',
      increment: 100,
    });

    const accepted = gate<string>();
    const second = flow.run('Notarization of hello', 'Notarizing hello…', async (report) => {
      report('waiting for Apple');
      return accepted.promise;
    });
    await settle();
    assert.equal(busy.spinning, true);
    assert.deepEqual(
      notifications.onScreen,
      ['Notarization of hello: waiting for Apple'],
      'the Invalid verdict is gone',
    );
    accepted.open('notarized (the ticket covers every cdhash).');
    await second;
    await settle();
    assert.equal(busy.spinning, false);
    assert.deepEqual(notifications.onScreen, ['Notarization of hello: notarized (the ticket covers every cdhash).']);
    flow.dispose();
    await settle();
    assert.deepEqual(notifications.onScreen, []);
  });

  it('Cancel stops the work while it runs and closes the verdict afterwards; a verdict closes by itself after a while', async () => {
    const notifications = new Notifications();
    const busy = spinner();
    const flow = new LatestRunNotification(notifications.withProgress, busy, 20);
    let aborted = false;
    const running = flow.run(
      'Notarization of a',
      'Notarizing a…',
      (_report, signal) =>
        new Promise((resolve) =>
          signal.addEventListener('abort', () => {
            aborted = true;
            resolve(undefined);
          }),
        ),
    );
    await settle();
    notifications.shown[0].cancel();
    await running;
    await settle();
    assert.ok(aborted);
    assert.equal(busy.spinning, false);
    assert.deepEqual(notifications.onScreen, []);

    await flow.run('Notarization of b', 'Notarizing b…', async () => 'Invalid: 1 issue in the Problems panel.');
    assert.equal(notifications.onScreen.length, 1);
    notifications.shown[1].cancel();
    await settle();
    assert.deepEqual(notifications.onScreen, []);

    await flow.run('Notarization of c', 'Notarizing c…', async () => 'notarized.');
    await waitUntil('the verdict to close by itself', () => notifications.onScreen.length === 0, 10_000, 5);
  });

  it('keeps the spinner while another run still works, and a failing run ends its notification', async () => {
    const notifications = new Notifications();
    const busy = spinner();
    const flow = new LatestRunNotification(notifications.withProgress, busy);
    const slow = gate<string>();
    const first = flow.run('Notarization of a', 'Notarizing a…', () => slow.promise);
    await assert.rejects(
      flow.run('Notarization of b', 'Notarizing b…', async () => {
        throw new Error('spawn failed');
      }),
      /spawn failed/,
    );
    await settle();
    assert.equal(busy.spinning, true, 'a is still working');
    assert.deepEqual(notifications.onScreen, ['Notarization of a: ']);
    slow.open('Accepted');
    await first;
    assert.equal(busy.spinning, false);
    flow.dispose();
  });

  it('a notification that cannot be shown fails the run and stops the spinner', async () => {
    const busy = spinner();
    const flow = new LatestRunNotification(() => Promise.reject(new Error('no window')), busy);
    await assert.rejects(
      flow.run('Notarization of a', 'Notarizing a…', async () => 'Accepted'),
      /no window/,
    );
    assert.equal(busy.spinning, false);
  });
});
