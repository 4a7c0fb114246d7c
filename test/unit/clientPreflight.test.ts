/**
 * The Notarize flow's handling of the CLI's pre-flight refusal, with no VS Code (client/src/preflightRefusal.ts): the
 * `notarize --json` documents come from the real CLI run on real Go binaries (and a zip of one) against the fake Apple
 * tools, so the client reads exactly what the CLI prints; the Problems-panel entries carry Apple's message (apple-rules
 * §3.2), our fix and Apple's page; "Submit Anyway" is the same command line with --force, which the CLI takes.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { cliArgs, PipelineSettings } from '../../client/src/pipelineArgs';
import {
  preflightProblems,
  problemsByFile,
  refusalNotice,
  refusedPreflight,
  withForce,
} from '../../client/src/preflightRefusal';
import type { NotarizeJson } from '../../server/src/protocol';
import { CHILD_LIMIT } from '../support/bounds';
import { fakeApple, FakeApple } from '../support/fakeApple';
import { buildGo, REPO, tempDir } from '../support/tools';

const RESOLVING =
  'https://developer.apple.com/documentation/security/notarizing_macos_software_before_distribution/resolving_common_notarization_issues#';
/** apple-rules §3.2: what Apple's log says about Go's darwin/amd64 output (unsigned). */
const UNSIGNED = [
  ['The binary is not signed.', `${RESOLVING}3087721`],
  ['The signature does not include a secure timestamp.', `${RESOLVING}3087733`],
  ['The executable does not have the hardened runtime enabled.', `${RESOLVING}3087724`],
];

const SETTINGS: PipelineSettings = {
  package: '.',
  name: 'hello',
  outputDirectory: 'dist',
  ldflags: '',
  cgo: 'default',
  architectures: ['arm64', 'amd64'],
  identity: '',
  p12: '',
  identifier: '',
  entitlements: '',
  method: 'keychainProfile',
  keychainProfile: 'notary',
  keyId: '',
  issuer: '',
  timeout: '30m',
  toolPaths: {},
};

describe("the Notarize flow when the CLI's pre-flight refuses", () => {
  const dir = tempDir('gms-client-preflight-');
  let apple: FakeApple;
  let amd64: string;

  /** The client's own command line for `artifact`, run with the real CLI and the fake Apple tools. */
  function notarize(artifact: string, force = false): { code: number | null; json: NotarizeJson } {
    const args = cliArgs('notarize', SETTINGS, artifact, true);
    const r = spawnSync(process.execPath, [path.join(REPO, 'dist', 'cli.js'), ...(force ? withForce(args) : args)], {
      ...CHILD_LIMIT,
      env: apple.env,
      encoding: 'utf8',
    });
    return { code: r.status, json: JSON.parse(r.stdout) as NotarizeJson };
  }

  before(() => {
    apple = fakeApple();
    amd64 = buildGo('amd64', dir);
  });

  it("puts one problem per finding on the binary: Apple's message and our fix, the rule linked to Apple's page", () => {
    const { code, json } = notarize(amd64);
    assert.equal(code, 1);
    assert.deepEqual(apple.calls(), [], 'nothing ran');
    const refused = refusedPreflight(json);
    assert.ok(refused, JSON.stringify(json));
    const problems = preflightProblems(refused, amd64);
    assert.deepEqual(
      problems.map((p) => [p.file, p.message.split(' (')[0], p.code.target]).sort(),
      UNSIGNED.map(([message, docUrl]) => [amd64, message, docUrl]).sort(),
    );
    for (const p of problems) {
      assert.match(p.message, /^The .*\(x86_64\) Fix: \S/);
      assert.match(p.code.value, /^[a-z]+\/[a-z-]+$/);
    }
    assert.deepEqual([...problemsByFile(problems).keys()], [amd64]);
    assert.deepEqual(refusalNotice(refused), {
      text: 'Notarization stopped: 3 problems Apple would reject',
      actions: ['Show Problems', 'Submit Anyway'],
    });
  });

  it('a zip entry is shown on the zip, named as Apple names it', () => {
    const root = path.join(dir, 'zipped');
    fs.mkdirSync(root);
    fs.copyFileSync(amd64, path.join(root, 'tool'));
    const zip = path.join(dir, 'tool.zip');
    execFileSync('zip', ['-q', zip, 'tool'], { ...CHILD_LIMIT, cwd: root });
    const refused = refusedPreflight(notarize(zip).json);
    assert.ok(refused);
    const problems = preflightProblems(refused, zip);
    assert.equal(problems.length, 3);
    for (const p of problems) {
      assert.equal(p.file, zip);
      assert.ok(p.message.includes('(tool.zip/tool, x86_64)'), p.message);
    }
  });

  it('"Submit Anyway" is the same command line with --force before "--": the CLI submits, and that is no refusal', () => {
    const args = cliArgs('notarize', SETTINGS, '-odd name', true);
    const forced = withForce(args);
    assert.deepEqual(forced.slice(-3), ['--force', '--', '-odd name']);
    assert.deepEqual(withForce(forced), forced);
    const before = apple.calls().length;
    const { json } = notarize(amd64, true);
    assert.ok(
      apple
        .calls()
        .slice(before)
        .some((c) => c[0] === 'xcrun'),
      'submitted',
    );
    assert.ok(!('error' in json) && json.status === 'Invalid', JSON.stringify(json));
    assert.equal(refusedPreflight(json), null);
    assert.equal(json.preflight.findings.length, 3, 'the verdict still carries what the pre-flight found');
  });
});
