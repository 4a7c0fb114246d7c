/**
 * The task terminal that runs the CLI itself (client/src/processTerminal.ts), on real processes: what reaches the
 * terminal, the exit code it reports, Ctrl-C and closing; the real CLI stopped mid-notarization by a closed terminal
 * keeps its submission saved. And the pipeline tasks (client/src/tasks.ts, loaded with the `vscode` stand-in of
 * test/support/vscodeStub.ts): a task whose CLI needs a secret holds none in anything VS Code could keep, and its
 * process gets the secret in its environment when it runs.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  commandLine,
  exitCodeOf,
  inputSignal,
  ProcessSpec,
  ProcessTerminal,
  terminalText,
} from '../../client/src/processTerminal';
import type { Submission } from '../../server/src/protocol';
import { waitUntil, within } from '../support/bounds';
import { FakeNotary, startFakeNotary } from '../support/fakeNotary';
import { buildGo, REPO, runCli, runCliAsync, tempDir } from '../support/tools';
import { stub, useVscodeStub } from '../support/vscodeStub';

useVscodeStub();
const { PipelineTasks } = require('../../client/src/tasks') as typeof import('../../client/src/tasks');
const settingsModule = require('../../client/src/settings') as typeof import('../../client/src/settings');

/** Opens `terminal`, calls `during` with its output so far, and resolves once it closes. */
async function run(
  terminal: ProcessTerminal,
  during?: (output: () => string) => Promise<void>,
): Promise<{ output: string; code: number }> {
  let output = '';
  terminal.onDidWrite((text) => (output += text));
  const closed = new Promise<number>((resolve) => terminal.onDidClose((code) => resolve(code)));
  terminal.open();
  await during?.(() => output);
  const code = await within(closed, 120_000, 'the terminal to close');
  return { output, code };
}

const node = (script: string, env: Record<string, string> = {}): ProcessSpec => ({
  command: process.execPath,
  args: ['-e', script],
  cwd: tempDir(),
  env,
});

describe('the task terminal: pure parts', () => {
  it('turns every line ending into CR LF, leaving CR LF as it is', () => {
    assert.equal(terminalText('a\nb\r\nc\n'), 'a\r\nb\r\nc\r\n');
    assert.equal(terminalText('no ending'), 'no ending');
    assert.equal(terminalText('progress\r50%\n'), 'progress\r50%\r\n');
  });

  it("reports the child's exit code, or 128 + the signal's number as a shell does", () => {
    assert.equal(exitCodeOf(0, null), 0);
    assert.equal(exitCodeOf(2, null), 2);
    assert.equal(exitCodeOf(null, 'SIGINT'), 130);
    assert.equal(exitCodeOf(null, 'SIGTERM'), 143);
    assert.equal(exitCodeOf(null, null), 1);
  });

  it('reads Ctrl-C in typed input, and nothing else', () => {
    assert.equal(inputSignal('\x03'), 'SIGINT');
    assert.equal(inputSignal('y\x03'), 'SIGINT');
    assert.equal(inputSignal('q'), undefined);
    assert.equal(inputSignal('\r'), undefined);
  });

  it('echoes a command line quoted as a shell would need it', () => {
    assert.equal(
      commandLine(['go-macos-sign', 'sign', '--identity', 'Developer ID Application: A (B)', '--', "it's/x"]),
      `go-macos-sign sign --identity 'Developer ID Application: A (B)' -- 'it'\\''s/x'`,
    );
  });
});

describe('the task terminal on real processes', () => {
  it('streams stdout and stderr with CR LF, passes the environment and the folder, and closes with the exit code', async () => {
    const spec = node(
      "process.stdout.write('out 1\\nout 2\\n'); process.stderr.write('err é\\n'); " +
        "console.log('cwd=' + process.cwd()); console.log('given=' + process.env.GMS_TEST_VALUE); process.exit(3)",
      { GMS_TEST_VALUE: 'xyz' },
    );
    const { output, code } = await run(new ProcessTerminal({ ...spec, echo: 'go-macos-sign test' }));
    assert.equal(code, 3);
    assert.ok(output.startsWith('> go-macos-sign test\r\n'), output);
    for (const line of ['out 1', 'out 2', 'err é', `cwd=${fs.realpathSync(spec.cwd)}`, 'given=xyz'])
      assert.ok(output.includes(`${line}\r\n`), `${line} not in ${JSON.stringify(output)}`);
    assert.doesNotMatch(output.replace(/\r\n/g, ''), /\n/, 'a bare LF reached the terminal');
  });

  it('Ctrl-C interrupts the child (SIGINT), which may still print while it stops', async () => {
    const spec = node(
      "process.on('SIGINT', () => { console.log('stopping'); process.exit(1); }); console.log('ready'); setInterval(() => {}, 1000)",
    );
    const terminal = new ProcessTerminal(spec);
    const { output, code } = await run(terminal, async (seen) => {
      await waitUntil('the child to start', () => seen().includes('ready'));
      terminal.handleInput('q');
      terminal.handleInput('\x03');
    });
    assert.equal(code, 1);
    assert.match(output, /ready\r\n\^C\r\nstopping\r\n/);
  });

  it('a child that does not handle Ctrl-C ends with 130', async () => {
    const terminal = new ProcessTerminal(node("console.log('ready'); setInterval(() => {}, 1000)"));
    const { code } = await run(terminal, async (seen) => {
      await waitUntil('the child to start', () => seen().includes('ready'));
      terminal.handleInput('\x03');
    });
    assert.equal(code, 130);
  });

  it('closing the terminal (or terminating the task) stops the child with SIGTERM', async () => {
    const marker = path.join(tempDir(), 'stopped');
    const terminal = new ProcessTerminal(
      node(
        `process.on('SIGTERM', () => { require('fs').writeFileSync(${JSON.stringify(marker)}, 'yes'); process.exit(143); }); console.log('ready'); setInterval(() => {}, 1000)`,
      ),
    );
    const { code } = await run(terminal, async (seen) => {
      await waitUntil('the child to start', () => seen().includes('ready'));
      terminal.close();
    });
    assert.equal(code, 143);
    assert.equal(fs.readFileSync(marker, 'utf8'), 'yes');
  });

  it('a child that cannot start says so in one line and closes with 1', async () => {
    const missing = path.join(tempDir(), 'no-such-folder');
    const { output, code } = await run(new ProcessTerminal({ ...node('0'), cwd: missing }));
    assert.equal(code, 1);
    assert.match(output, /^go-macos-sign: cannot start the task \(ENOENT\)\r\n$/);
  });
});

