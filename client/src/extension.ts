/**
 * The VS Code client: starts the go-macos-sign language server and offers "Go macOS: Inspect Mach-O Signature".
 *
 * User interface only: binaries are parsed and hashed in the server process, which runs on VS Code's own Node over
 * IPC (vscode-extension-samples' lsp-sample shape). The client never imports engine code; the request's types come
 * from the shared protocol file as types only.
 */
import * as vscode from 'vscode';
import { LanguageClient, LanguageClientOptions, ServerOptions, TransportKind } from 'vscode-languageclient/node';
import type { InspectRequest } from '../../server/src/protocol';
import { renderInspection } from './render';

/** Must equal InspectRequest.method in server/src/protocol.ts (imported as a type only, so the bundle stays small). */
const INSPECT_METHOD: typeof InspectRequest.method = 'goMacosSign/inspect';

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const log = vscode.window.createOutputChannel('Go macOS Sign', { log: true });
  context.subscriptions.push(log);
  try {
    const serverModule = context.asAbsolutePath('dist/server.js');
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
    await client.start();
    context.subscriptions.push(vscode.workspace.onDidGrantWorkspaceTrust(() => void client?.sendNotification('goMacosSign/trusted')));
    context.subscriptions.push(vscode.commands.registerCommand('goMacosSign.inspect', (uri?: vscode.Uri) => inspect(uri, log)));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log.error(`activation failed: ${message}`);
    void vscode.window.showErrorMessage(`Go macOS Sign failed to start: ${message}`);
  }
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
    () => client!.sendRequest<InspectRequest.Result>(INSPECT_METHOD, params),
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
  await client?.stop();
}
