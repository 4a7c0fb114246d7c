/**
 * The language-server adapter: LSP over IPC (started by the VS Code client) or stdio (`--stdio`, any editor; see
 * docs/lsp.md).
 *
 * A thin adapter with no policy: it answers the custom `goMacosSign/inspect` request with the engine's model, the same
 * one `go-macos-sign inspect --json` prints, and publishes the linter's diagnostics for entitlements files, the same
 * ones `go-macos-sign lint` prints. Hashing a large binary happens here (and in worker threads), never in the
 * extension host.
 *
 * Nothing a document or a request holds may end the server: every handler's failure is caught and logged, documents
 * whose URI names no local file are ignored (with a log line), documents over the lint size cap are not linted, and
 * `exit` or the end of stdin end the process even while a file read hangs. Edits are linted once they pause, and a
 * result for a version that is no longer current is dropped. Answers take the form the client supports (see
 * lsp/clientFeatures.ts).
 */
import * as path from 'node:path';
import {
  CodeAction,
  CodeActionKind,
  Command,
  CompletionItem,
  CompletionItemKind,
  createConnection,
  Diagnostic,
  DiagnosticSeverity,
  DidChangeConfigurationParams,
  Hover,
  InitializeResult,
  InsertTextFormat,
  MarkupKind,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  TextEdit,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { pathToFileURL } from 'node:url';
import { ruleDocUrl } from './rules';
import { inspectPath } from './inspect';
import { addNotarization } from './inspectOnline';
import { completionsAt, hoverAt } from './lint/entitlements/assist';
import {
  cleanOverrides,
  FileDiagnostic,
  FileKind,
  fileKind,
  lintBinaryDocument,
  lintDocument,
  SeverityOverrides,
} from './lint/lintFiles';
import { LIMITS } from './fileAccess';
import { InspectRequest, NewEntitlementsRequest, TrustedNotification } from './protocol';
import { entitlementsFile } from './plist/write';
import { buildHoverAt } from './lint/buildconfig/assist';
import { isBuildFileKind } from './lint/buildconfig/buildFiles';
import { GoListCache } from './goListCache';
import { looksBinary, readBinaryPlist } from './lsp/binaryPlist';
import { ClientFeatures, clientFeatures } from './lsp/clientFeatures';
import { Debouncer } from './lsp/debounce';
import { DocumentLocation, locate, pathKey } from './lsp/documentUri';
import { exitEvenIfBlocked, settleFileRequests } from './lsp/processExit';
import { quickFixes } from './lsp/quickFixes';
import { architecturesOf, pushedSettings, ServerSettings } from './lsp/settings';

declare const PACKAGE_VERSION: string | undefined;

/** How long edits must pause before a document is linted again. */
const LINT_DELAY_MS = 150;
/** The command a client without code action literals runs to apply a quick fix. */
const APPLY_FIX = 'goMacosSign.applyFix';

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
const log = (message: string) => connection.console.log(message);
let workspaceRoot: string | null = null;
let client: ClientFeatures = clientFeatures(undefined);
/** Settings pushed with didChangeConfiguration, used when the client cannot be asked with workspace/configuration. */
let pushed: ServerSettings = {};
/** Whether the workspace is trusted (the client says so); only then may we run the workspace's go command. */
let trusted = false;

exitEvenIfBlocked((message) => process.stderr.write(`go-macos-sign: ${message}\n`));

/**
 * A handler that never throws: a failure is logged with what was being done, and the caller gets `fallback`.
 * A bug must not end the server; the log is where it surfaces.
 */
function guarded<A extends unknown[], R>(
  doing: (...args: A) => string,
  fallback: R,
  handler: (...args: A) => R | Promise<R>,
): (...args: A) => Promise<R> {
  return async (...args: A) => {
    try {
      return await handler(...args);
    } catch (error) {
      connection.console.error(
        `${doing(...args)} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      return fallback;
    }
  };
}

connection.onInitialize((params): InitializeResult => {
  const folder = params.workspaceFolders?.[0]?.uri ?? params.rootUri;
  const root = folder ? locate(folder) : undefined;
  workspaceRoot = root?.kind === 'file' ? root.path : null;
  if (root?.kind === 'unreadable') log(`ignoring the workspace folder ${folder}: it ${root.reason}`);
  client = clientFeatures(params.capabilities);
  trusted = (params.initializationOptions as { trusted?: unknown } | undefined)?.trusted === true;
  return {
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
      // Only a client that takes quick fixes as commands needs ours (VS Code would register it as a command).
      executeCommandProvider: client.codeActionLiterals ? undefined : { commands: [APPLY_FIX] },
      hoverProvider: true,
      completionProvider: { triggerCharacters: ['<', '.'] },
    },
    serverInfo: {
      name: 'go-macos-sign',
      version: typeof PACKAGE_VERSION === 'string' ? PACKAGE_VERSION : 'development',
    },
  };
});

/** Accepts a file system path or a file: URI; relative paths are taken from the workspace folder. */
function resolveTarget(target: unknown): string | { error: string } {
  if (typeof target !== 'string' || target === '') return { error: 'the inspect request needs a path' };
  if (/^[a-z][a-z0-9+.-]*:/i.test(target) && !/^[a-z]:[\\/]/i.test(target)) {
    const location = locate(target);
    if (location.kind === 'file') return location.path;
    return {
      error: `${target}: ${location.kind === 'unreadable' ? location.reason : 'only local files can be inspected'}`,
    };
  }
  return path.isAbsolute(target) || !workspaceRoot ? target : path.join(workspaceRoot, target);
}

connection.onRequest(
  NewEntitlementsRequest.method,
  guarded(
    (_params: NewEntitlementsRequest.Params) => 'writing a new entitlements file',
    { text: entitlementsFile() } as NewEntitlementsRequest.Result,
    (params: NewEntitlementsRequest.Params): NewEntitlementsRequest.Result => {
      const wanted = params?.entitlements;
      const entitlements: Record<string, boolean> = {};
      if (wanted && typeof wanted === 'object')
        for (const [key, value] of Object.entries(wanted)) if (typeof value === 'boolean') entitlements[key] = value;
      return { text: entitlementsFile(entitlements) };
    },
  ),
);

connection.onRequest(
  InspectRequest.method,
  guarded(
    (params: InspectRequest.Params) => `inspecting ${String(params?.path)}`,
    {
      reports: [],
      errors: [{ path: '', message: 'the inspection failed (see the go-macos-sign log)' }],
    } as InspectRequest.Result,
    async (params: InspectRequest.Params): Promise<InspectRequest.Result> => {
      const target = resolveTarget(params?.path);
      if (typeof target !== 'string')
        return { reports: [], errors: [{ path: String(params?.path ?? ''), message: target.error }] };
      const started = Date.now();
      const architectures = architecturesOf(params.options?.architectures);
      const result = await inspectPath(target, { checks: { architectures } });
      // Only when the user turned on goMacosSign.checkTicketsOnline: the one request carries only cdhashes.
      if (params.online === true) await addNotarization(result.reports);
      log(
        `inspected ${target}: ${result.reports.length} artifact(s), ${result.errors.length} error(s) in ${Date.now() - started} ms`,
      );
      return result;
    },
  ),
);

const SEVERITY: Record<FileDiagnostic['severity'], DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

/** Editor language ids (VS Code's, and Vim's filetypes) that say what a file is when its name does not (a script without extension). */
const LANGUAGE_KINDS: Record<string, FileKind> = {
  entitlements: 'entitlements',
  shellscript: 'shell',
  sh: 'shell',
  bash: 'shell',
  zsh: 'shell',
  makefile: 'makefile',
  make: 'makefile',
};

/**
 * Plists that build files pass to `codesign --entitlements` (whatever their name), by path key, each with the keys of
 * the build files that name it: such a plist is linted as an entitlements file while any of them does.
 */
const namedEntitlements = new Map<string, Set<string>>();

/** Documents whose URI names no local file, already logged (each is logged once). */
const ignored = new Set<string>();

/** Where a document is; undefined (logged once) when its URI names no local file: such documents are ignored. */
function located(uri: string): Exclude<DocumentLocation, { kind: 'unreadable' }> | undefined {
  const location = locate(uri);
  if (location.kind !== 'unreadable') return location;
  if (!ignored.has(uri)) {
    ignored.add(uri);
    log(`ignoring ${uri}: it ${location.reason}`);
  }
  return undefined;
}

/** Whether a document is too large to lint (the CLI's cap, LIMITS.text); logged once per document. */
const oversized = new Set<string>();
function tooLarge(document: TextDocument): boolean {
  // UTF-8 takes at least one byte per UTF-16 unit and at most three: only the middle needs counting.
  const text = document.getText();
  const limit = LIMITS.text;
  const bytes = text.length * 3 <= limit ? 0 : text.length > limit ? text.length : Buffer.byteLength(text);
  if (bytes <= limit) {
    oversized.delete(document.uri);
    return false;
  }
  if (!oversized.has(document.uri))
    log(`not linting ${document.uri}: ${bytes} bytes is more than the ${limit}-byte limit`);
  oversized.add(document.uri);
  return true;
}

/** What the linter makes of a document, or undefined when it is not ours (or is ignored). */
function kindOf(document: TextDocument): FileKind | undefined {
  const location = located(document.uri);
  if (!location) return undefined;
  if (namedEntitlements.has(location.key)) return 'entitlements';
  return fileKind(document.uri, document.getText()) ?? LANGUAGE_KINDS[document.languageId];
}

/** Whether hover and completion treat a document as entitlements (its editor language may say so too). */
function isEntitlements(document: TextDocument, kind: FileKind | undefined): boolean {
  return kind === 'entitlements' || (document.languageId === 'entitlements' && located(document.uri) !== undefined);
}

/** Records which entitlements files a build document names, and re-lints the open ones whose status changed. */
function noteEntitlements(buildKey: string, files: Set<string>): void {
  const named = new Set([...files].map(pathKey));
  const changed = new Set<string>();
  for (const [key, by] of namedEntitlements) {
    if (by.has(buildKey) && !named.has(key)) {
      by.delete(buildKey);
      if (by.size === 0) namedEntitlements.delete(key);
      changed.add(key);
    }
  }
  for (const key of named) {
    const by = namedEntitlements.get(key) ?? new Set<string>();
    if (!by.has(buildKey)) changed.add(key);
    by.add(buildKey);
    namedEntitlements.set(key, by);
  }
  if (changed.size === 0) return;
  for (const document of documents.all()) {
    const location = located(document.uri);
    if (location && changed.has(location.key)) {
      if (kindOf(document)) lints.schedule(document.uri);
      else void connection.sendDiagnostics({ uri: document.uri, diagnostics: [] });
    }
  }
}

function toDiagnostic(d: FileDiagnostic): Diagnostic {
  const diagnostic: Diagnostic = {
    range: d.range,
    severity: SEVERITY[d.severity],
    code: d.code,
    codeDescription: { href: ruleDocUrl(d.code) },
    source: 'go-macos-sign',
    message: d.message,
  };
  if (d.related)
    diagnostic.relatedInformation = d.related.map((r) => ({
      location: {
        uri: r.file.includes(':') && !/^[a-z]:[\\/]/i.test(r.file) ? r.file : pathToFileURL(r.file).toString(),
        range: r.range,
      },
      message: r.message,
    }));
  return diagnostic;
}

/** Trust granted after start: the client tells us, and go.mod files get their `go list` analysis. */
connection.onNotification(
  TrustedNotification.method,
  guarded(
    () => 'granting trust',
    undefined,
    () => {
      trusted = true;
      documents.all().forEach((d) => lints.schedule(d.uri));
    },
  ),
);

const cgo = new GoListCache(log);

/** A setting for a document: asked of the client (resource-scoped, so folders may differ), or as it was pushed. */
async function setting(uri: string, name: keyof ServerSettings): Promise<unknown> {
  if (!client.configuration) return pushed[name];
  return connection.workspace.getConfiguration({ scopeUri: uri, section: `goMacosSign.${name}` });
}

/** The user's `goMacosSign.rules` for a document. */
async function overridesFor(uri: string): Promise<SeverityOverrides> {
  return cleanOverrides(await setting(uri, 'rules'));
}

/** Lints a document's current version and publishes the result, unless a newer version arrived meanwhile. */
async function validate(uri: string): Promise<void> {
  const document = documents.get(uri);
  const kind = document && kindOf(document);
  if (!document || !kind) return;
  if (tooLarge(document)) {
    void connection.sendDiagnostics({ uri, version: document.version, diagnostics: [] });
    return;
  }
  const version = document.version;
  const seen = new Set<string>();
  const overrides = await overridesFor(uri);
  const architectures = kind === 'gomod' ? architecturesOf(await setting(uri, 'architectures')) : [];
  if (documents.get(uri)?.version !== version) return; // a newer version is on its way
  const location = located(uri);
  const text = document.getText();
  const binary =
    kind === 'entitlements' && looksBinary(text) && location?.kind === 'file'
      ? readBinaryPlist(location.path)
      : undefined;
  const cgoFindings = kind === 'gomod' ? cgo.cached(uri, architectures) : undefined;
  const found = binary
    ? lintBinaryDocument(uri, binary, overrides)
    : lintDocument(uri, text, { overrides, kind, architectures, cgoFindings, entitlementsSeen: (f) => seen.add(f) });
  if (kind === 'gomod' && !cgoFindings && trusted)
    void cgo.refresh(uri, architectures).then(
      (fresh) => fresh && lints.schedule(uri),
      (error: unknown) => log(`go list for ${uri} failed: ${String(error)}`),
    );
  void connection.sendDiagnostics({ uri, version, diagnostics: found.map(toDiagnostic) });
  if (kind !== 'entitlements' && kind !== 'info-plist' && location) noteEntitlements(location.key, seen);
}

const lints = new Debouncer(
  LINT_DELAY_MS,
  guarded((uri: string) => `linting ${uri}`, undefined, validate),
);

documents.onDidChangeContent(({ document }) => lints.schedule(document.uri));

connection.onDidChangeConfiguration(
  guarded(
    (_: DidChangeConfigurationParams) => 'applying changed settings',
    undefined,
    ({ settings }: DidChangeConfigurationParams) => {
      if (!client.configuration) pushed = pushedSettings(settings);
      documents.all().forEach((d) => lints.schedule(d.uri));
    },
  ),
);

/** The arguments of the APPLY_FIX command: one fix, for the document version it was computed for. */
interface FixArguments {
  uri: string;
  version: number;
  edits: TextEdit[];
}

/** Quick fixes for our diagnostics in the requested range, recomputed from the current text (never stale). */
connection.onCodeAction(
  guarded(
    ({ textDocument }) => `computing quick fixes for ${textDocument.uri}`,
    [],
    async ({ textDocument, range, context }): Promise<(CodeAction | Command)[]> => {
      const document = documents.get(textDocument.uri);
      const kind = document && kindOf(document);
      if (!document || !kind || tooLarge(document)) return [];
      const overrides = await overridesFor(document.uri);
      const wanted = new Set(
        context.diagnostics
          .filter((d) => d.source === 'go-macos-sign')
          .map((d) => `${d.code}@${JSON.stringify(d.range)}`),
      );
      const before = (a: { line: number; character: number }, b: { line: number; character: number }) =>
        a.line < b.line || (a.line === b.line && a.character <= b.character);
      const found = lintDocument(document.uri, document.getText(), { overrides, withFixes: true, kind }).filter(
        (d) =>
          d.fixes &&
          (wanted.has(`${d.code}@${JSON.stringify(d.range)}`) ||
            (before(d.range.start, range.end) && before(range.start, d.range.end))),
      );
      return quickFixes(found).map((fix) => {
        if (!client.codeActionLiterals) {
          const args: FixArguments = { uri: document.uri, version: document.version, edits: fix.edits };
          return Command.create(fix.title, APPLY_FIX, args);
        }
        return {
          title: fix.title,
          kind: CodeActionKind.QuickFix,
          diagnostics: fix.diagnostics.map(toDiagnostic),
          isPreferred: fix.preferred,
          edit: { changes: { [document.uri]: fix.edits } },
        };
      });
    },
  ),
);

/** Applies a quick fix offered as a command, if the document is still the version it was computed for. */
connection.onExecuteCommand(
  guarded(
    ({ command }) => `running ${command}`,
    undefined,
    async ({ command, arguments: args }) => {
      const fix = args?.[0] as Partial<FixArguments> | undefined;
      if (command !== APPLY_FIX || typeof fix?.uri !== 'string' || !Array.isArray(fix.edits)) return;
      if (documents.get(fix.uri)?.version !== fix.version) {
        void connection.window.showWarningMessage(
          'The file changed since this fix was offered; ask for the fix again.',
        );
        return;
      }
      if (!client.applyEdit) {
        log(`cannot apply "${command}": the editor does not support workspace/applyEdit`);
        return;
      }
      await connection.workspace.applyEdit({
        label: 'go-macos-sign quick fix',
        edit: { changes: { [fix.uri]: fix.edits } },
      });
    },
  ),
);

connection.onHover(
  guarded(
    ({ textDocument }) => `hovering in ${textDocument.uri}`,
    null,
    ({ textDocument, position }): Hover | null => {
      const document = documents.get(textDocument.uri);
      const kind = document && kindOf(document);
      if (!document || !(kind || isEntitlements(document, kind)) || tooLarge(document)) return null;
      const offset = document.offsetAt(position);
      const hover = isEntitlements(document, kind)
        ? hoverAt(document.getText(), offset)
        : kind && isBuildFileKind(kind)
          ? buildHoverAt(kind, document.getText(), offset)
          : undefined;
      if (!hover) return null;
      return {
        contents: { kind: client.hoverMarkdown ? MarkupKind.Markdown : MarkupKind.PlainText, value: hover.markdown },
        range: { start: document.positionAt(hover.range.start), end: document.positionAt(hover.range.end) },
      };
    },
  ),
);

connection.onCompletion(
  guarded(
    ({ textDocument }) => `completing in ${textDocument.uri}`,
    [],
    ({ textDocument, position }): CompletionItem[] => {
      const document = documents.get(textDocument.uri);
      if (!document || !isEntitlements(document, kindOf(document)) || tooLarge(document)) return [];
      return completionsAt(document.getText(), document.offsetAt(position)).map((c) => {
        const snippet = client.snippets && c.snippet !== undefined ? c.snippet : undefined;
        return {
          label: c.label,
          kind: c.snippet !== undefined ? CompletionItemKind.Snippet : CompletionItemKind.Property,
          detail: c.detail,
          documentation: client.completionMarkdown
            ? { kind: MarkupKind.Markdown, value: c.documentation }
            : c.documentation,
          insertTextFormat: snippet !== undefined ? InsertTextFormat.Snippet : InsertTextFormat.PlainText,
          textEdit: {
            range: { start: document.positionAt(c.range.start), end: document.positionAt(c.range.end) },
            newText: snippet ?? c.insert,
          },
        };
      });
    },
  ),
);

documents.onDidClose(
  guarded(
    ({ document }) => `closing ${document.uri}`,
    undefined,
    ({ document }) => {
      lints.cancel(document.uri);
      cgo.cancel(document.uri);
      oversized.delete(document.uri);
      ignored.delete(document.uri);
      if (locate(document.uri).kind !== 'unreadable')
        void connection.sendDiagnostics({ uri: document.uri, diagnostics: [] });
    },
  ),
);

/** Shutdown lets file reads in flight finish, so that `exit` can end the process the ordinary way. */
connection.onShutdown(() => settleFileRequests(1000));

/** A last line of defence: an error that escaped every handler is logged, and the server keeps serving. */
process.on('unhandledRejection', (error) =>
  connection.console.error(
    `unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  ),
);

documents.listen(connection);
connection.listen();
