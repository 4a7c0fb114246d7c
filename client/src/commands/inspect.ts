/**
 * "Inspect…" (and "Show Details" on an artifact): asks the language server for its inspection of a file or folder and
 * opens it as a Markdown page, with a one-line verdict. Inspecting only reads files, so it runs in Restricted Mode.
 */
import * as vscode from 'vscode';
import { InspectRequest } from '../../../server/src/protocol';
import { renderInspection } from '../render';
import { checkTicketsOnline } from '../settings';
import { ClientCommand, CommandContext, uriOf } from './registry';

async function inspect(c: CommandContext, uri: vscode.Uri | undefined): Promise<void> {
  const target =
    uri ??
    (await vscode.window.showOpenDialog({ canSelectFiles: true, canSelectFolders: true, openLabel: 'Inspect' }))?.[0];
  if (!target) return;
  if (target.scheme !== 'file') {
    void vscode.window.showWarningMessage('Go macOS Sign can only inspect files on the local disk.');
    return;
  }
  const architectures = vscode.workspace.getConfiguration('goMacosSign', target).get<string[]>('architectures', []);
  const params: InspectRequest.Params = {
    path: target.fsPath,
    options: { architectures },
    online: checkTicketsOnline(),
  };
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Inspecting ${vscode.workspace.asRelativePath(target)}…` },
    async () => {
      await c.server.ready;
      return c.server.client.sendRequest<InspectRequest.Result>(InspectRequest.method, params);
    },
  );
  for (const e of result.errors) c.log.warn(e.message);
  const document = await vscode.workspace.openTextDocument({ language: 'markdown', content: renderInspection(result) });
  await vscode.window.showTextDocument(document, { preview: true });
  const failing = result.reports.filter((r) => r.checks.some((check) => check.status === 'fail'));
  if (result.errors.length > 0) void vscode.window.showErrorMessage(result.errors[0].message);
  else if (failing.length > 0)
    void vscode.window.showWarningMessage(
      `${failing.length} of ${result.reports.length} artifact(s) would not pass notarization.`,
    );
  else void vscode.window.showInformationMessage('Ready for notarization: every check passed.');
}

export const inspectCommand: ClientCommand = {
  id: 'goMacosSign.inspect',
  requiresTrust: false,
  run: (c, arg) => inspect(c, uriOf(arg)),
};
export const showDetailsCommand: ClientCommand = {
  id: 'goMacosSign.showDetails',
  requiresTrust: false,
  run: (c, arg) => inspect(c, uriOf(arg)),
};
