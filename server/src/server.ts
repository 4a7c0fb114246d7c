/**
 * The language-server adapter: LSP over IPC (started by the VS Code client) or stdio (`--stdio`).
 *
 * A thin adapter with no policy: it answers the custom `goMacosSign/inspect` request with the engine's model, the same
 * one `go-macos-sign inspect --json` prints, and publishes the linter's diagnostics for entitlements files, the same
 * ones `go-macos-sign lint` prints. Hashing a large binary happens here (and in worker threads), never in the
 * extension host.
 */
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CodeAction,
  CodeActionKind,
  CompletionItem,
  CompletionItemKind,
  Hover,
  InsertTextFormat,
  MarkupKind,
  createConnection,
  Diagnostic,
  DiagnosticSeverity,
  InitializeResult,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { ruleDocUrl } from './checks/catalog';
import { inspectPath } from './inspect';
import { completionsAt, hoverAt } from './lint/entitlements/assist';
import { cleanOverrides, FileDiagnostic, FileKind, fileKind, isEntitlementsFile, lintDocument, SeverityOverrides } from './lint/lintFiles';
import { InspectRequest } from './protocol';
import { buildHoverAt } from './lint/buildconfig/assist';
import { isBuildFileKind } from './lint/buildconfig/buildFiles';
import { GoListCache } from './goListCache';

declare const PACKAGE_VERSION: string | undefined;

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
let workspaceRoot: string | null = null;
let canReadConfiguration = false;
/** Whether the workspace is trusted (the client says so); only then may we run the workspace's go command. */
let trusted = false;

connection.onInitialize((params): InitializeResult => {
  const folder = params.workspaceFolders?.[0]?.uri ?? params.rootUri;
  workspaceRoot = folder?.startsWith('file:') ? fileURLToPath(folder) : null;
  canReadConfiguration = !!params.capabilities.workspace?.configuration;
  trusted = (params.initializationOptions as { trusted?: unknown } | undefined)?.trusted === true;
  return {
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
      hoverProvider: true,
      completionProvider: { triggerCharacters: ['<', '.'] },
    },
    serverInfo: { name: 'go-macos-sign', version: typeof PACKAGE_VERSION === 'string' ? PACKAGE_VERSION : 'development' },
  };
});

/** Accepts a file system path or a file: URI; relative paths are taken from the workspace folder. */
function resolveTarget(target: unknown): string | { error: string } {
  if (typeof target !== 'string' || target === '') return { error: 'the inspect request needs a path' };
  if (/^[a-z][a-z0-9+.-]*:/i.test(target) && !/^[a-z]:[\\/]/i.test(target)) {
    if (!target.startsWith('file:')) return { error: `${target}: only local files can be inspected` };
    return fileURLToPath(target);
  }
  return path.isAbsolute(target) || !workspaceRoot ? target : path.join(workspaceRoot, target);
}

connection.onRequest(InspectRequest.method, async (params: InspectRequest.Params): Promise<InspectRequest.Result> => {
  const target = resolveTarget(params?.path);
  if (typeof target !== 'string') return { reports: [], errors: [{ path: String(params?.path ?? ''), message: target.error }] };
  const started = Date.now();
  const architectures = Array.isArray(params.options?.architectures) ? params.options.architectures.filter((a): a is string => typeof a === 'string') : [];
  const result = await inspectPath(target, { checks: { architectures } });
  connection.console.log(`inspected ${target}: ${result.reports.length} artifact(s), ${result.errors.length} error(s) in ${Date.now() - started} ms`);
  return result;
});

const SEVERITY: Record<FileDiagnostic['severity'], DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

function isEntitlements(document: TextDocument): boolean {
  return document.languageId === 'entitlements' || isEntitlementsFile(document.uri) || namedEntitlements.has(document.uri);
}


/** Editor language ids that say what a file is when its name does not (a script without extension). */
const LANGUAGE_KINDS: Record<string, FileKind> = { entitlements: 'entitlements', shellscript: 'shell', makefile: 'makefile' };

/**
 * Plists that build files pass to `codesign --entitlements` (whatever their name), each with the build files that
 * name it: such a plist is linted as an entitlements file while any of them does.
 */
const namedEntitlements = new Map<string, Set<string>>();

/** What the linter makes of a document, or undefined when it is not ours. */
function kindOf(document: TextDocument): FileKind | undefined {
  if (namedEntitlements.has(document.uri)) return 'entitlements';
  return fileKind(document.uri, document.getText()) ?? LANGUAGE_KINDS[document.languageId];
}

/** Records which entitlements files a build document names, and re-lints the open ones whose status changed. */
function noteEntitlements(buildUri: string, files: Set<string>): void {
  const named = new Set([...files].map((f) => pathToFileURL(f).toString()));
  const changed: string[] = [];
  for (const [uri, by] of namedEntitlements) {
    if (by.has(buildUri) && !named.has(uri)) {
      by.delete(buildUri);
      if (by.size === 0) namedEntitlements.delete(uri);
      changed.push(uri);
    }
  }
  for (const uri of named) {
    const by = namedEntitlements.get(uri) ?? new Set<string>();
    if (!by.has(buildUri)) changed.push(uri);
    by.add(buildUri);
    namedEntitlements.set(uri, by);
  }
  for (const uri of changed) {
    const document = documents.get(uri);
    if (!document) continue;
    if (isLinted(document)) void validate(document);
    else void connection.sendDiagnostics({ uri, diagnostics: [] });
  }
}

