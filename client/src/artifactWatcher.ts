/**
 * Keeps the "macOS Signing" view current: watches the configured artifact globs in every workspace folder (watchers
 * rebuilt when the globs change) and the end of our tasks, and asks the view for a debounced refresh.
 */
import * as vscode from 'vscode';
import type { ArtifactsView } from './artifactsView';
import { TASK_TYPE } from './tasks';

export function watchArtifacts(context: vscode.ExtensionContext, view: ArtifactsView): void {
  let watchers: vscode.FileSystemWatcher[] = [];
  const rewatch = () => {
    for (const w of watchers) w.dispose();
    watchers = (vscode.workspace.workspaceFolders ?? []).flatMap((folder) =>
      (vscode.workspace.getConfiguration('goMacosSign', folder.uri).get<string[]>('artifacts') ?? ['dist/**/*']).map(
        (glob) => {
          const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, glob));
          w.onDidCreate(() => view.refreshSoon());
          w.onDidChange(() => view.refreshSoon());
          w.onDidDelete(() => view.refreshSoon());
          return w;
        },
      ),
    );
  };
  rewatch();
  context.subscriptions.push(
    { dispose: () => watchers.forEach((w) => w.dispose()) },
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('goMacosSign.artifacts')) {
        rewatch();
        view.refreshSoon();
      } else if (e.affectsConfiguration('goMacosSign.checkTicketsOnline')) view.refreshSoon();
    }),
    vscode.tasks.onDidEndTaskProcess((e) => {
      if (e.execution.task.definition.type === TASK_TYPE) view.refreshSoon();
    }),
  );
}
