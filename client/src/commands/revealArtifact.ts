/** "Reveal in Explorer" on an artifact of the macOS Signing view. */
import * as vscode from 'vscode';
import { ClientCommand, uriOf } from './registry';

export const revealArtifactCommand: ClientCommand = {
  id: 'goMacosSign.revealArtifact',
  requiresTrust: false,
  run: (_c, arg) => {
    const uri = uriOf(arg);
    if (uri) void vscode.commands.executeCommand('revealInExplorer', uri);
  },
};
