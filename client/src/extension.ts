/**
 * The VS Code client: starts the go-macos-sign language server, and offers the release pipeline as tasks, palette
 * commands and the "macOS Signing" view.
 *
 * User interface only: binaries and plists are parsed in the server process (over IPC, vscode-extension-samples'
 * lsp-sample shape), and every pipeline step runs the bundled CLI, the same command a terminal or CI runs. The client
 * never imports engine code; the request's types come from the shared protocol file as types only. Activation does
 * no I/O beyond starting the server: the view fills itself afterwards.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LanguageClient, LanguageClientOptions, ServerOptions, TransportKind } from 'vscode-languageclient/node';
import type { InspectRequest } from '../../server/src/protocol';
import { ArtifactsView } from './artifactsView';
import { Notarizer } from './notarizeCommand';
import { parseIdentities, Step } from './pipelineArgs';
import { renderInspection } from './render';
import { NOTARY_KEY_SECRET, pipelineSettings } from './settings';
import { PipelineTasks, TASK_TYPE } from './tasks';

/** Must equal InspectRequest.method in server/src/protocol.ts (imported as a type only, so the bundle stays small). */
const INSPECT_METHOD: typeof InspectRequest.method = 'goMacosSign/inspect';

let client: LanguageClient | undefined;
let ready: Promise<void> = Promise.resolve();

/** What activate() returns: a small API for other extensions and for the integration suite (test/vscode/suite). */
export interface GoMacosSignApi {
  /** The artifacts the macOS Signing view lists, with their states. */
  artifacts(): { path: string; state: string }[];
}

export async function activate(context: vscode.ExtensionContext): Promise<GoMacosSignApi | undefined> {
  const log = vscode.window.createOutputChannel('Go macOS Sign', { log: true });
  context.subscriptions.push(log);
  try {
    const serverModule = context.asAbsolutePath('dist/server.js');
    const cli = context.asAbsolutePath('dist/cli.js');
    const serverOptions: ServerOptions = {
      run: { module: serverModule, transport: TransportKind.ipc },
      debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6011'] } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        // The language id the Go extension uses; we contribute it too, so go.mod is served without that extension.
        { scheme: 'file', language: 'go.mod' },
        { scheme: 'file', language: 'entitlements' },
        { scheme: 'file', pattern: '**/Info.plist' },
        { scheme: 'file', language: 'makefile' },
        { scheme: 'file', language: 'shellscript' },
        { scheme: 'file', pattern: '**/*.mk' },
        { scheme: 'file', pattern: '**/{justfile,Justfile,.justfile}' },
        { scheme: 'file', pattern: '**/.goreleaser.{yml,yaml}' },
        { scheme: 'file', pattern: '**/.github/workflows/*.{yml,yaml}' },
        { scheme: 'file', pattern: '**/Taskfile*.{yml,yaml}' },
        { scheme: 'file', pattern: '**/.vscode/{tasks,settings}.json' },
        // Any plist a build file passes to codesign --entitlements; the server decides which ones those are.
        { scheme: 'file', pattern: '**/*.plist' },
      ],
      outputChannel: log,
      // The server runs the workspace's `go list` only in a trusted workspace.
      initializationOptions: { trusted: vscode.workspace.isTrusted },
    };
    client = new LanguageClient('goMacosSign', 'Go macOS Sign', serverOptions, clientOptions);
    // Not awaited: activation returns at once, and whatever talks to the server waits for `ready` (start-up of the
    // server process is most of the cost, and nothing on screen needs it yet).
    ready = client.start();
    ready.catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      log.error(`language server failed to start: ${message}`);
      void vscode.window.showErrorMessage(`Go macOS Sign's language server failed to start: ${message}`);
    });
    context.subscriptions.push(vscode.workspace.onDidGrantWorkspaceTrust(() => void ready.then(() => client?.sendNotification('goMacosSign/trusted'))));

    const view = new ArtifactsView(client, ready, context.workspaceState);
    const notarizer = new Notarizer(cli, context.secrets, view, log);
    const tasks = new PipelineTasks(cli, context.secrets);
    const tree = vscode.window.createTreeView('goMacosSign.artifacts', { treeDataProvider: view });
    // Inspecting only reads files, so the list stays in Restricted Mode; the view says what does not run and why.
    const RESTRICTED = 'Restricted Mode: artifacts are inspected (that only reads them), but no tool runs (go, codesign, notarytool) until you trust this workspace.';
    tree.message = vscode.workspace.isTrusted ? undefined : RESTRICTED;
    context.subscriptions.push(
      tree,
      vscode.workspace.onDidGrantWorkspaceTrust(() => (tree.message = undefined)),
      vscode.window.registerFileDecorationProvider(view),
      vscode.tasks.registerTaskProvider(TASK_TYPE, tasks),
      notarizer,
    );
    watchArtifacts(context, view);
    registerCommands(context, { view, notarizer, tasks, cli, log });

    void vscode.commands.executeCommand('setContext', 'goMacosSign.notMac', process.platform !== 'darwin');
    // Context keys and the first listing come after activation returns: none of it is needed to start.
    setTimeout(() => {
      void vscode.workspace.findFiles('**/go.mod', '**/node_modules/**', 1).then((found) => vscode.commands.executeCommand('setContext', 'goMacosSign.hasGoMod', found.length > 0));
      view.refreshSoon();
      void notarizer.resume();
    }, 0);
    return { artifacts: () => view.all.map((a) => ({ path: a.uri.fsPath, state: a.state })) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log.error(`activation failed: ${message}`);
    void vscode.window.showErrorMessage(`Go macOS Sign failed to start: ${message}`);
    return undefined;
  }
}

