/**
 * CodeLens on the package clause of a workspace's `package main` Go files: "Build for macOS", "Sign", "Notarize", the
 * palette commands that run the pipeline's tasks. On a main package that `goMacosSign.build.package` does not build,
 * one lens offers to make it the one built instead (Build would otherwise build another program). Found by reading the
 * first lines (mainPackage.ts); no Go parsing, no file read (the document is open). Hidden in Restricted Mode, where
 * those commands refuse, and when `goMacosSign.codeLens` is off.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { USE_FOR_BUILD } from './commands/useForBuild';
import { HEAD_CHARS, isConfiguredPackage, mainPackageLine, packageSetting } from './mainPackage';

export class BuildLens implements vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  static register(): vscode.Disposable {
    const provider = new BuildLens();
    return vscode.Disposable.from(
      provider.changed,
      vscode.languages.registerCodeLensProvider({ language: 'go', scheme: 'file' }, provider),
      vscode.workspace.onDidGrantWorkspaceTrust(() => provider.changed.fire()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('goMacosSign.codeLens') || e.affectsConfiguration('goMacosSign.build.package'))
          provider.changed.fire();
      }),
    );
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    if (!vscode.workspace.isTrusted || document.uri.fsPath.endsWith('_test.go')) return [];
    const folder = vscode.workspace.getWorkspaceFolder(document.uri);
    if (!folder) return [];
    const config = vscode.workspace.getConfiguration('goMacosSign', folder.uri);
    if (config.get<boolean>('codeLens') === false) return [];
    const line = mainPackageLine(
      document.getText(new vscode.Range(new vscode.Position(0, 0), document.positionAt(HEAD_CHARS))),
    );
    if (line === undefined) return [];
    const range = new vscode.Range(line, 0, line, 0);
    const relDir = path.relative(folder.uri.fsPath, path.dirname(document.uri.fsPath)).split(path.sep).join('/');
    if (!isConfiguredPackage(relDir, config.get<string>('build.package') ?? '.')) {
      return [
        new vscode.CodeLens(range, {
          title: '$(tools) Build this program for macOS…',
          tooltip: `Set goMacosSign.build.package to ${packageSetting(relDir)} (it builds another package now)`,
          command: USE_FOR_BUILD,
          arguments: [document.uri],
        }),
      ];
    }
    return [
      new vscode.CodeLens(range, {
        title: '$(tools) Build for macOS',
        tooltip: 'Build darwin binaries (and a universal one) of this program',
        command: 'goMacosSign.build',
      }),
      new vscode.CodeLens(range, {
        title: '$(key) Sign',
        tooltip: 'Sign the built program',
        command: 'goMacosSign.sign',
      }),
      new vscode.CodeLens(range, {
        title: '$(cloud-upload) Notarize',
        tooltip: "Submit a build to Apple's notary service",
        command: 'goMacosSign.notarize',
      }),
    ];
  }
}
