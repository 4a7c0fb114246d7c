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
  const task = await c.tasks.task(
    { type: TASK_TYPE, step, ...(uri ? { artifact: uri.fsPath } : {}) },
    (uri && vscode.workspace.getWorkspaceFolder(uri)) || folder,
  );
  if (!task) {
    const choice = await vscode.window.showErrorMessage(
      `${step}: settings are missing (signing identity or notarization credentials).`,
      'Choose Identity',
      'Set Up Credentials',
    );
    if (choice === 'Choose Identity') void vscode.commands.executeCommand('goMacosSign.chooseIdentity');
    if (choice === 'Set Up Credentials') void vscode.commands.executeCommand('goMacosSign.setUpCredentials');
    return;
  }
  await vscode.tasks.executeTask(task);
}

// Build and Release act on the workspace, so they ignore what invoked them.
export const buildCommand: ClientCommand = {
  id: 'goMacosSign.build',
  requiresTrust: true,
  run: (c) => runStep(c, 'build'),
};
export const signCommand: ClientCommand = {
  id: 'goMacosSign.sign',
  requiresTrust: true,
  run: (c, arg) => runStep(c, 'sign', arg),
};
export const stapleCommand: ClientCommand = {
  id: 'goMacosSign.staple',
  requiresTrust: true,
  run: (c, arg) => runStep(c, 'staple', arg),
};
export const verifyCommand: ClientCommand = {
  id: 'goMacosSign.verify',
  requiresTrust: true,
  run: (c, arg) => runStep(c, 'verify', arg),
};
export const releaseCommand: ClientCommand = {
  id: 'goMacosSign.release',
  requiresTrust: true,
  run: (c) => runStep(c, 'release'),
};