function watchArtifacts(context: vscode.ExtensionContext, view: ArtifactsView): void {
  let watchers: vscode.FileSystemWatcher[] = [];
  const rewatch = () => {
    for (const w of watchers) w.dispose();
    watchers = (vscode.workspace.workspaceFolders ?? []).flatMap((folder) =>
      (vscode.workspace.getConfiguration('goMacosSign', folder.uri).get<string[]>('artifacts') ?? ['dist/**/*']).map((glob) => {
        const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, glob));
        w.onDidCreate(() => view.refreshSoon());
        w.onDidChange(() => view.refreshSoon());
        w.onDidDelete(() => view.refreshSoon());
        return w;
      }),
    );
  };
  rewatch();
  context.subscriptions.push(
    { dispose: () => watchers.forEach((w) => w.dispose()) },
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('goMacosSign.artifacts')) {
        rewatch();
        view.refreshSoon();
      }
    }),
    vscode.tasks.onDidEndTaskProcess((e) => {
      if (e.execution.task.definition.type === TASK_TYPE) view.refreshSoon();
    }),
  );
}

interface Deps {
  view: ArtifactsView;
  notarizer: Notarizer;
  tasks: PipelineTasks;
  cli: string;
  log: vscode.LogOutputChannel;
}

/** A tree item or an Explorer URI, whichever invoked the command. */
function uriOf(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  const node = arg as { artifact?: { uri?: vscode.Uri } } | undefined;
  return node?.artifact?.uri;
}

function registerCommands(context: vscode.ExtensionContext, d: Deps): void {
  const runStep = async (step: Step, arg?: unknown) => {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('This step runs tools; trust this workspace first.');
      return;
    }
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) return;
    const uri = uriOf(arg);
    const task = await d.tasks.task({ type: TASK_TYPE, step, ...(uri ? { artifact: uri.fsPath } : {}) }, (uri && vscode.workspace.getWorkspaceFolder(uri)) || folder);
    if (!task) {
      const choice = await vscode.window.showErrorMessage(`${step}: settings are missing (signing identity or notarization credentials).`, 'Choose Identity', 'Set Up Credentials');
      if (choice === 'Choose Identity') void vscode.commands.executeCommand('goMacosSign.chooseIdentity');
      if (choice === 'Set Up Credentials') void vscode.commands.executeCommand('goMacosSign.setUpCredentials');
      return;
    }
    await vscode.tasks.executeTask(task);
  };
  const register = (id: string, fn: (...args: unknown[]) => unknown) => context.subscriptions.push(vscode.commands.registerCommand(id, fn));

  register('goMacosSign.inspect', (uri?: unknown) => inspect(uriOf(uri), d.log));
  register('goMacosSign.showDetails', (arg?: unknown) => inspect(uriOf(arg), d.log));
  register('goMacosSign.build', () => runStep('build'));
  register('goMacosSign.sign', (arg?: unknown) => runStep('sign', arg));
  register('goMacosSign.staple', (arg?: unknown) => runStep('staple', arg));
  register('goMacosSign.verify', (arg?: unknown) => runStep('verify', arg));
  register('goMacosSign.release', () => runStep('release'));
  register('goMacosSign.notarize', (arg?: unknown) => d.notarizer.notarize(uriOf(arg)));
  register('goMacosSign.refreshArtifacts', () => d.view.refresh());
  register('goMacosSign.revealArtifact', (arg?: unknown) => {
    const uri = uriOf(arg);
    if (uri) void vscode.commands.executeCommand('revealInExplorer', uri);
  });
  register('goMacosSign.copyCdhash', (arg?: unknown) => {
    const node = arg as { detail?: { value?: string }; artifact?: { report: { architectures: { signature: { cdhash: string } | null }[] } } } | undefined;
    const value = node?.detail?.value ?? node?.artifact?.report.architectures.flatMap((a) => (a.signature ? [a.signature.cdhash] : [])).join(' ');
    if (value) void vscode.env.clipboard.writeText(value);
  });
  register('goMacosSign.chooseIdentity', () => chooseIdentity(d));
  register('goMacosSign.setUpCredentials', () => setUpCredentials(context));
  register('goMacosSign.createEntitlements', () => createEntitlements());
  register('goMacosSign.openNotarizationLog', async () => {
    const logs = d.view.all.flatMap((a) => {
      const log = d.view.record(a.uri.fsPath)?.log;
      return log && fs.existsSync(log) ? [{ label: path.basename(a.uri.fsPath), description: d.view.record(a.uri.fsPath)?.status, log }] : [];
    });
    if (logs.length === 0) return void vscode.window.showInformationMessage('No notarization log yet: run "Go macOS: Notarize…" first.');
    const pick = logs.length === 1 ? logs[0] : await vscode.window.showQuickPick(logs, { title: 'Which notarization log?' });
    if (pick) await vscode.window.showTextDocument(vscode.Uri.file(pick.log));
  });
}

