/**
 * The Test Explorer's "macOS readiness": each artifact of the macOS Signing view is a test item, its readiness
 * (readinessTests.ts: signed, intact, Developer ID, hardened runtime, timestamp, entitlements, notarized, stapled)
 * its children. Running them inspects the artifact again through the language server (the same request the view
 * uses), so the result is the file as it is now; a failure's message links the rule's page and points at the file.
 * The items follow the view's list; nothing here reads a file or runs a tool itself. Inspecting only reads, so this
 * works in Restricted Mode too.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { InspectRequest, ruleDocUrl, type InspectReport } from '../../server/src/protocol';
import { STATE_LABEL } from './artifactState';
import type { ArtifactsView } from './artifactsView';
import { Outcome, ReadinessTest, readinessTests } from './readinessTests';
import { checkTicketsOnline } from './settings';

export const CONTROLLER_ID = 'goMacosSign.readiness';

export class ReadinessTestController implements vscode.Disposable {
  private readonly controller = vscode.tests.createTestController(CONTROLLER_ID, 'macOS readiness');
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly view: ArtifactsView,
    private readonly server: { client: LanguageClient; ready: Promise<void> },
  ) {
    this.controller.createRunProfile(
      'Check readiness',
      vscode.TestRunProfileKind.Run,
      (request, token) => this.run(request, token),
      true,
    );
    this.controller.refreshHandler = () => this.view.refresh();
    this.subscriptions.push(
      this.controller,
      view.onDidChangeTreeData(() => this.sync()),
    );
  }

  dispose(): void {
    this.subscriptions.forEach((d) => d.dispose());
  }

  /** Makes the items the view's artifacts, keeping the items (and their last results) of artifacts still listed. */
  private sync(): void {
    const items: vscode.TestItem[] = [];
    for (const artifact of this.view.all) {
      const id = artifact.uri.fsPath;
      const item =
        this.controller.items.get(id) ??
        this.controller.createTestItem(id, path.basename(id), fileOf(artifact.report, artifact.uri));
      item.description = STATE_LABEL[artifact.state];
      this.fill(item, readinessTests(artifact.report, this.view.record(id)));
      items.push(item);
    }
    this.controller.items.replace(items);
  }

  private fill(item: vscode.TestItem, tests: ReadinessTest[]): void {
    const children = tests.map(
      (t) =>
        item.children.get(`${item.id}#${t.id}`) ??
        this.controller.createTestItem(`${item.id}#${t.id}`, t.label, item.uri),
    );
    children.forEach((child, i) => (child.sortText = String(i).padStart(3, '0')));
    item.children.replace(children);
  }

  private async run(request: vscode.TestRunRequest, token: vscode.CancellationToken): Promise<void> {
    const run = this.controller.createTestRun(request);
    // An artifact runs whole: asking for one of its checks inspects it again all the same.
    const wanted = new Map<string, vscode.TestItem>();
    const requested = request.include ?? itemsOf(this.controller.items);
    for (const item of requested) {
      const artifact = item.parent ?? item;
      wanted.set(artifact.id, artifact);
    }
    const excluded = new Set((request.exclude ?? []).map((i) => i.id));
    try {
      await this.server.ready;
      for (const artifact of wanted.values()) {
        if (token.isCancellationRequested) break;
        if (excluded.has(artifact.id)) continue;
        // Only some checks when only they were asked for (a run of the artifact itself reports every check).
        const asked = request.include?.filter((i) => i.parent?.id === artifact.id) ?? [];
        const only =
          asked.length > 0 && !request.include?.some((i) => i.id === artifact.id)
            ? new Set(asked.map((i) => i.id))
            : undefined;
        await this.check(run, artifact, (child) => (!only || only.has(child.id)) && !excluded.has(child.id));
      }
    } finally {
      run.end();
    }
  }

  private async check(run: vscode.TestRun, artifact: vscode.TestItem, include: (c: vscode.TestItem) => boolean) {
    run.started(artifact);
    const started = Date.now();
    let report: InspectReport | undefined;
    let problem: string | undefined;
    try {
      // The same question the view asks: Apple's ticket database too when the user turned that on.
      const params: InspectRequest.Params = { path: artifact.id, online: checkTicketsOnline() };
      const result = await this.server.client.sendRequest<InspectRequest.Result>(InspectRequest.method, params);
      report = result.reports.find((r) => r.path === artifact.id) ?? result.reports[0];
      problem = report ? undefined : (result.errors[0]?.message ?? 'nothing to inspect at this path');
    } catch (error) {
      problem = error instanceof Error ? error.message : String(error);
    }
    if (!report) {
      run.errored(artifact, new vscode.TestMessage(`Cannot inspect ${artifact.id}: ${problem}`));
      return;
    }
    const tests = readinessTests(report, this.view.record(artifact.id));
    this.fill(artifact, tests);
    const duration = Date.now() - started;
    const location = new vscode.Location(fileOf(report, vscode.Uri.file(artifact.id)), new vscode.Position(0, 0));
    for (const t of tests) {
      const child = artifact.children.get(`${artifact.id}#${t.id}`);
      if (!child || !include(child)) continue;
      run.appendOutput(
        `${path.basename(artifact.id)} › ${t.label}: ${t.outcome}\r\n  ${t.message.replace(/\n/g, '\r\n  ')}\r\n`,
      );
      reportResult(run, child, t, location, duration);
    }
  }
}

function reportResult(
  run: vscode.TestRun,
  child: vscode.TestItem,
  t: ReadinessTest,
  location: vscode.Location,
  duration: number,
): void {
  const outcome: Outcome = t.outcome;
  if (outcome === 'passed') run.passed(child, duration);
  else if (outcome === 'skipped') run.skipped(child);
  else {
    const text = new vscode.MarkdownString(
      `${escape(t.message)}${t.ruleId ? `\n\n[Rule ${t.ruleId}](${ruleDocUrl(t.ruleId)})` : ''}`,
    );
    const message = new vscode.TestMessage(text);
    message.location = location;
    run.failed(child, message, duration);
  }
}

/** The file a result points at: the artifact itself, or an app's main executable (a folder cannot be opened). */
function fileOf(report: InspectReport, uri: vscode.Uri): vscode.Uri {
  return report.kind === 'app' && report.executable ? vscode.Uri.file(report.executable) : uri;
}

function itemsOf(collection: vscode.TestItemCollection): vscode.TestItem[] {
  const all: vscode.TestItem[] = [];
  collection.forEach((item) => all.push(item));
  return all;
}

/** The engine's messages are plain text: keep Markdown from reading them as markup. */
function escape(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&').replace(/\n/g, '  \n');
}
