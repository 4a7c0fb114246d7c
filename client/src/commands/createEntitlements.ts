/**
 * "Create Entitlements File": an empty entitlements dictionary in the first workspace folder (kept if the file
 * exists), named in the signing settings when none is set yet, and opened.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ClientCommand } from './registry';

/** An empty dictionary: the right entitlements for a pure-Go program that needs none. */
const EMPTY_ENTITLEMENTS =
  '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0">\n<dict>\n</dict>\n</plist>\n';

async function createEntitlements(): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) return;
  const name = await vscode.window.showInputBox({
    title: 'Entitlements file',
    value: `${path.basename(folder.uri.fsPath)}.entitlements`,
    validateInput: (v) => (/^[\w.-]+\.entitlements$/.test(v) ? undefined : 'a file name ending in .entitlements'),
  });
  if (!name) return;
  const uri = vscode.Uri.joinPath(folder.uri, name);
  try {
    await vscode.workspace.fs.stat(uri);
  } catch {
    await vscode.workspace.fs.writeFile(uri, Buffer.from(EMPTY_ENTITLEMENTS));
  }
  const config = vscode.workspace.getConfiguration('goMacosSign', folder.uri);
  if (!config.get('signing.entitlements'))
    await config.update('signing.entitlements', name, vscode.ConfigurationTarget.Workspace);
  await vscode.window.showTextDocument(uri);
}

export const createEntitlementsCommand: ClientCommand = {
  id: 'goMacosSign.createEntitlements',
  requiresTrust: false,
  run: createEntitlements,
};
