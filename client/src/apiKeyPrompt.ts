/**
 * Asks for an App Store Connect API key: the AuthKey_KEYID.p8 file (its text goes to VS Code's secret storage, never
 * to settings, logs or task definitions), then the key id and the issuer (not secret: workspace settings). Used by
 * "Set App Store Connect API Key…", "Set Up Notarization Credentials" and by "Notarize…" when they are missing.
 */
import * as vscode from 'vscode';
import { NOTARY_KEY_SECRET } from './settings';

const KEY_ID = /^[A-Z0-9]{10}$/;
const ISSUER = /^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/i;

/** The key id App Store Connect puts in the file name it hands out (AuthKey_KEYID.p8). */
export function keyIdFromFileName(file: string): string | undefined {
  return /AuthKey_([A-Z0-9]{10})\.p8$/.exec(file)?.[1];
}

/** Whether API-key notarization has what it needs: the key in secret storage and its id in settings. */
export async function hasApiKey(secrets: vscode.SecretStorage, folder?: vscode.WorkspaceFolder): Promise<boolean> {
  const keyId = vscode.workspace.getConfiguration('goMacosSign', folder?.uri).get<string>('notarization.keyId');
  return Boolean(keyId) && Boolean(await secrets.get(NOTARY_KEY_SECRET));
}

/** Walks the user through the three answers; true when the key and its id were stored. */
export async function promptForApiKey(
  secrets: vscode.SecretStorage,
  folder?: vscode.WorkspaceFolder,
  why = 'App Store Connect API key (AuthKey_XXXX.p8)',
): Promise<boolean> {
  const config = vscode.workspace.getConfiguration('goMacosSign', folder?.uri);
  const file = (
    await vscode.window.showOpenDialog({
      title: why,
      openLabel: 'Use This Key',
      filters: { 'API key': ['p8'] },
      canSelectMany: false,
      defaultUri: folder?.uri,
    })
  )?.[0];
  if (!file) return false;
  const contents = Buffer.from(await vscode.workspace.fs.readFile(file)).toString('utf8');
  if (!/-----BEGIN PRIVATE KEY-----/.test(contents)) {
    void vscode.window.showErrorMessage(
      `${file.path.split('/').pop()} is not an App Store Connect private key (no "BEGIN PRIVATE KEY" block).`,
    );
    return false;
  }
  const id = await vscode.window.showInputBox({
    title: 'App Store Connect API key id',
    prompt: 'The 10-character id shown beside the key in App Store Connect (Users and Access → Integrations).',
    value: keyIdFromFileName(file.path) ?? config.get<string>('notarization.keyId') ?? '',
    ignoreFocusOut: true,
    validateInput: (v) => (KEY_ID.test(v.trim()) ? undefined : '10 capital letters or digits, e.g. ABCDE12345'),
  });
  if (id === undefined) return false;
  const issuer = await vscode.window.showInputBox({
    title: 'Issuer id (leave empty for an individual key)',
    prompt: 'The UUID shown above the keys in App Store Connect; team keys have one, individual keys do not.',
    value: config.get<string>('notarization.issuer') ?? '',
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() === '' || ISSUER.test(v.trim()) ? undefined : 'a UUID, or empty'),
  });
  if (issuer === undefined) return false;
  await secrets.store(NOTARY_KEY_SECRET, contents);
  const target = vscode.workspace.workspaceFolders
    ? vscode.ConfigurationTarget.Workspace
    : vscode.ConfigurationTarget.Global;
  await config.update('notarization.method', 'apiKey', target);
  await config.update('notarization.keyId', id.trim(), target);
  await config.update('notarization.issuer', issuer.trim(), target);
  return true;
}
