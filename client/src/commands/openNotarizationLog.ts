/** "Open Notarization Log": the developer log saved by the last notarization of an artifact (picked when several). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ClientCommand, CommandContext } from './registry';

async function openNotarizationLog(c: CommandContext): Promise<void> {
  const logs = c.view.all.flatMap((a) => {
    const log = c.view.record(a.uri.fsPath)?.log;
    return log && fs.existsSync(log)
      ? [{ label: path.basename(a.uri.fsPath), description: c.view.record(a.uri.fsPath)?.status, log }]
      : [];
  });
  if (logs.length === 0)
    return void vscode.window.showInformationMessage('No notarization log yet: run "Go macOS: Notarize…" first.');
  const pick =
    logs.length === 1 ? logs[0] : await vscode.window.showQuickPick(logs, { title: 'Which notarization log?' });
  if (pick) await vscode.window.showTextDocument(vscode.Uri.file(pick.log));
}

export const openNotarizationLogCommand: ClientCommand = {
  id: 'goMacosSign.openNotarizationLog',
  requiresTrust: false,
  run: openNotarizationLog,
};