async function chooseIdentity(d: Deps): Promise<void> {
  if (process.platform !== 'darwin') {
    const typed = await vscode.window.showInputBox({ title: 'Signing identity', prompt: 'Not on macOS, so the keychain cannot be listed: type the identity as "Developer ID Application: NAME (TEAMID)"', value: pipelineSettings().identity });
    if (typed !== undefined) await vscode.workspace.getConfiguration('goMacosSign').update('signing.identity', typed, vscode.ConfigurationTarget.Workspace);
    return;
  }
  const security = pipelineSettings().toolPaths.security ?? 'security';
  const { execFile } = await import('node:child_process');
  const output = await new Promise<string>((resolve) => execFile(security, ['find-identity', '-v', '-p', 'codesigning'], (_e, stdout) => resolve(stdout ?? '')));
  const identities = parseIdentities(output);
  if (identities.length === 0) return void vscode.window.showWarningMessage('No code-signing identity in your keychain. Create a Developer ID Application certificate in your Apple Developer account.');
  const pick = await vscode.window.showQuickPick(
    identities.map((i) => ({ label: i.name, description: i.developerId ? 'notarizable' : 'cannot be notarized', detail: i.hash })),
    { title: 'Sign with which identity?' },
  );
  if (pick) await vscode.workspace.getConfiguration('goMacosSign').update('signing.identity', pick.label, vscode.ConfigurationTarget.Workspace);
  d.log.info(`signing identity set to ${pick?.label ?? '(unchanged)'}`);
}