function isLinted(document: TextDocument): boolean {
  return kindOf(document) !== undefined;
}

function toDiagnostic(d: FileDiagnostic): Diagnostic {
  const diagnostic: Diagnostic = { range: d.range, severity: SEVERITY[d.severity], code: d.code, codeDescription: { href: ruleDocUrl(d.code) }, source: 'go-macos-sign', message: d.message };
  if (d.related) diagnostic.relatedInformation = d.related.map((r) => ({ location: { uri: r.file.includes(':') && !/^[a-z]:[\\/]/i.test(r.file) ? r.file : pathToFileURL(r.file).toString(), range: r.range }, message: r.message }));
  return diagnostic;
}

/** Trust granted after start: the client tells us, and go.mod files get their `go list` analysis. */
connection.onNotification('goMacosSign/trusted', () => {
  trusted = true;
  documents.all().forEach((d) => void validate(d));
});

const cgo = new GoListCache((message) => connection.console.log(message));

/** The user's `goMacosSign.rules` for a document (resource-scoped, so folders may differ). */
async function overridesFor(uri: string): Promise<SeverityOverrides> {
  if (!canReadConfiguration) return {};
  return cleanOverrides(await connection.workspace.getConfiguration({ scopeUri: uri, section: 'goMacosSign.rules' }));
}

async function architecturesFor(uri: string): Promise<string[]> {
  if (!canReadConfiguration) return [];
  const value: unknown = await connection.workspace.getConfiguration({ scopeUri: uri, section: 'goMacosSign.architectures' });
  return Array.isArray(value) ? value.filter((a): a is string => typeof a === 'string') : [];
}

async function validate(document: TextDocument): Promise<void> {
  const kind = kindOf(document);
  if (!kind) return;
  const seen = new Set<string>();
  const overrides = await overridesFor(document.uri);
  const architectures = kind === 'gomod' ? await architecturesFor(document.uri) : [];
  const cgoFindings = kind === 'gomod' ? cgo.cached(document.uri, architectures) : undefined;
  const diagnostics = lintDocument(document.uri, document.getText(), { overrides, kind, architectures, cgoFindings, entitlementsSeen: (f) => seen.add(f) }).map((d) => toDiagnostic(d));
  if (kind === 'gomod' && !cgoFindings && trusted) void cgo.refresh(document.uri, architectures).then((found) => found && void validate(document));
  void connection.sendDiagnostics({ uri: document.uri, version: document.version, diagnostics });
  if (kind !== 'entitlements' && kind !== 'info-plist') noteEntitlements(document.uri, seen);
}

documents.onDidChangeContent(({ document }) => void validate(document));
connection.onDidChangeConfiguration(() => documents.all().forEach((d) => void validate(d)));
/** Quick fixes for our diagnostics in the requested range, recomputed from the current text (never stale). */
connection.onCodeAction(async ({ textDocument, range, context }): Promise<CodeAction[]> => {
  const document = documents.get(textDocument.uri);
  if (!document || !isLinted(document)) return [];
  const overrides = await overridesFor(document.uri);
  const wanted = new Set(context.diagnostics.filter((d) => d.source === 'go-macos-sign').map((d) => `${d.code}@${JSON.stringify(d.range)}`));
  const before = (a: { line: number; character: number }, b: { line: number; character: number }) => a.line < b.line || (a.line === b.line && a.character <= b.character);
  return lintDocument(document.uri, document.getText(), { overrides, withFixes: true, kind: kindOf(document) })
    .filter((d) => d.fixes && (wanted.has(`${d.code}@${JSON.stringify(d.range)}`) || (before(d.range.start, range.end) && before(range.start, d.range.end))))
    .flatMap((d) =>
      d.fixes!.map((fix, i) => ({
        title: fix.title,
        kind: CodeActionKind.QuickFix,
        diagnostics: [toDiagnostic(d)],
        isPreferred: i === 0,
        edit: { changes: { [document.uri]: fix.edits } },
      })),
    );
});

connection.onHover(({ textDocument, position }): Hover | null => {
  const document = documents.get(textDocument.uri);
  if (!document) return null;
  const kind = kindOf(document);
  const offset = document.offsetAt(position);
  const hover = isEntitlements(document) ? hoverAt(document.getText(), offset) : kind && isBuildFileKind(kind) ? buildHoverAt(kind, document.getText(), offset) : undefined;
  if (!hover) return null;
  return { contents: { kind: MarkupKind.Markdown, value: hover.markdown }, range: { start: document.positionAt(hover.range.start), end: document.positionAt(hover.range.end) } };
});

connection.onCompletion(({ textDocument, position }): CompletionItem[] => {
  const document = documents.get(textDocument.uri);
  if (!document || !isEntitlements(document)) return [];
  return completionsAt(document.getText(), document.offsetAt(position)).map((c) => ({
    label: c.label,
    kind: c.snippet ? CompletionItemKind.Snippet : CompletionItemKind.Property,
    detail: c.detail,
    documentation: { kind: MarkupKind.Markdown, value: c.documentation },
    insertTextFormat: c.snippet ? InsertTextFormat.Snippet : InsertTextFormat.PlainText,
    textEdit: { range: { start: document.positionAt(c.range.start), end: document.positionAt(c.range.end) }, newText: c.insert },
  }));
});

documents.onDidClose(({ document }) => {
  cgo.cancel(document.uri);
  if (isLinted(document)) void connection.sendDiagnostics({ uri: document.uri, diagnostics: [] });
});

documents.listen(connection);
connection.listen();
