/**
 * "Choose Signing Identity…": on macOS, picks one of the keychain's code-signing identities (`security find-identity`);
 * elsewhere the keychain cannot be listed, so the identity is typed. Saved in the workspace settings.
 */
import * as vscode from 'vscode';
import { parseIdentities } from '../pipelineArgs';
import { pipelineSettings } from '../settings';
import type { ClientCommand, CommandContext } from './registry';

async function chooseIdentity(c: CommandContext): Promise<void> {
  if (process.platform !== 'darwin') {
    const typed = await vscode.window.showInputBox({
      title: 'Signing identity',
      prompt:
        'Not on macOS, so the keychain cannot be listed: type the identity as "Developer ID Application: NAME (TEAMID)"',
      value: pipelineSettings().identity,
    });
    if (typed !== undefined)
      await vscode.workspace
        .getConfiguration('goMacosSign')
        .update('signing.identity', typed, vscode.ConfigurationTarget.Workspace);
    return;
  }
  const security = pipelineSettings().toolPaths.security ?? 'security';
  const { execFile } = await import('node:child_process');
  const output = await new Promise<string>((resolve) =>
    execFile(security, ['find-identity', '-v', '-p', 'codesigning'], (_e, stdout) => resolve(stdout ?? '')),
  );
  const identities = parseIdentities(output);
  if (identities.length === 0)
    return void vscode.window.showWarningMessage(
      'No code-signing identity in your keychain. Create a Developer ID Application certificate in your Apple Developer account.',
    );
  const pick = await vscode.window.showQuickPick(
    identities.map((i) => ({
      label: i.name,
      description: i.developerId ? 'notarizable' : 'cannot be notarized',
      detail: i.hash,
    })),
    { title: 'Sign with which identity?' },
  );
  if (pick)
    await vscode.workspace
      .getConfiguration('goMacosSign')
      .update('signing.identity', pick.label, vscode.ConfigurationTarget.Workspace);
  c.log.info(`signing identity set to ${pick?.label ?? '(unchanged)'}`);
}

export const chooseIdentityCommand: ClientCommand = {
  id: 'goMacosSign.chooseIdentity',
  requiresTrust: false,
  run: chooseIdentity,
};
