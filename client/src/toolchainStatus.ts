/**
 * Two language status items for Go and go.mod documents: "Go" (the version `go version` prints, from
 * goMacosSign.toolPaths.go or PATH) and "macOS signing" (which signer and notary client a step will use, and whether
 * their credentials are set; toolchain.ts decides, as the CLI does). A warning when nothing can sign or notarize.
 *
 * Cheap by design: nothing runs at activation. The first Go or go.mod editor runs `go version` once (an argument
 * array, no shell, in a trusted workspace only: the workspace must not choose what runs); a change of
 * goMacosSign.toolPaths runs it again. Secret storage is asked only whether a secret exists; no value is shown or kept.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { NOTARY_KEY_SECRET, p12PasswordSecret, pipelineSettings } from './settings';
import { parseGoVersion, signingStatus } from './toolchain';

const SELECTOR: vscode.DocumentSelector = [{ language: 'go' }, { language: 'go.mod' }];

export class ToolchainStatus implements vscode.Disposable {
  private go: vscode.LanguageStatusItem | undefined;
  private signing: vscode.LanguageStatusItem | undefined;
  private probed: string | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly secrets: vscode.SecretStorage) {
    this.subscriptions.push(
      vscode.window.onDidChangeActiveTextEditor((e) => e && this.showFor(e.document)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('goMacosSign') && this.go) void this.update();
      }),
      secrets.onDidChange(() => this.go && void this.update()),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.go && void this.update()),
    );
  }

  /** After activation: the editor already open, if it is Go. */
  start(): void {
    const editor = vscode.window.activeTextEditor;
    if (editor) this.showFor(editor.document);
  }

  dispose(): void {
    this.subscriptions.forEach((d) => d.dispose());
    this.go?.dispose();
    this.signing?.dispose();
  }

  private showFor(document: vscode.TextDocument): void {
    if (this.go || vscode.languages.match(SELECTOR, document) === 0) return;
    this.go = vscode.languages.createLanguageStatusItem('goMacosSign.go', SELECTOR);
    this.go.name = 'Go toolchain';
    this.signing = vscode.languages.createLanguageStatusItem('goMacosSign.signing', SELECTOR);
    this.signing.name = 'macOS signing';
    void this.update();
  }

  private async update(): Promise<void> {
    const go = this.go;
    const signing = this.signing;
    if (!go || !signing) return;
    const settings = pipelineSettings(vscode.workspace.workspaceFolders?.[0]);
    const goTool = settings.toolPaths.go || 'go';
    if (!vscode.workspace.isTrusted) {
      go.text = 'Go';
      go.detail = 'not run in Restricted Mode';
    } else if (this.probed !== goTool) {
      this.probed = goTool;
      go.busy = true;
      const found = parseGoVersion(await goVersion(goTool));
      go.busy = false;
      go.text = found ? found.version : 'Go not found';
      go.detail = found ? `${goTool}${found.host ? ` on ${found.host}` : ''}` : `${goTool}: no \`go version\``;
      go.severity = found ? vscode.LanguageStatusSeverity.Information : vscode.LanguageStatusSeverity.Warning;
      go.command = found
        ? undefined
        : { command: 'workbench.action.openSettings', title: 'Set Go Path', arguments: ['goMacosSign.toolPaths'] };
    }

    const status = signingStatus(settings, {
      onMac: process.platform === 'darwin',
      codesign: Boolean(settings.toolPaths.codesign) || onPath('codesign'),
      xcrun: Boolean(settings.toolPaths.xcrun) || onPath('xcrun'),
      p12Password: settings.p12 ? (await this.secrets.get(p12PasswordSecret(settings.p12))) !== undefined : false,
      notaryKey: settings.method === 'apiKey' ? Boolean(await this.secrets.get(NOTARY_KEY_SECRET)) : false,
    });
    signing.text = status.text;
    signing.detail = status.detail;
    signing.severity = status.warning
      ? vscode.LanguageStatusSeverity.Warning
      : vscode.LanguageStatusSeverity.Information;
    signing.command = status.fix ? { command: status.fix.command, title: status.fix.title } : undefined;
  }
}

/** `go version`'s output, or '' when Go does not run (not found, or slower than ten seconds). */
function goVersion(go: string): Promise<string> {
  return new Promise((resolve) =>
    execFile(go, ['version'], { timeout: 10_000, maxBuffer: 64 * 1024 }, (error, stdout) =>
      resolve(error ? '' : stdout),
    ),
  );
}

function onPath(name: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => {
    if (!dir) return false;
    try {
      fs.accessSync(path.join(dir, name), fs.constants.X_OK);
      return fs.statSync(path.join(dir, name)).isFile();
    } catch {
      return false;
    }
  });
}
