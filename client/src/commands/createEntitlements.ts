/**
 * "Create Entitlements File": an empty entitlements dictionary in the first workspace folder (kept if the file
 * exists), named in the signing settings when none is set yet, and opened.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { NewEntitlementsRequest } from '../../../server/src/protocol';
import type { ClientCommand, CommandContext } from './registry';

async function createEntitlements(c: CommandContext): Promise<void> {
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
    // An empty dictionary, the right entitlements for a pure-Go program, written by the server's plist writer.
    await c.server.ready;
    const { text } = await c.server.client.sendRequest<NewEntitlementsRequest.Result>(NewEntitlementsRequest.method, {
      entitlements: {},
    } satisfies NewEntitlementsRequest.Params);
    await vscode.workspace.fs.writeFile(uri, Buffer.from(text));
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
