/**
 * The language-server adapter: LSP over IPC (started by the VS Code client) or stdio (`--stdio`).
 *
 * A thin adapter with no policy: it answers the custom `goMacosSign/inspect` request with the engine's model, the same
 * one `go-macos-sign inspect --json` prints. Hashing a large binary happens here (and in worker threads), never in the
 * extension host. Diagnostics for go.mod, entitlements and build files arrive with later analyzers.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createConnection, InitializeResult, ProposedFeatures, TextDocuments, TextDocumentSyncKind } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { inspectPath } from './inspect';
import { InspectRequest } from './protocol';

declare const PACKAGE_VERSION: string | undefined;

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
let workspaceRoot: string | null = null;

connection.onInitialize((params): InitializeResult => {
  const folder = params.workspaceFolders?.[0]?.uri ?? params.rootUri;
  workspaceRoot = folder?.startsWith('file:') ? fileURLToPath(folder) : null;
  return {
    capabilities: { textDocumentSync: TextDocumentSyncKind.Incremental },
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

documents.listen(connection);
connection.listen();
