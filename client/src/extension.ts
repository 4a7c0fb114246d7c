/**
 * The VS Code client: starts the go-macos-sign language server, and offers the release pipeline as tasks, palette
 * commands and the "macOS Signing" view. This file only wires those together; each part lives in its own module.
 *
 * User interface only: binaries and plists are parsed in the server process, and every pipeline step runs the bundled
 * CLI, the same command a terminal or CI runs. The client never imports engine code: from the server it imports only
 * the shared contract, server/src/protocol.ts. Activation does no I/O beyond starting the server: the view fills
 * itself afterwards.
 */
import * as vscode from 'vscode';
import { watchArtifacts } from './artifactWatcher';
import { ArtifactsView } from './artifactsView';
import { BuildLens } from './buildLens';
import { COMMANDS, registerCommands } from './commands';
import { LanguageServer, startLanguageServer } from './languageServer';
import { Notarizer } from './notarizeCommand';
import { PipelineTasks, TASK_TYPE } from './tasks';
import { ReadinessTestController } from './testExplorer';
import { ToolchainStatus } from './toolchainStatus';

let server: LanguageServer | undefined;

/** What activate() returns: a small API for other extensions and for the integration suite (test/vscode/suite). */
export interface GoMacosSignApi {
  /** The artifacts the macOS Signing view lists, with their states. */
  artifacts(): { path: string; state: string }[];
}

/** Inspecting only reads files, so the list stays in Restricted Mode; the view says what does not run and why. */
const RESTRICTED =
  'Restricted Mode: artifacts are inspected (that only reads them), but no tool runs (go, codesign, notarytool) until you trust this workspace.';

export async function activate(context: vscode.ExtensionContext): Promise<GoMacosSignApi | undefined> {
  const log = vscode.window.createOutputChannel('Go macOS Sign', { log: true });
  context.subscriptions.push(log);
  try {
    const cli = context.asAbsolutePath('dist/cli.js');
    server = startLanguageServer(context, log);
    const view = new ArtifactsView(server.client, server.ready, context.workspaceState);
    const notarizer = new Notarizer(cli, context.secrets, view, log, context.workspaceState);
    const tasks = new PipelineTasks(cli, context.secrets);
    const tree = vscode.window.createTreeView('goMacosSign.artifacts', { treeDataProvider: view });
    tree.message = vscode.workspace.isTrusted ? undefined : RESTRICTED;
    context.subscriptions.push(
      tree,
      vscode.workspace.onDidGrantWorkspaceTrust(() => (tree.message = undefined)),
      vscode.window.registerFileDecorationProvider(view),
      vscode.tasks.registerTaskProvider(TASK_TYPE, tasks),
      tasks,
      notarizer,
    );
    // Test Explorer, CodeLens and language status: each only registers here; their work comes later (see each module).
    const toolchain = new ToolchainStatus(context.secrets);
    context.subscriptions.push(new ReadinessTestController(view, server), BuildLens.register(), toolchain);
    watchArtifacts(context, view);
    registerCommands({ extension: context, server, view, notarizer, tasks, cli, log }, COMMANDS);

    void vscode.commands.executeCommand('setContext', 'goMacosSign.notMac', process.platform !== 'darwin');
    // Context keys and the first listing come after activation returns: none of it is needed to start.
    setTimeout(() => {
      void vscode.workspace
        .findFiles('**/go.mod', '**/node_modules/**', 1)
        .then((found) => vscode.commands.executeCommand('setContext', 'goMacosSign.hasGoMod', found.length > 0));
      view.refreshSoon();
      void notarizer.resume();
      toolchain.start();
    }, 0);
    return { artifacts: () => view.all.map((a) => ({ path: a.uri.fsPath, state: a.state })) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log.error(`activation failed: ${message}`);
    void vscode.window.showErrorMessage(`Go macOS Sign failed to start: ${message}`);
    return undefined;
  }
}

export async function deactivate(): Promise<void> {
  await server?.ready.catch(() => undefined);
  await server?.client.stop();
}