describe('the real CLI in the task terminal', () => {
  const KEY_ID = 'ABCDE12345';
  const ISSUER = '69a6de7e-1a2b-47e3-e053-5b8c7c11a4d1';
  let slow: FakeNotary;
  let keyText: string;
  before(async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    keyText = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    // Apple takes an hour: the submission stays In Progress while the test closes the terminal.
    slow = await startFakeNotary({ publicKey, keyId: KEY_ID, issuer: ISSUER, processingMs: 3_600_000 });
  });
  after(() => slow.close());

  it('a notarize task whose terminal is closed during the wait stops, and its submission stays saved for a resume', async () => {
    const dir = tempDir();
    const binary = buildGo('arm64', dir);
    assert.equal(runCli('sign', '--adhoc', binary).code, 0);
    const state = path.join(dir, 'state');
    // As the client runs it: the key's text only in the environment (GO_MACOS_SIGN_NOTARY_KEY), never an argument.
    const terminal = new ProcessTerminal({
      command: process.execPath,
      args: [
        path.join(REPO, 'dist', 'cli.js'),
        'notarize',
        '--force',
        '--key-id',
        KEY_ID,
        '--issuer',
        ISSUER,
        '--timeout',
        '30m',
        '--',
        binary,
      ],
      cwd: dir,
      env: { ...slow.env, GO_MACOS_SIGN_STATE_DIR: state, GO_MACOS_SIGN_NOTARY_KEY: keyText, NO_COLOR: '1' },
    });
    const { output, code } = await run(terminal, async () => {
      await waitUntil('the upload', () => slow.submissions.some((s) => s.uploadedMs !== null), 120_000);
      terminal.close();
    });
    assert.notEqual(code, 0, output);
    assert.match(output, /submission \S+ is saved/);
    assert.ok(!output.includes('PRIVATE KEY'), output);
    for (const secret of slow.secrets()) assert.ok(!output.includes(secret), 'a credential reached the terminal');
    const list = await runCliAsync(['submissions', '--json'], { GO_MACOS_SIGN_STATE_DIR: state });
    const listed = JSON.parse(list.stdout) as { submissions: Submission[] };
    assert.equal(listed.submissions.length, 1, JSON.stringify(listed));
    assert.equal(listed.submissions[0].id, slow.submissions[0].id);
    assert.equal(listed.submissions[0].status, 'In Progress');
  });
});

