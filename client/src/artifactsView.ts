/**
 * The "macOS Signing" view: every artifact the configured globs find, with its architectures and overall state, and
 * under it the readiness checks, the cdhash, the timestamp, the certificate chain and the entitlements. Data comes
 * from the language server's inspect request (the client parses nothing). Refreshed on file changes, debounced; the
 * same states badge the files in the Explorer.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { InspectRequest, ruleDocUrl, type InspectReport } from '../../server/src/protocol';
import {
  artifactDetails,
  artifactState,
  ArtifactState,
  DetailNode,
  NotarizationRecord,
  artifactKindLabel,
  STATE_ICON,
  STATE_LABEL,
  ticketLabel,
} from './artifactState';
import { checkTicketsOnline } from './settings';

/** Files in the output folder that are never artifacts themselves (.dmg and .pkg are: the server reads them). */
const SKIP = /\.(zip|json|txt|log|md|plist|entitlements)$/i;
const MAX_ARTIFACTS = 200;

export interface Artifact {
  uri: vscode.Uri;
  report: InspectReport;
  state: ArtifactState;
}

type Node = { artifact: Artifact } | { detail: DetailNode; artifact: Artifact };

export class ArtifactsView implements vscode.TreeDataProvider<Node>, vscode.FileDecorationProvider {
  private artifacts: Artifact[] = [];
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  private readonly decorationsChanged = new vscode.EventEmitter<vscode.Uri[]>();
  readonly onDidChangeTreeData = this.changed.event;
  readonly onDidChangeFileDecorations = this.decorationsChanged.event;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: LanguageClient,
    private readonly ready: Promise<void>,
    private readonly records: vscode.Memento,
  ) {}

  get all(): readonly Artifact[] {
    return this.artifacts;
  }

  /** Refreshes after a quiet moment, so a build writing many files costs one refresh. */
  refreshSoon(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), 500);
  }

  async refresh(): Promise<void> {
    await this.ready;
    const found = new Map<string, vscode.Uri>();
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const globs = vscode.workspace.getConfiguration('goMacosSign', folder.uri).get<string[]>('artifacts') ?? [
        'dist/**/*',
      ];
      for (const glob of globs) {
        for (const uri of await vscode.workspace.findFiles(
          new vscode.RelativePattern(folder, glob),
          '**/node_modules/**',
          MAX_ARTIFACTS,
        )) {
          // A file inside an .app stands for the bundle.
          const app = /^(.*?\.app)(\/|$)/.exec(uri.fsPath);
          const target = app ? vscode.Uri.file(app[1]) : uri;
          if (!SKIP.test(target.fsPath)) found.set(target.fsPath, target);
        }
      }
    }
    const artifacts: Artifact[] = [];
    // Off by default: when on, the server asks Apple's ticket service about the artifacts' cdhashes (nothing else).
    const online = checkTicketsOnline();
    for (const uri of [...found.values()].slice(0, MAX_ARTIFACTS)) {
      const params: InspectRequest.Params = { path: uri.fsPath, online };
      const result = await this.client.sendRequest<InspectRequest.Result>(InspectRequest.method, params);
      for (const report of result.reports)
        artifacts.push({
          uri: vscode.Uri.file(report.path),
          report,
          state: artifactState(report, this.record(report.path)),
        });
    }
    const before = this.artifacts.map((a) => a.uri);
    this.artifacts = artifacts.sort((a, b) => a.uri.fsPath.localeCompare(b.uri.fsPath));
    void vscode.commands.executeCommand('setContext', 'goMacosSign.hasArtifacts', artifacts.length > 0);
    this.changed.fire(undefined);
    this.decorationsChanged.fire([...before, ...artifacts.map((a) => a.uri)]);
  }

  record(file: string): NotarizationRecord | undefined {
    return this.records.get<Record<string, NotarizationRecord>>('notarizations', {})[file];
  }

  async remember(file: string, record: NotarizationRecord): Promise<void> {
    const all = this.records.get<Record<string, NotarizationRecord>>('notarizations', {});
    await this.records.update('notarizations', { ...all, [file]: record });
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (!('detail' in node)) {
      const { report, state, uri } = node.artifact;
      const item = new vscode.TreeItem(path.basename(uri.fsPath), vscode.TreeItemCollapsibleState.Collapsed);
      const ticket = ticketLabel(report);
      item.description = `${artifactKindLabel(report)} · ${STATE_LABEL[state]}${ticket ? ` · ${ticket}` : ''}`;
      item.iconPath = new vscode.ThemeIcon(STATE_ICON[state]);
      item.resourceUri = uri;
      item.contextValue = `artifact.${state}`;
      item.tooltip = `${uri.fsPath}\n${STATE_LABEL[state]}${ticket ? `\n${ticket}` : ''}`;
      return item;
    }
    const d = node.detail;
    const item = new vscode.TreeItem(
      d.label,
      d.children ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
    );
    item.description = d.description;
    item.iconPath = new vscode.ThemeIcon(d.icon);
    if (d.tooltip)
      item.tooltip = new vscode.MarkdownString(
        d.link ? `${d.tooltip.split('\n\n')[0]}\n\n[Rule page](${d.link})` : d.tooltip,
      );
    item.contextValue = d.kind;
    if (d.link)
      item.command = { command: 'vscode.open', title: 'Open rule page', arguments: [vscode.Uri.parse(d.link)] };
    return item;
  }

  getChildren(node?: Node): Node[] {
    if (!node) return this.artifacts.map((artifact) => ({ artifact }));
    const children =
      'detail' in node ? (node.detail.children ?? []) : artifactDetails(node.artifact.report, ruleDocUrl);
    return children.map((detail) => ({ detail, artifact: node.artifact }));
  }

  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    const artifact = this.artifacts.find((a) => a.uri.fsPath === uri.fsPath);
    if (!artifact) return undefined;
    const badge: Record<ArtifactState, string> = {
      unsigned: 'U',
      'ad-hoc': 'A',
      signed: 'S',
      ready: 'R',
      notarized: 'N',
      stapled: 'N',
      broken: '!',
    };
    const color =
      artifact.state === 'broken'
        ? new vscode.ThemeColor('errorForeground')
        : artifact.state === 'notarized' || artifact.state === 'stapled'
          ? new vscode.ThemeColor('testing.iconPassed')
          : undefined;
    return new vscode.FileDecoration(badge[artifact.state], `macOS: ${STATE_LABEL[artifact.state]}`, color);
  }
}