async function setUpCredentials(context: vscode.ExtensionContext): Promise<void> {
  const method = await vscode.window.showQuickPick(
    [
      { label: 'Keychain profile', description: 'Apple ID + app-specific password, or an API key, stored by notarytool in your keychain', value: 'keychainProfile' },
      { label: 'App Store Connect API key', description: 'the .p8 key in VS Code secret storage; best for CI-like setups', value: 'apiKey' },
    ],
    { title: 'How should notarytool authenticate?' },
  );
  if (!method) return;
  const config = vscode.workspace.getConfiguration('goMacosSign');
  await config.update('notarization.method', method.value, vscode.ConfigurationTarget.Workspace);
  if (method.value === 'keychainProfile') {
    const profile = await vscode.window.showInputBox({ title: 'Keychain profile name', value: config.get('notarization.keychainProfile') || 'notarytool', validateInput: (v) => (/^[\w.-]+$/.test(v) ? undefined : 'letters, digits, dot, dash, underscore') });
    if (!profile) return;
    await config.update('notarization.keychainProfile', profile, vscode.ConfigurationTarget.Workspace);
    const create = await vscode.window.showInformationMessage(`Create the profile "${profile}" now? notarytool asks for your Apple ID, team and app-specific password in a terminal; nothing passes through VS Code.`, 'Create in Terminal');
    if (create) {
      // No shell: the terminal runs xcrun itself, with the profile name as an argument.
      const xcrun = pipelineSettings().toolPaths.xcrun ?? 'xcrun';
      vscode.window.createTerminal({ name: 'notarytool store-credentials', shellPath: xcrun, shellArgs: ['notarytool', 'store-credentials', profile] }).show();
    }
    return;
  }
  const file = (await vscode.window.showOpenDialog({ title: 'App Store Connect API key (AuthKey_XXXX.p8)', filters: { 'API key': ['p8'] }, canSelectMany: false }))?.[0];
  if (!file) return;
  const contents = Buffer.from(await vscode.workspace.fs.readFile(file)).toString('utf8');
  if (!contents.includes('PRIVATE KEY')) return void vscode.window.showErrorMessage('That file is not an App Store Connect private key.');
  await context.secrets.store(NOTARY_KEY_SECRET, contents);
  const keyId = /AuthKey_([A-Z0-9]+)\.p8$/.exec(file.fsPath)?.[1];
  const id = await vscode.window.showInputBox({ title: 'Key ID', value: keyId ?? config.get('notarization.keyId') ?? '' });
  if (id !== undefined) await config.update('notarization.keyId', id, vscode.ConfigurationTarget.Workspace);
  const issuer = await vscode.window.showInputBox({ title: 'Issuer ID (leave empty for an individual key)', value: config.get('notarization.issuer') ?? '' });
  if (issuer !== undefined) await config.update('notarization.issuer', issuer, vscode.ConfigurationTarget.Workspace);
  void vscode.window.showInformationMessage('The API key is in VS Code secret storage; settings hold only its id and issuer.');
}

/** An empty dictionary: the right entitlements for a pure-Go program that needs none. */
const EMPTY_ENTITLEMENTS = '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0">\n<dict>\n</dict>\n</plist>\n';

async function createEntitlements(): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) return;
  const name = await vscode.window.showInputBox({ title: 'Entitlements file', value: `${path.basename(folder.uri.fsPath)}.entitlements`, validateInput: (v) => (/^[\w.-]+\.entitlements$/.test(v) ? undefined : 'a file name ending in .entitlements') });
  if (!name) return;
  const uri = vscode.Uri.joinPath(folder.uri, name);
  try {
    await vscode.workspace.fs.stat(uri);
  } catch {
    await vscode.workspace.fs.writeFile(uri, Buffer.from(EMPTY_ENTITLEMENTS));
  }
  const config = vscode.workspace.getConfiguration('goMacosSign', folder.uri);
  if (!config.get('signing.entitlements')) await config.update('signing.entitlements', name, vscode.ConfigurationTarget.Workspace);
  await vscode.window.showTextDocument(uri);
}

async function inspect(uri: vscode.Uri | undefined, log: vscode.LogOutputChannel): Promise<void> {
  const target = uri ?? (await vscode.window.showOpenDialog({ canSelectFiles: true, canSelectFolders: true, openLabel: 'Inspect' }))?.[0];
  if (!target || !client) return;
  if (target.scheme !== 'file') {
    void vscode.window.showWarningMessage('Go macOS Sign can only inspect files on the local disk.');
    return;
  }
  const architectures = vscode.workspace.getConfiguration('goMacosSign', target).get<string[]>('architectures', []);
  const params: InspectRequest.Params = { path: target.fsPath, options: { architectures } };
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Inspecting ${vscode.workspace.asRelativePath(target)}…` },
    async () => {
      await ready;
      return client!.sendRequest<InspectRequest.Result>(INSPECT_METHOD, params);
    },
  );
  for (const e of result.errors) log.warn(e.message);
  const document = await vscode.workspace.openTextDocument({ language: 'markdown', content: renderInspection(result) });
  await vscode.window.showTextDocument(document, { preview: true });
  const failing = result.reports.filter((r) => r.checks.some((c) => c.status === 'fail'));
  if (result.errors.length > 0) void vscode.window.showErrorMessage(result.errors[0].message);
  else if (failing.length > 0) void vscode.window.showWarningMessage(`${failing.length} of ${result.reports.length} artifact(s) would not pass notarization.`);
  else void vscode.window.showInformationMessage('Ready for notarization: every check passed.');
}

export async function deactivate(): Promise<void> {
  await ready.catch(() => undefined);
  await client?.stop();
}

