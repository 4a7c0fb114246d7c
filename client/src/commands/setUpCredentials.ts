/**
 * "Set Up Notarization Credentials…": a notarytool keychain profile (created by notarytool itself in a terminal, so
 * nothing passes through VS Code) or an App Store Connect API key (kept in VS Code secret storage, never in settings).
 */
import * as vscode from 'vscode';
import { promptForApiKey } from '../apiKeyPrompt';
import { pipelineSettings } from '../settings';
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
  if (await promptForApiKey(c.extension.secrets))
    void vscode.window.showInformationMessage(
      'The API key is in VS Code secret storage; settings hold only its id and issuer.',
    );
}

export const setUpCredentialsCommand: ClientCommand = {
  id: 'goMacosSign.setUpCredentials',
  requiresTrust: false,
  run: setUpCredentials,
};

/** "Set App Store Connect API Key…": straight to the key, for notarizing through the Notary REST API (any OS). */
export const setApiKeyCommand: ClientCommand = {
  id: 'goMacosSign.setApiKey',
  requiresTrust: false,
  run: async (c) => {
    if (await promptForApiKey(c.extension.secrets, vscode.workspace.workspaceFolders?.[0]))
      void vscode.window.showInformationMessage(
        'The API key is in VS Code secret storage; settings hold only its id and issuer.',
      );
  },
};
