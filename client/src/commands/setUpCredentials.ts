/**
 * "Set Up Notarization Credentials…": a notarytool keychain profile (created by notarytool itself in a terminal, so
 * nothing passes through VS Code) or an App Store Connect API key (kept in VS Code secret storage, never in settings).
 */
import * as vscode from 'vscode';
import { NOTARY_KEY_SECRET, pipelineSettings } from '../settings';
import type { ClientCommand, CommandContext } from './registry';

async function setUpCredentials(c: CommandContext): Promise<void> {
  const method = await vscode.window.showQuickPick(
    [
      {
        label: 'Keychain profile',
        description: 'Apple ID + app-specific password, or an API key, stored by notarytool in your keychain',
        value: 'keychainProfile',
      },
      {
        label: 'App Store Connect API key',
        description: 'the .p8 key in VS Code secret storage; best for CI-like setups',
        value: 'apiKey',
      },
    ],
    { title: 'How should notarytool authenticate?' },
  );
  if (!method) return;
  const config = vscode.workspace.getConfiguration('goMacosSign');
  await config.update('notarization.method', method.value, vscode.ConfigurationTarget.Workspace);
  if (method.value === 'keychainProfile') {
    const profile = await vscode.window.showInputBox({
      title: 'Keychain profile name',
      value: config.get('notarization.keychainProfile') || 'notarytool',
      validateInput: (v) => (/^[\w.-]+$/.test(v) ? undefined : 'letters, digits, dot, dash, underscore'),
    });
    if (!profile) return;
    await config.update('notarization.keychainProfile', profile, vscode.ConfigurationTarget.Workspace);
    const create = await vscode.window.showInformationMessage(
      `Create the profile "${profile}" now? notarytool asks for your Apple ID, team and app-specific password in a terminal; nothing passes through VS Code.`,
      'Create in Terminal',
    );
    if (create) {
      // No shell: the terminal runs xcrun itself, with the profile name as an argument.
      const xcrun = pipelineSettings().toolPaths.xcrun ?? 'xcrun';
      vscode.window
        .createTerminal({
          name: 'notarytool store-credentials',
          shellPath: xcrun,
          shellArgs: ['notarytool', 'store-credentials', profile],
        })
        .show();
    }
    return;
  }
  const file = (
    await vscode.window.showOpenDialog({
      title: 'App Store Connect API key (AuthKey_XXXX.p8)',
      filters: { 'API key': ['p8'] },
      canSelectMany: false,
    })
  )?.[0];
  if (!file) return;
  const contents = Buffer.from(await vscode.workspace.fs.readFile(file)).toString('utf8');
  if (!contents.includes('PRIVATE KEY'))
    return void vscode.window.showErrorMessage('That file is not an App Store Connect private key.');
  await c.extension.secrets.store(NOTARY_KEY_SECRET, contents);
  const keyId = /AuthKey_([A-Z0-9]+)\.p8$/.exec(file.fsPath)?.[1];
  const id = await vscode.window.showInputBox({
    title: 'Key ID',
    value: keyId ?? config.get('notarization.keyId') ?? '',
  });
  if (id !== undefined) await config.update('notarization.keyId', id, vscode.ConfigurationTarget.Workspace);
  const issuer = await vscode.window.showInputBox({
    title: 'Issuer ID (leave empty for an individual key)',
    value: config.get('notarization.issuer') ?? '',
  });
  if (issuer !== undefined) await config.update('notarization.issuer', issuer, vscode.ConfigurationTarget.Workspace);
  void vscode.window.showInformationMessage(
    'The API key is in VS Code secret storage; settings hold only its id and issuer.',
  );
}

export const setUpCredentialsCommand: ClientCommand = {
  id: 'goMacosSign.setUpCredentials',
  requiresTrust: false,
  run: setUpCredentials,
};