describe('pipeline tasks: secrets never in what VS Code keeps', () => {
  const P12_PASSWORD = 'pässword of the p12 0xC0FFEE';
  const NOTARY_KEY =
    '-----BEGIN PRIVATE KEY-----\nMIGTAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBHkwdwIBAQQg\n-----END PRIVATE KEY-----\n';
  let folder: { uri: { fsPath: string }; name: string; index: number };
  let cli: string;
  const stored = new Map<string, string>();
  const secrets = {
    get: async (key: string) => stored.get(key),
    store: async (key: string, value: string) => void stored.set(key, value),
    delete: async (key: string) => void stored.delete(key),
    onDidChange: () => ({ dispose() {} }),
  };

  before(() => {
    folder = { uri: { fsPath: tempDir() }, name: 'project', index: 0 };
    stub.folders = [folder];
    stub.settings = {
      'goMacosSign.build.name': 'hello',
      'goMacosSign.signing.p12': 'keys/developer-id.p12',
      'goMacosSign.notarization.method': 'apiKey',
      'goMacosSign.notarization.keyId': 'ABCDE12345',
    };
    stored.set(settingsModule.p12PasswordSecret('keys/developer-id.p12'), P12_PASSWORD);
    stored.set(settingsModule.NOTARY_KEY_SECRET, NOTARY_KEY);
    // Stands in for dist/cli.js: says which secrets it was given (never their values) and exits 7.
    cli = path.join(tempDir(), 'cli.js');
    fs.writeFileSync(
      cli,
      `const e = process.env;
console.log('args ' + process.argv.slice(2).join(' '));
console.log('p12 password ' + (e.GO_MACOS_SIGN_P12_PASSWORD === ${JSON.stringify(P12_PASSWORD)} ? 'given' : 'missing'));
console.log('notary key ' + (e.GO_MACOS_SIGN_NOTARY_KEY === ${JSON.stringify(NOTARY_KEY)} ? 'given' : 'missing'));
console.log('node ' + e.ELECTRON_RUN_AS_NODE);
process.exit(7);
`,
    );
  });

  const tasks = () => new PipelineTasks(cli, secrets as never);
  /** Everything of a task VS Code could serialize: its definition, name, source, execution, matchers and group. */
  const persisted = (task: unknown) => JSON.stringify(task);

  for (const step of ['sign', 'notarize', 'release'] as const) {
    it(`${step}: the task holds no secret; its process gets them in its environment when it runs`, async () => {
      const task = (await tasks().task({ type: 'go-macos-sign', step }, folder as never)) as unknown as {
        definition: object;
        name: string;
        execution: { callback?: (d: unknown) => Promise<ProcessTerminal> };
        problemMatchers: string[];
        group?: { id: string };
      };
      assert.ok(task, `no ${step} task`);
      const kept = persisted(task);
      for (const secret of [P12_PASSWORD, NOTARY_KEY, 'PRIVATE KEY', 'C0FFEE'])
        assert.ok(!kept.includes(secret), `${step}: a secret in ${kept}`);
      assert.deepEqual(task.definition, { type: 'go-macos-sign', step });
      assert.equal(task.name, step);
      assert.deepEqual(task.problemMatchers, step === 'release' ? ['$go'] : []);
      assert.equal(task.group?.id, step === 'release' ? 'build' : undefined);
      assert.equal(typeof task.execution.callback, 'function', 'a CustomExecution');

      const { output, code } = await run(await task.execution.callback!(task.definition));
      assert.equal(code, 7);
      assert.match(output, new RegExp(`^> go-macos-sign ${step} `));
      assert.match(output, new RegExp(`\r\nargs ${step} `));
      assert.match(output, new RegExp(`p12 password ${step === 'notarize' ? 'missing' : 'given'}\r\n`));
      assert.match(output, new RegExp(`notary key ${step === 'sign' ? 'missing' : 'given'}\r\n`));
      assert.match(output, /node 1\r\n/);
      for (const secret of [P12_PASSWORD, 'PRIVATE KEY']) assert.ok(!output.includes(secret), output);
    });
  }

  it("the provider's dispose (the extension stopping, as on a reload) stops a task process still running", async () => {
    const waiting = path.join(tempDir(), 'cli.js');
    fs.writeFileSync(waiting, "console.log('ready'); setInterval(() => {}, 1000);\n");
    const provider = new PipelineTasks(waiting, secrets as never);
    const task = (await provider.task({ type: 'go-macos-sign', step: 'sign' }, folder as never)) as unknown as {
      execution: { callback: (d: unknown) => Promise<ProcessTerminal> };
    };
    const terminal = await task.execution.callback({});
    const { code } = await run(terminal, async (seen) => {
      await waitUntil('the task process to start', () => seen().includes('ready'));
      provider.dispose();
    });
    assert.equal(code, 143);
  });

  it('a step without a secret stays a process task, unchanged: build, lint, verify, staple', async () => {
    for (const step of ['build', 'lint', 'verify', 'staple'] as const) {
      const task = (await tasks().task({ type: 'go-macos-sign', step }, folder as never)) as unknown as {
        execution: { process: string; args: string[]; options: { cwd: string; env: Record<string, string> } };
        problemMatchers: string[];
        group?: { id: string };
      };
      assert.equal(task.execution.process, process.execPath);
      assert.equal(task.execution.args[0], cli);
      assert.equal(task.execution.args[1], step);
      assert.deepEqual(task.execution.options, { cwd: folder.uri.fsPath, env: { ELECTRON_RUN_AS_NODE: '1' } });
      assert.deepEqual(task.problemMatchers, step === 'build' ? ['$go'] : step === 'lint' ? ['$go-macos-sign'] : []);
      assert.equal(task.group?.id, step === 'build' ? 'build' : undefined);
    }
  });

  it('sign with a keychain identity carries no secret: a process task, as before', async () => {
    const saved = stub.settings;
    stub.settings = { ...saved, 'goMacosSign.signing.p12': '', 'goMacosSign.signing.identity': 'Developer ID X' };
    try {
      const task = (await tasks().task({ type: 'go-macos-sign', step: 'sign' }, folder as never)) as unknown as {
        execution: { args: string[] };
      };
      assert.deepEqual(task.execution.args.slice(1, 4), ['sign', '--identity', 'Developer ID X']);
    } finally {
      stub.settings = saved;
    }
  });
});
