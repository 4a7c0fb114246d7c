/**
 * API-level integration suite: runs inside a real extension host, with the real `vscode` API. The same module serves
 * two hosts:
 * - @vscode/test-electron (extensionTestsPath; on machines that can download VS Code): `run()` throws on failure;
 * - the test-only extension in test/vscode/host-extension (code-server, which cannot load a development extension):
 *   its activation calls `run()` and writes the results to the file named by GO_MACOS_SIGN_API_RESULTS.
 * No test framework: a few named checks, each recorded as passed or failed with its message.
 */
import * as vscode from 'vscode';

export interface CheckResult {
  name: string;
  ok: boolean;
  message?: string;
}

const EXTENSION_ID = 'go-macos-sign.go-macos-sign';

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

const CHECKS: { name: string; run(): Promise<void> }[] = [
  {
    name: 'the extension activates and exports its API',
    async run() {
      const extension = vscode.extensions.getExtension(EXTENSION_ID);
      assert(extension, `${EXTENSION_ID} is not installed`);
      const api = (await extension.activate()) as { artifacts(): { path: string; state: string }[] } | undefined;
      assert(extension.isActive, 'not active after activate()');
      assert(typeof api?.artifacts === 'function', 'activate() did not return the API');
    },
  },
  {
    name: 'every contributed command is registered',
    async run() {
      const contributed = (
        vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes.commands as { command: string }[]
      ).map((c) => c.command);
      const registered = new Set(await vscode.commands.getCommands(true));
      const missing = contributed.filter((c) => !registered.has(c));
      assert(missing.length === 0, `not registered: ${missing.join(', ')}`);
    },
  },
  {
    name: 'the task provider offers one task per pipeline step',
    async run() {
      const tasks = await vscode.tasks.fetchTasks({ type: 'go-macos-sign' });
      const steps = tasks.map((t) => t.definition.step as string).sort();
      // The workspace's settings name an identity and a keychain profile, so every step can be offered.
      for (const step of ['build', 'lint', 'notarize', 'release', 'sign', 'staple', 'verify'])
        assert(steps.includes(step), `no ${step} task among ${steps.join(', ')}`);
      const build = tasks.find((t) => t.definition.step === 'build')!;
      const execution = build.execution as vscode.ProcessExecution;
      assert(
        execution.args.includes('build') && execution.args.includes('--package'),
        `build runs ${execution.args.join(' ')}`,
      );
    },
  },
  {
    name: 'the macOS Signing view lists the workspace artifacts with their states',
    async run() {
      const api = (await vscode.extensions.getExtension(EXTENSION_ID)!.activate()) as {
        artifacts(): { path: string; state: string }[];
      };
      const artifacts = await waitFor('artifacts', () => {
        const list = api.artifacts();
        return list.length >= 3 ? list : undefined;
      });
      const byName = Object.fromEntries(artifacts.map((a) => [a.path.split('/').pop(), a.state]));
      assert(byName['hello-amd64'] === 'unsigned', `hello-amd64 is ${byName['hello-amd64']}`);
      assert(
        byName['hello-arm64'] === 'ad-hoc' || byName['hello-arm64'] === 'notarized',
        `hello-arm64 is ${byName['hello-arm64']}`,
      );
      assert(byName['sentry-cli'] === 'ready', `sentry-cli is ${byName['sentry-cli']}`);
    },
  },
  {
    name: 'diagnostics reach VS Code for an entitlements file',
    async run() {
      const content =
        '<plist version="1.0">\n<dict>\n\t<key>com.apple.security.cs.allow-jit</key>\n\t<true/>\n\t<key>com.apple.security.cs.allow-unsigned-executable-memory</key>\n\t<true/>\n</dict>\n</plist>\n';
      // A file on disk, as users have them (the extension serves file: documents, not untitled ones).
      const folder = vscode.workspace.workspaceFolders?.[0];
      assert(folder, 'no workspace folder');
      const uri = vscode.Uri.joinPath(folder.uri, 'api-check.entitlements');
      await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(content));
      const document = await vscode.workspace.openTextDocument(uri);
      const codes = await waitFor('diagnostics', () => {
        const found = vscode.languages
          .getDiagnostics(document.uri)
          .map((d) => (typeof d.code === 'object' ? String(d.code.value) : String(d.code)));
        return found.includes('entitlements/jit-cascade') ? found : undefined;
      });
      assert(codes.includes('entitlements/unneeded-for-go'), `codes: ${codes.join(', ')}`);
    },
  },
];

export async function runChecks(): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of CHECKS) {
    try {
      await check.run();
      results.push({ name: check.name, ok: true });
    } catch (error) {
      results.push({ name: check.name, ok: false, message: error instanceof Error ? error.message : String(error) });
    }
  }
  return results;
}

/** The @vscode/test-electron entry point: fails when any check fails. */
export async function run(): Promise<void> {
  const failed = (await runChecks()).filter((r) => !r.ok);
  if (failed.length > 0) throw new Error(failed.map((f) => `${f.name}: ${f.message}`).join('\n'));
}
