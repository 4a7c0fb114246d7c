/**
 * "Choose Signing Identity…": a .p12 file (any OS: the builtin signer; its password goes to VS Code's secret storage,
 * the path to the workspace settings), or on macOS one of the keychain's code-signing identities
 * (`security find-identity`), or a keychain identity typed by name (for a Mac that runs the tasks remotely).
 * A .p12 is opened with its password (the bundled CLI's `identity`, the password in its environment only) before
 * anything is saved: a password that does not open it, or an identity that cannot sign, is one message and no change.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { runCli } from '../cliProcess';
import { parseIdentities } from '../pipelineArgs';
import type { IdentityJson } from '../../../server/src/protocol';
import { p12PasswordSecret, pipelineSettings } from '../settings';
import type { ClientCommand, CommandContext } from './registry';

type Choice = { label: string; description?: string; detail?: string; value: 'p12' | 'typed' | 'keychain' };

async function keychainIdentities(): Promise<Choice[]> {
  if (process.platform !== 'darwin') return [];
  const security = pipelineSettings().toolPaths.security ?? 'security';
  const { execFile } = await import('node:child_process');
  const output = await new Promise<string>((resolve) =>
    execFile(security, ['find-identity', '-v', '-p', 'codesigning'], (_e, stdout) => resolve(stdout ?? '')),
  );
  return parseIdentities(output).map((i) => ({
    label: i.name,
    description: i.developerId ? 'notarizable' : 'cannot be notarized',
    detail: i.hash,
    value: 'keychain',
  }));
}

async function chooseIdentity(c: CommandContext): Promise<void> {
  const config = vscode.workspace.getConfiguration('goMacosSign');
  const save = (key: string, value: string) => config.update(key, value, vscode.ConfigurationTarget.Workspace);
  const choices: Choice[] = [
    ...(await keychainIdentities()),
    {
      label: '$(file) Use a .p12 file…',
      description: 'Developer ID Application certificate and key exported from Keychain Access; signs on any OS',
      value: 'p12',
    },
    {
      label: '$(edit) Type a keychain identity…',
      description: '"Developer ID Application: NAME (TEAMID)", for codesign on a Mac',
      value: 'typed',
    },
  ];
  const pick = await vscode.window.showQuickPick(choices, { title: 'Sign with which identity?' });
  if (!pick) return;
  if (pick.value === 'keychain' || pick.value === 'typed') {
    const name =
      pick.value === 'keychain'
        ? pick.label
        : await vscode.window.showInputBox({
            title: 'Signing identity',
            prompt: 'A keychain identity, as "Developer ID Application: NAME (TEAMID)"',
            value: pipelineSettings().identity,
          });
    if (name === undefined) return;
    await save('signing.identity', name);
    await save('signing.p12', '');
    c.log.info(`signing identity set to ${name}`);
    return;
  }
  const file = (
    await vscode.window.showOpenDialog({
      title: 'Developer ID Application identity (.p12)',
      filters: { 'PKCS#12': ['p12', 'pfx'] },
      canSelectMany: false,
    })
  )?.[0];
  if (!file) return;
  const password = await vscode.window.showInputBox({
    title: `Password of ${vscode.workspace.asRelativePath(file)}`,
    prompt: 'Kept in VS Code secret storage and passed to the signer in its environment, never in settings',
    password: true,
    ignoreFocusOut: true,
  });
  if (password === undefined) return;
  const opened = await openP12(c, file, password);
  if (typeof opened === 'string') {
    void vscode.window.showErrorMessage(`Nothing saved: ${opened}.`);
    return;
  }
  const p12 = vscode.workspace.asRelativePath(file, false);
  await c.extension.secrets.store(p12PasswordSecret(p12), password);
  await save('signing.p12', p12);
  c.log.info(`signing with ${p12} as ${opened.name} (its password is in secret storage)`);
}

/** Opens the .p12 as the signer will (the CLI's `identity`): the identity, or the one-line reason it cannot sign. */
async function openP12(c: CommandContext, file: vscode.Uri, password: string): Promise<IdentityJson | string> {
  const cwd = vscode.workspace.getWorkspaceFolder(file)?.uri.fsPath ?? path.dirname(file.fsPath);
  try {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: `Opening ${path.basename(file.fsPath)}` },
      () =>
        runCli(c.cli, ['identity', '--json', '--p12', file.fsPath], {
          cwd,
          env: { GO_MACOS_SIGN_P12_PASSWORD: password },
        }),
    );
    if (result.code === 0) return JSON.parse(result.stdout) as IdentityJson;
    // The CLI's one line (it never holds the password), without its "go-macos-sign: " prefix.
    const line = result.stderr.trim().split('\n').pop() ?? '';
    return line.replace(/^go-macos-sign: /, '') || `${path.basename(file.fsPath)} could not be opened`;
  } catch (error) {
    return `${path.basename(file.fsPath)} could not be opened (${error instanceof Error ? error.message : 'unknown error'})`;
  }
}

export const chooseIdentityCommand: ClientCommand = {
  id: 'goMacosSign.chooseIdentity',
  requiresTrust: false,
  run: chooseIdentity,
};
