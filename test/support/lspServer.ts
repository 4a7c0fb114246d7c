/**
 * The bundled language server (dist/server.js) in a child process, spoken to over stdio with vscode-jsonrpc:
 * started, initialized with the capabilities of the client being played (VS Code's by default, or none at all),
 * and shut down with the exit code it ends with. The server runs under a memory ceiling; its log lines
 * (window/logMessage) are collected, and `workspace/configuration` is answered from `settings`.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { createMessageConnection, MessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { REPO } from './tools';

/** What VS Code 1.82 tells a language server it can do, as far as this server looks. */
export const VSCODE_CAPABILITIES = {
  workspace: { configuration: true, applyEdit: true, workspaceEdit: { documentChanges: true } },
  textDocument: {
    completion: { completionItem: { snippetSupport: true, documentationFormat: ['markdown', 'plaintext'] } },
    hover: { contentFormat: ['markdown', 'plaintext'] },
    codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['', 'quickfix', 'refactor', 'source'] } }, isPreferredSupport: true },
    publishDiagnostics: { relatedInformation: true, versionSupport: true, codeDescriptionSupport: true },
  },
};

export interface LspServer {
  connection: MessageConnection;
  initialized: { serverInfo?: { name: string }; capabilities: Record<string, unknown> };
  child: ChildProcess;
  /** Resolves when the server process has ended. */
  ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The server's log lines so far (window/logMessage). */
  logs: string[];
  /** shutdown + exit; resolves with the server's exit code. */
  stop(): Promise<number | null>;
}

export interface ServerOptions {
  rootUri: string;
  workspaceFolders?: { uri: string; name: string }[];
  initializationOptions?: unknown;
  env?: NodeJS.ProcessEnv;
  /** The client's capabilities; VS Code's by default. */
  capabilities?: object;
  /** Answers to workspace/configuration, by dotted section (`goMacosSign.rules`). */
  settings?: Record<string, unknown>;
  /** The server's V8 heap ceiling. */
  maxOldSpaceMb?: number;
}

export async function startServer(options: ServerOptions): Promise<LspServer> {
  const execArgs = [`--max-old-space-size=${options.maxOldSpaceMb ?? 512}`, path.join(REPO, 'dist', 'server.js'), '--stdio'];
  const child = spawn(process.execPath, execArgs, { stdio: ['pipe', 'pipe', 'inherit'], env: options.env ?? process.env });
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const logs: string[] = [];
  connection.onNotification('window/logMessage', (params: { message: string }) => logs.push(params.message));
  connection.onRequest('workspace/configuration', (params: { items: { section?: string }[] }) => params.items.map((item) => options.settings?.[item.section ?? ''] ?? null));
  connection.listen();
  const initialized = await connection.sendRequest<LspServer['initialized']>('initialize', {
    processId: process.pid,
    rootUri: options.rootUri,
    workspaceFolders: options.workspaceFolders,
    capabilities: options.capabilities ?? VSCODE_CAPABILITIES,
    initializationOptions: options.initializationOptions,
  });
  await connection.sendNotification('initialized', {});
  return {
    connection,
    initialized,
    child,
    ended,
    logs,
    async stop() {
      await connection.sendRequest('shutdown');
      await connection.sendNotification('exit');
      const { code } = await ended;
      connection.dispose();
      return code;
    },
  };
}
