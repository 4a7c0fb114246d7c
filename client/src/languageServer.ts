/**
 * Starts the go-macos-sign language server (dist/server.js over IPC, vscode-extension-samples' lsp-sample shape) for
 * the files it serves, and tells it when the workspace becomes trusted. Start-up is not awaited: whatever talks to the
 * server waits for `ready`, and a failed start is logged and shown once.
 */
import * as vscode from 'vscode';
import { LanguageClient, LanguageClientOptions, ServerOptions, TransportKind } from 'vscode-languageclient/node';
import { TrustedNotification } from '../../server/src/protocol';

export interface LanguageServer {
  client: LanguageClient;
  /** Settles when the server has started (rejected when it failed to). */
  ready: Promise<void>;
}

export function startLanguageServer(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): LanguageServer {
  const serverModule = context.asAbsolutePath('dist/server.js');
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: {
      module: serverModule,
      transport: TransportKind.ipc,
      options: { execArgv: ['--nolazy', '--inspect=6011'] },
    },
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
  const client = new LanguageClient('goMacosSign', 'Go macOS Sign', serverOptions, clientOptions);
  // Not awaited: start-up of the server process is most of the cost, and nothing on screen needs it yet.
  const ready = client.start();
  ready.catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    log.error(`language server failed to start: ${message}`);
    void vscode.window.showErrorMessage(`Go macOS Sign's language server failed to start: ${message}`);
  });
  context.subscriptions.push(
    vscode.workspace.onDidGrantWorkspaceTrust(
      () => void ready.then(() => client.sendNotification(TrustedNotification.method)),
    ),
  );
  return { client, ready };
}
