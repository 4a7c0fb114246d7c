/**
 * The editor's side of a notarization that can be left alone (client/src/notarizationRun.ts): the status bar read from
 * the real CLI's progress lines against the strict stand-in notary (the submission id checked against the stand-in's
 * own record), which runs are taken up again when VS Code starts, the one verdict sentence with its actions, and which
 * authentication the CLI gets off a Mac (client/src/pipelineArgs.ts notaryMethod).
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
  canCarryTicket,
  PendingRun,
  progressMessage,
  resumePlan,
  runProgress,
  statusText,
  stillWaiting,
  verdictNotice,
} from '../../client/src/notarizationRun';
import { notaryMethod } from '../../client/src/pipelineArgs';
import type { NotarizeResult, Submission } from '../../server/src/protocol';
import { startFakeNotary } from '../support/fakeNotary';
import { npmPackage, runCliAsync, tempDir } from '../support/tools';

const KEY_ID = 'ABCDE12345';
const ISSUER = '69a6de7e-1a2b-47e3-e053-5b8c7c11a4d1';

describe("the status bar follows the CLI's progress", () => {
  it('a real notarize --via api run: the submission id the stand-in issued, then its states up to the verdict', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const fake = await startFakeNotary({ publicKey, keyId: KEY_ID, issuer: ISSUER });
    try {
      const dir = tempDir();
      // A binary signed by its publisher with Developer ID, the hardened runtime and a timestamp: Accepted.
      const binary = path.join(dir, 'sentry-cli');
      fs.copyFileSync(path.join(npmPackage('@sentry/cli-darwin@3.8.0'), 'bin', 'sentry-cli'), binary);
      const env = {
        ...fake.env,
        GO_MACOS_SIGN_STATE_DIR: path.join(dir, 'state'),
        GO_MACOS_SIGN_NOTARY_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      };
      const args = ['notarize', '--json', '--key-id', KEY_ID, '--issuer', ISSUER, '--timeout', '60s', binary];
      const r = await runCliAsync(args, env);
      assert.equal(r.code, 0, r.stderr);
      const seen = r.stderr
        .split('\n')
        .map(runProgress)
        .filter((p) => p !== undefined);
      assert.equal(fake.submissions.length, 1);
      const id = fake.submissions[0].id;
      assert.deepEqual(seen[0], { state: 'zipped' });
      assert.deepEqual(seen[1], { submissionId: id, state: 'uploading' });
      assert.ok(seen.some((p) => p.state === 'waiting'));
      // The upload's progress lines (a tenth at a time) reach the status bar as a percentage, ending at 100%.
      assert.ok(
        seen.some((p) => p.state === 'uploading 100%'),
        JSON.stringify(seen),
      );
      assert.deepEqual(seen[seen.length - 1], { submissionId: id, state: 'Accepted' });
      assert.equal(statusText('sentry-cli', seen[1]), '$(sync~spin) Notarizing sentry-cli: uploading');
      assert.equal(
        progressMessage({ startedAt: '', ...seen[1] }),
        `uploading (submission ${id}); saved: a reload or a restart of VS Code resumes the wait`,
      );

      // Run again (what a restart does): the saved verdict is read, and the status bar learns it at once.
      const again = await runCliAsync(args, env);
      assert.equal(again.code, 0, again.stderr);
      const resumed = again.stderr
        .split('\n')
        .map(runProgress)
        .filter((p) => p !== undefined);
      assert.deepEqual(resumed[resumed.length - 1], { submissionId: id, state: 'Accepted' });
      assert.equal(fake.submissions.length, 1, 'nothing submitted again');
    } finally {
      await fake.close();
    }
  });

  it('lines about other things are not progress', () => {
    assert.equal(runProgress('warning: something else'), undefined);
    assert.equal(runProgress(''), undefined);
    assert.equal(statusText('x', undefined), '$(sync~spin) Notarizing x…');
  });
});

describe('which runs are taken up again when VS Code starts', () => {
  const submission = (artifact: string, id: string, status: string, submittedAt: string): Submission => ({
    id,
    artifact,
    status,
    submittedAt,
    archiveSha256: 'a'.repeat(64),
  });
  const inWorkspace = (a: string) => a.startsWith('/ws/');

  it('resumes runs with a saved submission and In Progress submissions of the workspace; forgets the rest', () => {
    const pending: Record<string, PendingRun> = {
      '/ws/dist/waiting': { startedAt: '2026-12-01T10:00:00.000Z', submissionId: 'id-1', state: 'In Progress' },
      // Killed before its submission existed: nothing was sent, so nothing is sent behind the user's back.
      '/ws/dist/never-sent': { startedAt: '2026-12-01T10:00:00.000Z' },
      // Its verdict reached the store while the window was closing: read again, without uploading.
      '/ws/dist/finished': { startedAt: '2026-12-01T10:00:00.000Z', state: 'uploading' },
      // An older run's submission is not this run's.
      '/ws/dist/stale': { startedAt: '2026-12-01T10:00:00.000Z' },
    };
    const saved = [
      submission('/ws/dist/waiting', 'id-1', 'In Progress', '2026-12-01T10:00:01.000Z'),
      submission('/ws/dist/finished', 'id-2', 'Accepted', '2026-12-01T10:00:02.000Z'),
      submission('/ws/dist/stale', 'id-3', 'Invalid', '2026-11-30T10:00:00.000Z'),
      submission('/ws/dist/from-terminal', 'id-4', 'In Progress', '2026-12-01T09:00:00.000Z'),
      submission('/elsewhere/app', 'id-5', 'In Progress', '2026-12-01T09:00:00.000Z'),
      submission('/ws/dist/abandoned', 'id-6', 'Abandoned', '2026-12-01T11:00:00.000Z'),
    ];
    assert.deepEqual(resumePlan(pending, saved, inWorkspace), {
      resume: ['/ws/dist/finished', '/ws/dist/from-terminal', '/ws/dist/waiting'],
      forget: ['/ws/dist/never-sent', '/ws/dist/stale'],
    });
  });

  it('an abandoned submission (its upload never finished) is not a reason to resume', () => {
    const pending = { '/ws/a': { startedAt: '2026-12-01T10:00:00.000Z', submissionId: 'x' } };
    const saved = [submission('/ws/a', 'x', 'Abandoned', '2026-12-01T10:00:01.000Z')];
    assert.deepEqual(resumePlan(pending, saved, inWorkspace), { resume: [], forget: ['/ws/a'] });
  });
});

describe("the verdict's one notification", () => {
  const result = (over: Partial<NotarizeResult>): NotarizeResult => ({
    status: 'Accepted',
    submissionId: 'id',
    issues: [],
    ticketCdhashes: ['c'],
    localCdhashes: ['c'],
    covered: true,
    log: '/ws/dist/x.notary-log.json',
    resumed: false,
    ...over,
  });

  it('an .app stapled: notarized and stapled, with Open Log', () => {
    assert.deepEqual(verdictNotice('/ws/A.app', result({}), { stapled: true, message: 'stapled' }), {
      text: 'notarized (the ticket covers every cdhash) and stapled.',
      actions: ['Open Log'],
    });
  });

  it('an .app whose ticket is not published yet: says why, and offers Staple', () => {
    const n = verdictNotice('/ws/A.app', result({}), { stapled: false, message: 'no ticket found for the cdhash' });
    assert.match(n.text, /not stapled: no ticket found/);
    assert.deepEqual(n.actions, ['Open Log', 'Staple']);
    assert.deepEqual(verdictNotice('/ws/A.dmg', result({ log: null }), { error: 'offline' }).actions, ['Staple']);
  });

  it('a bare binary: notarized, and why it is not stapled; no Staple action', () => {
    const n = verdictNotice('/ws/dist/tool', result({}), undefined);
    assert.match(n.text, /^notarized .*a bare binary cannot carry a ticket/);
    assert.deepEqual(n.actions, ['Open Log']);
  });

  it('Invalid: the count of issues in the Problems panel; a failure: its message', () => {
    const invalid = verdictNotice(
      '/ws/t',
      result({ status: 'Invalid', issues: [{} as never, {} as never] }),
      undefined,
    );
    assert.deepEqual(invalid, { text: 'Invalid: 2 issues in the Problems panel.', actions: ['Open Log'] });
    assert.deepEqual(verdictNotice('/ws/t', { error: 'HTTP 401' }, undefined), {
      text: 'failed: HTTP 401',
      actions: [],
    });
  });

  it('a wait that timed out: still In Progress, saved, and the run stays remembered', () => {
    const waiting = result({ status: 'In Progress', log: null, covered: false });
    assert.match(
      verdictNotice('/ws/t', waiting, undefined).text,
      /^still In Progress .*waits for it without uploading/,
    );
    assert.equal(stillWaiting(waiting), true);
    assert.equal(stillWaiting(result({})), false);
    assert.equal(stillWaiting({ error: 'x' }), false);
  });

  it('which artifacts can carry a ticket', () => {
    assert.deepEqual(['/a/X.app', '/a/X.app/', '/a/x.dmg', '/a/x.PKG', '/a/x', '/a/x.zip'].map(canCarryTicket), [
      true,
      true,
      true,
      true,
      false,
      false,
    ]);
  });
});

describe('how the CLI authenticates to the notary service', () => {
  it('a keychain profile needs xcrun: off a Mac without one, the API key', () => {
    assert.equal(notaryMethod('keychainProfile', false, undefined), 'apiKey');
    assert.equal(notaryMethod('keychainProfile', false, '/opt/fake/xcrun'), 'keychainProfile');
    assert.equal(notaryMethod('keychainProfile', true, undefined), 'keychainProfile');
    assert.equal(notaryMethod('apiKey', true, undefined), 'apiKey');
  });
});
