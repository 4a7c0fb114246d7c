/**
 * The bundled language server (dist/server.js) in a child process, spoken to over stdio with vscode-jsonrpc:
 * started, initialized with the capabilities of the client being played (VS Code's by default, or none at all),
 * and shut down with the exit code it ends with. The server runs under a memory ceiling; its log lines
 * (window/logMessage) and published diagnostics are collected, and `workspace/configuration` is answered from
 * `settings`. Every wait is bounded (`within`).
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import {
  createMessageConnection,
  MessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-jsonrpc/node';
import { within } from './bounds';
import { REPO } from './tools';

/** What VS Code 1.82 tells a language server it can do, as far as this server looks. */
export const VSCODE_CAPABILITIES = {
  workspace: { configuration: true, applyEdit: true, workspaceEdit: { documentChanges: true } },
  textDocument: {
    completion: { completionItem: { snippetSupport: true, documentationFormat: ['markdown', 'plaintext'] } },
    hover: { contentFormat: ['markdown', 'plaintext'] },
    codeAction: {
      codeActionLiteralSupport: { codeActionKind: { valueSet: ['', 'quickfix', 'refactor', 'source'] } },
      isPreferredSupport: true,
    },
    publishDiagnostics: { relatedInformation: true, versionSupport: true, codeDescriptionSupport: true },
  },
};

export interface Position {
  line: number;
  character: number;
}

export interface PublishedDiagnostics {
  uri: string;
  version?: number;
  diagnostics: {
    range: { start: Position; end: Position };
    code: string;
    severity: number;
    message: string;
    source: string;
    relatedInformation?: unknown[];
  }[];
}

export interface LspServer {
  connection: MessageConnection;
  initialized: { serverInfo?: { name: string }; capabilities: Record<string, unknown> };
  child: ChildProcess;
  /** Resolves when the server process has ended. */
  ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The server's log lines so far (window/logMessage). */
  logs: string[];
  /** Every publishDiagnostics so far, in order (unless a test replaces the handler). */
  published: PublishedDiagnostics[];
  /** The first publication for `uri` (past or future) that `accept` takes, within `ms`. */
  diagnostics(uri: string, accept?: (p: PublishedDiagnostics) => boolean, ms?: number): Promise<PublishedDiagnostics>;
  /** The first log line (past or future) that matches, within `ms`. */
  logLine(pattern: RegExp, ms?: number): Promise<string>;
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
  /** The server's V8 heap ceiling (a bound: a runaway server dies instead of taking the machine's memory). */
  maxOldSpaceMb?: number;
}

export async function startServer(options: ServerOptions): Promise<LspServer> {
  const execArgs = [
    `--max-old-space-size=${options.maxOldSpaceMb ?? 512}`,
    path.join(REPO, 'dist', 'server.js'),
    '--stdio',
  ];
  const child = spawn(process.execPath, execArgs, {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: options.env ?? process.env,
  });
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const connection = createMessageConnection(
    new StreamMessageReader(child.stdout!),
    new StreamMessageWriter(child.stdin!),
  );
  const logs: string[] = [];
  const published: PublishedDiagnostics[] = [];
  const listeners = new Set<() => void>();
  const notify = () => listeners.forEach((l) => l());
  /** Resolves with the first value `find` returns, now or after a later notification. */
  const awaitFirst = <T>(find: () => T | undefined, ms: number, what: string) =>
    within(
      new Promise<T>((resolve) => {
        const check = () => {
          const found = find();
          if (found === undefined) return;
          listeners.delete(check);
          resolve(found);
        };
        listeners.add(check);
        check();
      }),
      ms,
      what,
    );
  connection.onNotification('window/logMessage', (params: { message: string }) => {
    logs.push(params.message);
    notify();
  });
  connection.onNotification('textDocument/publishDiagnostics', (params: PublishedDiagnostics) => {
    published.push(params);
    notify();
  });
  connection.onRequest('workspace/configuration', (params: { items: { section?: string }[] }) =>
    params.items.map((item) => options.settings?.[item.section ?? ''] ?? null),
  );
  connection.listen();
  const initialized = await within(
    connection.sendRequest<LspServer['initialized']>('initialize', {
      processId: process.pid,
      rootUri: options.rootUri,
      workspaceFolders: options.workspaceFolders,
      capabilities: options.capabilities ?? VSCODE_CAPABILITIES,
      initializationOptions: options.initializationOptions,
    }),
    60_000,
    'the language server to initialize',
  );
  await connection.sendNotification('initialized', {});
  return {
    connection,
    initialized,
    child,
    ended,
    logs,
    published,
    diagnostics: (uri, accept = () => true, ms = 60_000) =>
      awaitFirst(() => published.find((p) => p.uri === uri && accept(p)), ms, `diagnostics for ${uri}`),
    logLine: (pattern, ms = 60_000) =>
      awaitFirst(() => logs.find((l) => pattern.test(l)), ms, `a log line matching ${pattern}`),
    async stop() {
      try {
        await within(connection.sendRequest('shutdown'), 60_000, 'the answer to shutdown');
        await connection.sendNotification('exit');
        return (await within(ended, 60_000, 'the server to exit')).code;
      } finally {
        child.kill('SIGKILL'); // a no-op once it has exited; a server that hangs must not outlive the test
        connection.dispose();
      }
    },
  };
}
