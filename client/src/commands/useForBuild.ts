/** "Build this program for macOS…", the CodeLens on a main package the pipeline does not build (buildLens.ts). */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { packageSetting } from '../mainPackage';
import type { ClientCommand } from './registry';

export const USE_FOR_BUILD = 'goMacosSign.useForBuild';

/** The lens's "Build this program for macOS…": makes this folder the package built, after asking. */
export const useForBuildCommand: ClientCommand = {
  id: USE_FOR_BUILD,
  requiresTrust: true,
  async run(_c, arg) {
    if (!(arg instanceof vscode.Uri)) return;
    const folder = vscode.workspace.getWorkspaceFolder(arg);
    if (!folder) return;
    const relDir = path.relative(folder.uri.fsPath, path.dirname(arg.fsPath)).split(path.sep).join('/');
    const value = packageSetting(relDir);
    const choice = await vscode.window.showInformationMessage(
      `Build ${value} for macOS? This sets goMacosSign.build.package for this folder.`,
      'Set and Build',
    );
    if (!choice) return;
    await vscode.workspace
      .getConfiguration('goMacosSign', folder.uri)
      .update(
        'build.package',
        value,
        (vscode.workspace.workspaceFolders?.length ?? 0) > 1
          ? vscode.ConfigurationTarget.WorkspaceFolder
          : vscode.ConfigurationTarget.Workspace,
      );
    await vscode.commands.executeCommand('goMacosSign.build');
  },
};
