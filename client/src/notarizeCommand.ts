/**
 * "Go macOS: Notarize…": pick an artifact, run the CLI's notarize (which zips a bare binary, submits, saves the
 * submission, waits and reads the log) with a cancellable progress notification and a status-bar item. An Invalid
 * verdict puts the log's issues in the Problems panel on the artifact, each with Apple's link and the likely Go cause;
 * an Accepted one is remembered with the ticket's cdhashes and stapled where a ticket can be stapled. The verdict is
 * shown in the run's own notification, which the next run replaces (runNotification.ts); the spinner ends with the work.
 * When the CLI's pre-flight refuses (what Apple certainly rejects, found before any upload), its findings go to the
 * Problems panel at once and a notification offers "Submit Anyway" (--force); preflightRefusal.ts holds that logic.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { NotarizeJson, PreflightResult, SubmissionsJson } from '../../server/src/protocol';
import type { NotarizationRecord } from './artifactState';
import type { ArtifactsView } from './artifactsView';
import { runCli } from './cliProcess';
import { cliArgs, SettingsError } from './pipelineArgs';
import {
  preflightProblems,
  problemsByFile,
  refusalNotice,
  refusedPreflight,
  SHOW_PROBLEMS,
  SUBMIT_ANYWAY,
  withForce,
} from './preflightRefusal';
import { LatestRunNotification } from './runNotification';
import { pipelineSettings, secretEnv } from './settings';

export class Notarizer {
  readonly diagnostics = vscode.languages.createDiagnosticCollection('go-macos-sign-notary');
  private readonly status = vscode.window.createStatusBarItem(
    'goMacosSign.notarization',
    vscode.StatusBarAlignment.Left,
    50,
  );
  private readonly notice = new LatestRunNotification(
    (title, task) =>
      vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title, cancellable: true },
        (progress, token) =>
          task(
            (step) => progress.report(step),
            (listener) => token.onCancellationRequested(listener),
          ),
      ),
    {
      show: (text) => {
        this.status.text = text;
        this.status.show();
      },
      hide: () => this.status.hide(),
    },
  );

  constructor(
    private readonly cli: string,
    private readonly secrets: vscode.SecretStorage,
    private readonly view: ArtifactsView,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.status.name = 'macOS Notarization';
  }

  dispose(): void {
    this.notice.dispose();
    this.diagnostics.dispose();
    this.status.dispose();
  }

  async pick(): Promise<vscode.Uri | undefined> {
    const items = this.view.all.map((a) => ({
      label: path.basename(a.uri.fsPath),
      description: vscode.workspace.asRelativePath(a.uri),
      uri: a.uri,
    }));
    if (items.length === 0)
      return (
        await vscode.window.showOpenDialog({ canSelectFiles: true, canSelectFolders: true, openLabel: 'Notarize' })
      )?.[0];
    return (await vscode.window.showQuickPick(items, { title: 'Notarize which artifact?' }))?.uri;
  }

  /** `force`: submit even what the pre-flight refused ("Submit Anyway", the CLI's --force). */
  async notarize(target?: vscode.Uri, options: { force?: boolean } = {}): Promise<void> {
    // Runs tools: the command table (commands/registry.ts) lets it run only in a trusted workspace.
    const uri = target ?? (await this.pick());
    if (!uri) return;
    const folder = vscode.workspace.getWorkspaceFolder(uri) ?? vscode.workspace.workspaceFolders?.[0];
    const settings = pipelineSettings(folder);
    let args: string[];
    try {
      args = cliArgs('notarize', settings, uri.fsPath, true);
      if (options.force) args = withForce(args);
    } catch (error) {
      if (error instanceof SettingsError) {
        const choice = await vscode.window.showErrorMessage(error.message, 'Set Up Credentials');
        if (choice) void vscode.commands.executeCommand('goMacosSign.setUpCredentials');
        return;
      }
      throw error;
    }
    const name = path.basename(uri.fsPath);
    this.log.info(`notarize: go-macos-sign ${args.join(' ')}`);
    const cwd = folder?.uri.fsPath ?? path.dirname(uri.fsPath);
    await this.notice.run(`Notarization of ${name}`, `$(sync~spin) Notarizing ${name}…`, async (report, signal) => {
      report('uploading and waiting for Apple (the submission is saved: a reload resumes it)');
      const result = await runCli(this.cli, args, {
        cwd,
        env: await secretEnv(this.secrets, settings, 'notarize'),
        signal,
        onOutput: (t) => this.log.info(t.trimEnd()),
      });
      this.log.info(`notarize ${uri.fsPath}: exit ${result.code}`);
      if (result.code === 130) return undefined; // cancelled: nothing to say
      let parsed: NotarizeJson;
      try {
        parsed = JSON.parse(result.stdout) as NotarizeJson;
      } catch {
        return `failed: ${result.stderr.trim().split('\n').pop() || 'no output'}`;
      }
      this.forgetNestedProblems(uri);
      const refused = refusedPreflight(parsed);
      if (refused) {
        // Nothing was uploaded: the problems go to the panel now, and the notification offers to submit anyway.
        this.showRefusal(uri, refused);
        return undefined;
      }
      const verdict = await this.record(uri, parsed, folder, report);
      this.view.refreshSoon();
      return verdict;
    });
  }

  /** Records the verdict (view, Problems panel, stapling) and returns what the run's notification says. */
  private async record(
    uri: vscode.Uri,
    r: NotarizeJson,
    folder: vscode.WorkspaceFolder | undefined,
    report: (message: string) => void,
  ): Promise<string> {
    this.diagnostics.delete(uri);
    if ('error' in r) return `failed: ${r.error}`;
    const record: NotarizationRecord = {
      status: r.status,
      submissionId: r.submissionId,
      cdhashes: r.ticketCdhashes,
      log: r.log,
    };
    await this.view.remember(uri.fsPath, record);
    if (r.status === 'Accepted') {
      const stapleable = /\.(app|dmg|pkg)$/i.test(uri.fsPath);
      if (stapleable) {
        report('stapling the ticket');
        await runCli(this.cli, cliArgs('staple', pipelineSettings(folder), uri.fsPath), {
          cwd: folder?.uri.fsPath ?? path.dirname(uri.fsPath),
        });
      }
      const coverage = r.covered
        ? 'the ticket covers every cdhash'
        : 'but the ticket does not list every cdhash of the file: was it changed after submission?';
      return `notarized (${coverage})${stapleable ? ' and stapled' : '; Gatekeeper checks a bare binary online'}.`;
    }
    this.diagnostics.set(
      uri,
      r.issues.map((issue) => {
        const where = [issue.path, issue.architecture].filter(Boolean).join(', ');
        const d = new vscode.Diagnostic(
          new vscode.Range(0, 0, 0, 0),
          `${issue.message}${where ? ` (${where})` : ''}${issue.goCause ? ` Likely cause in a Go build: ${issue.goCause}` : ''}`,
          issue.severity === 'warning' ? vscode.DiagnosticSeverity.Warning : vscode.DiagnosticSeverity.Error,
        );
        d.source = 'Apple notary service';
        if (issue.docUrl) d.code = { value: 'notarization', target: vscode.Uri.parse(issue.docUrl) };
        return d;
      }),
    );
    const openLog = r.log
      ? ` [Open Log](command:vscode.open?${encodeURIComponent(JSON.stringify([vscode.Uri.file(r.log)]))})`
      : '';
    return `${r.status}: ${r.issues.length} issue${r.issues.length === 1 ? '' : 's'} in the Problems panel.${openLog}`;
  }

  /** Pre-flight problems an earlier run put on files inside the artifact (an .app's executables). */
  private forgetNestedProblems(uri: vscode.Uri): void {
    const inside: vscode.Uri[] = [];
    this.diagnostics.forEach((file) => {
      if (file.fsPath.startsWith(`${uri.fsPath}${path.sep}`)) inside.push(file);
    });
    for (const file of inside) this.diagnostics.delete(file);
  }

  /**
   * The pre-flight's refusal: one diagnostic per finding on its file (Apple's message and our fix, linked to Apple's
   * page), replacing those of the artifact's previous run, and a notification with "Show Problems" and "Submit Anyway".
   */
  private showRefusal(uri: vscode.Uri, refused: PreflightResult): void {
    const artifact = uri.fsPath;
    this.diagnostics.delete(uri);
    for (const [file, problems] of problemsByFile(preflightProblems(refused, artifact)))
      this.diagnostics.set(
        vscode.Uri.file(file),
        problems.map((p) => {
          const d = new vscode.Diagnostic(new vscode.Range(0, 0, 0, 0), p.message, vscode.DiagnosticSeverity.Error);
          d.source = 'notarization pre-flight';
          d.code = { value: p.code.value, target: vscode.Uri.parse(p.code.target) };
          return d;
        }),
      );
    const notice = refusalNotice(refused);
    void vscode.window.showWarningMessage(notice.text, ...notice.actions).then((choice) => {
      if (choice === SHOW_PROBLEMS) void vscode.commands.executeCommand('workbench.actions.view.problems');
      else if (choice === SUBMIT_ANYWAY) void this.notarize(uri, { force: true });
    });
  }

  /** After a reload: submissions saved as In Progress are waited for again (the CLI resumes, it does not upload). */
  async resume(): Promise<void> {
    if (!vscode.workspace.isTrusted) return;
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) return;
    const listed = await runCli(this.cli, ['submissions', '--json'], { cwd: folder.uri.fsPath });
    let saved: SubmissionsJson['submissions'] = [];
    try {
      saved = (JSON.parse(listed.stdout) as SubmissionsJson).submissions;
    } catch {
      return;
    }
    for (const s of saved) {
      const uri = vscode.Uri.file(s.artifact);
      if (s.status === 'In Progress' && vscode.workspace.getWorkspaceFolder(uri)) void this.notarize(uri);
    }
  }
}
