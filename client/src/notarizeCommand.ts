/**
 * "Go macOS: Notarize…": pick an artifact, run the CLI's notarize (which zips a bare binary, submits, saves the
 * submission, waits and reads the log) with a cancellable progress notification and a status-bar item. An Invalid
 * verdict puts the log's issues in the Problems panel on the artifact, each with Apple's link and the likely Go cause;
 * an Accepted one is remembered with the ticket's cdhashes and stapled where a ticket can be stapled. The verdict is
 * shown in the run's own notification, which the next run replaces (runNotification.ts), with its actions (Open Log,
 * Staple) as links; the spinner ends with the work.
 *
 * Off a Mac (no xcrun) the CLI talks to the Notary REST API with an App Store Connect API key: its text comes from
 * secret storage into the child's environment only (GO_MACOS_SIGN_NOTARY_KEY), and when it is missing the command asks
 * for it (apiKeyPrompt.ts). A run in flight is remembered in workspaceState and its state shown in the status bar;
 * when VS Code starts again (a reload or a restart), the runs with a saved submission are resumed (notarizationRun.ts).
 *
 * When the CLI's pre-flight refuses (what Apple certainly rejects, found before any upload), its findings go to the
 * Problems panel at once and a notification offers "Submit Anyway" (--force); preflightRefusal.ts holds that logic.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type {
  NotarizeJson,
  PipelineJson,
  PreflightResult,
  StapleResult,
  SubmissionsJson,
} from '../../server/src/protocol';
import { hasApiKey, promptForApiKey } from './apiKeyPrompt';
import type { NotarizationRecord } from './artifactState';
import type { ArtifactsView } from './artifactsView';
import { runCli } from './cliProcess';
import { cliArgs, SettingsError } from './pipelineArgs';
import {
  canCarryTicket,
  PendingRun,
  PendingRuns,
  progressMessage,
  resumePlan,
  runProgress,
  statusText,
  statusTooltip,
  stillWaiting,
  verdictNotice,
} from './notarizationRun';
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
    /** workspaceState: the runs in flight, so that a restart of VS Code takes them up again. */
    private readonly memory: vscode.Memento,
  ) {
    this.status.name = 'macOS Notarization';
  }

  private pending(): PendingRuns {
    return this.memory.get<PendingRuns>(PENDING_KEY, {});
  }

  private async setPending(artifact: string, run: PendingRun | undefined): Promise<void> {
    const all = { ...this.pending() };
    if (run) all[artifact] = run;
    else delete all[artifact];
    await this.memory.update(PENDING_KEY, all);
  }

  /** The status bar follows the run: the artifact and the state of its submission, with the id in the tooltip. */
  private showRun(artifact: string, run: PendingRun | undefined): void {
    this.status.text = statusText(path.basename(artifact), run);
    this.status.tooltip = statusTooltip(artifact, run);
    this.status.show();
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

  /**
   * `force`: submit even what the pre-flight refused ("Submit Anyway", the CLI's --force). `resumed`: taken up again at
   * start-up, so nothing is asked (a missing key is said, not prompted for).
   */
  async notarize(target?: vscode.Uri, options: { force?: boolean; resumed?: boolean } = {}): Promise<void> {
    // Runs tools: the command table (commands/registry.ts) lets it run only in a trusted workspace.
    const uri = target ?? (await this.pick());
    if (!uri) return;
    const folder = vscode.workspace.getWorkspaceFolder(uri) ?? vscode.workspace.workspaceFolders?.[0];
    let settings = pipelineSettings(folder);
    if (settings.method === 'apiKey' && !(await hasApiKey(this.secrets, folder))) {
      if (options.resumed) {
        void vscode.window.showWarningMessage(
          `The notarization of ${path.basename(uri.fsPath)} was not resumed: no App Store Connect API key is stored. Run "Go macOS: Set App Store Connect API Key…", then Notarize again (the saved submission is reused).`,
        );
        return;
      }
      const stored = await promptForApiKey(
        this.secrets,
        folder,
        process.platform === 'darwin'
          ? 'Notarize with an App Store Connect API key: choose its .p8 file'
          : 'Notarizing off a Mac uses an App Store Connect API key: choose its .p8 file',
      );
      if (!stored) return;
      settings = pipelineSettings(folder);
    }
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
    const artifact = uri.fsPath;
    this.log.info(`notarize: go-macos-sign ${args.join(' ')}`);
    const cwd = folder?.uri.fsPath ?? path.dirname(artifact);
    const before = this.pending()[artifact];
    let run: PendingRun =
      options.resumed && before ? { ...before, state: 'resuming' } : { startedAt: new Date().toISOString() };
    await this.setPending(artifact, run);
    await this.notice.run(`Notarization of ${name}`, statusText(name, run), async (report, signal) => {
      this.showRun(artifact, run);
      report(
        options.resumed
          ? 'resuming the saved submission (nothing is uploaded again)'
          : 'uploading and waiting for Apple (the submission is saved: a reload or restart resumes it)',
      );
      const result = await runCli(this.cli, args, {
        cwd,
        env: await secretEnv(this.secrets, settings, 'notarize'),
        signal,
        onOutput: (t) => {
          for (const line of t.split('\n')) {
            if (!line.trim()) continue;
            this.log.info(line.trimEnd());
            const progress = runProgress(line);
            if (!progress) continue;
            run = { ...run, ...progress };
            this.showRun(artifact, run);
            if (progress.state) report(progressMessage(run));
            void this.setPending(artifact, run);
          }
        },
      });
      this.log.info(`notarize ${artifact}: exit ${result.code}`);
      if (result.code === 130) {
        // Cancelled: the submission (if any) stays saved, and the next Notarize… of these bytes waits for it.
        await this.setPending(artifact, undefined);
        return undefined;
      }
      let parsed: NotarizeJson;
      try {
        parsed = JSON.parse(result.stdout) as NotarizeJson;
      } catch {
        await this.setPending(artifact, undefined);
        return `failed: ${result.stderr.trim().split('\n').pop() || 'no output'}`;
      }
      this.forgetNestedProblems(uri);
      const refused = refusedPreflight(parsed);
      if (refused) {
        // Nothing was uploaded: the problems go to the panel now, and the notification offers to submit anyway.
        await this.setPending(artifact, undefined);
        this.showRefusal(uri, refused);
        return undefined;
      }
      const verdict = await this.record(uri, parsed, folder, report);
      if (!stillWaiting(parsed)) await this.setPending(artifact, undefined);
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
      let staple: StapleResult | { error: string } | undefined;
      if (canCarryTicket(uri.fsPath)) {
        report('stapling the ticket');
        staple = await this.staple(uri, folder);
      }
      return this.withActions(uri, verdictNotice(uri.fsPath, r, staple), r.log);
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
    return this.withActions(uri, verdictNotice(uri.fsPath, r, undefined), r.log);
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

  /** The CLI's staple (the builtin stapler off a Mac), its --json read back. */
  private async staple(
    uri: vscode.Uri,
    folder: vscode.WorkspaceFolder | undefined,
  ): Promise<StapleResult | { error: string }> {
    const result = await runCli(this.cli, cliArgs('staple', pipelineSettings(folder), uri.fsPath, true), {
      cwd: folder?.uri.fsPath ?? path.dirname(uri.fsPath),
      onOutput: (t) => this.log.info(t.trimEnd()),
    });
    this.log.info(`staple ${uri.fsPath}: exit ${result.code}`);
    try {
      const parsed = JSON.parse(result.stdout) as PipelineJson<'staple'> & Partial<StapleResult>;
      if (parsed.error) return { error: parsed.error };
      return { stapled: parsed.stapled === true, message: parsed.message ?? '' };
    } catch {
      return { error: result.stderr.trim().split('\n').pop() || `exit ${result.code}` };
    }
  }

  /** The verdict's sentence with its actions as command links (a progress notification has no buttons). */
  private withActions(uri: vscode.Uri, notice: ReturnType<typeof verdictNotice>, log: string | null): string {
    const link = (title: string, command: string, arg: vscode.Uri) =>
      `[${title}](command:${command}?${encodeURIComponent(JSON.stringify([arg]))})`;
    const actions = notice.actions.map((a) =>
      a === 'Open Log' && log
        ? link('Open Log', 'vscode.open', vscode.Uri.file(log))
        : link('Staple', 'goMacosSign.staple', uri),
    );
    return [notice.text, ...actions].join(' ');
  }

  /**
   * When VS Code starts (after a reload or a restart): the runs this workspace had in flight, and any submission saved
   * as In Progress for one of its artifacts, are waited for again. The CLI finds the saved submission of the same
   * bytes and waits for it (or reads its verdict): nothing is uploaded again.
   */
  async resume(): Promise<void> {
    if (!vscode.workspace.isTrusted) return;
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) return;
    const pending = this.pending();
    const first = Object.keys(pending)[0];
    if (first) this.showRun(first, { ...pending[first], state: 'resuming' });
    const listed = await runCli(this.cli, ['submissions', '--json'], { cwd: folder.uri.fsPath });
    let saved: SubmissionsJson['submissions'] = [];
    try {
      saved = (JSON.parse(listed.stdout) as SubmissionsJson).submissions;
    } catch {
      saved = [];
    }
    const plan = resumePlan(
      pending,
      saved,
      (a) => vscode.workspace.getWorkspaceFolder(vscode.Uri.file(a)) !== undefined,
    );
    for (const artifact of plan.forget) await this.setPending(artifact, undefined);
    if (plan.resume.length === 0) this.status.hide();
    for (const artifact of plan.resume) {
      this.log.info(`resuming the notarization of ${artifact}`);
      void this.notarize(vscode.Uri.file(artifact), { resumed: true });
    }
  }
}

/** workspaceState key of the runs in flight. */
const PENDING_KEY = 'pendingNotarizations';
