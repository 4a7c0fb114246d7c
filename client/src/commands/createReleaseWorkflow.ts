/**
 * "Create Release Workflow": runs the CLI's `init ci` on a workspace folder (argument array, the bundled CLI), asks
 * to replace an existing workflow or which program to release when the CLI cannot decide, opens the file, and shows
 * the repository secrets to create: a notification, the details in the output channel, the commands on demand.
 */
import * as vscode from 'vscode';
import { runCli } from '../cliProcess';
import {
  InitCiChoice,
  initCiArgs,
  parseInitCi,
  refusal,
  secretCommands,
  secretsReport,
  secretsSummary,
} from '../releaseWorkflow';
import type { ClientCommand, CommandContext } from './registry';

async function pickFolder(): Promise<vscode.WorkspaceFolder | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length <= 1) return folders[0];
  return vscode.window.showWorkspaceFolderPick({ placeHolder: 'The Go module to release' });
}

async function createReleaseWorkflow(c: CommandContext): Promise<void> {
  const folder = await pickFolder();
  if (!folder) return void vscode.window.showInformationMessage('Open a Go module folder first.');
  const choice: InitCiChoice = {};
  for (;;) {
    const r = await runCli(c.cli, initCiArgs(folder.uri.fsPath, choice), { cwd: folder.uri.fsPath });
    if (r.code === 0) {
      const result = parseInitCi(r.stdout);
      await vscode.window.showTextDocument(vscode.Uri.file(result.file));
      for (const line of secretsReport(result)) c.log.info(line);
      const action = await vscode.window.showInformationMessage(secretsSummary(result), 'Show How', 'Copy gh Commands');
      if (action === 'Show How') c.log.show(true);
      else if (action === 'Copy gh Commands') await vscode.env.clipboard.writeText(secretCommands(result));
      return;
    }
    const why = refusal(r.stderr);
    if (why.kind === 'exists' && !choice.force) {
      const answer = await vscode.window.showWarningMessage(
        '.github/workflows/macos-release.yml exists. Replace it?',
        { modal: true },
        'Replace',
      );
      if (answer !== 'Replace') return;
      choice.force = true;
    } else if (why.kind === 'choose' && !choice.package) {
      const pkg = await vscode.window.showQuickPick(why.packages, {
        title: 'Which program does the workflow release?',
      });
      if (!pkg) return;
      choice.package = pkg;
    } else {
      return void vscode.window.showErrorMessage(
        `Create Release Workflow: ${why.kind === 'error' ? why.message : 'go-macos-sign init ci failed'}`,
      );
    }
  }
}

export const createReleaseWorkflowCommand: ClientCommand = {
  id: 'goMacosSign.createReleaseWorkflow',
  // It runs only our own CLI, which reads the module's sources and writes one file: no tool of the workspace runs.
  requiresTrust: false,
  run: createReleaseWorkflow,
};
