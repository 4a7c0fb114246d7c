/**
 * Build, Sign, Staple, Verify, Release: each runs its pipeline step as a task (the same CLI command a terminal runs),
 * on the artifact that invoked it when there is one. Missing settings lead to the command that sets them.
 */
import * as vscode from 'vscode';
import type { Step } from '../pipelineArgs';
import { TASK_TYPE } from '../tasks';
import { ClientCommand, CommandContext, uriOf } from './registry';

async function runStep(c: CommandContext, step: Step, arg?: unknown): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) return;
  const uri = uriOf(arg);
  const task = await c.tasks.task({ type: TASK_TYPE, step, ...(uri ? { artifact: uri.fsPath } : {}) }, (uri && vscode.workspace.getWorkspaceFolder(uri)) || folder);
  if (!task) {
    const choice = await vscode.window.showErrorMessage(`${step}: settings are missing (signing identity or notarization credentials).`, 'Choose Identity', 'Set Up Credentials');
    if (choice === 'Choose Identity') void vscode.commands.executeCommand('goMacosSign.chooseIdentity');
    if (choice === 'Set Up Credentials') void vscode.commands.executeCommand('goMacosSign.setUpCredentials');
    return;
  }
  await vscode.tasks.executeTask(task);
}

/** The command that runs `step`; build and release act on the workspace, so they ignore what invoked them. */
export function stepCommand(step: Step, onArtifact: boolean): ClientCommand {
  return { id: `goMacosSign.${step}`, requiresTrust: true, run: (c, arg) => runStep(c, step, onArtifact ? arg : undefined) };
}
