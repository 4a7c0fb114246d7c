/**
 * The bundled language server (dist/server.js) in a child process, spoken to over stdio with vscode-jsonrpc, as
 * VS Code does: started, initialized, and shut down with the exit code it ends with.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { createMessageConnection, MessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { within } from './bounds';
import { REPO } from './tools';

export interface LspServer {
  connection: MessageConnection;
  initialized: { serverInfo?: { name: string } };
  /** shutdown + exit; resolves with the server's exit code. */
  stop(): Promise<number | null>;
  /** The server's process (to kill it when a bounded wait runs out). */
  process: ChildProcess;
}

export async function startServer(options: { rootUri: string; workspaceFolders?: { uri: string; name: string }[]; initializationOptions?: unknown; env?: NodeJS.ProcessEnv; execArgv?: string[] }): Promise<LspServer> {
  const server = spawn(process.execPath, [...(options.execArgv ?? []), path.join(REPO, 'dist', 'server.js'), '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'], env: options.env ?? process.env });
  const connection = createMessageConnection(new StreamMessageReader(server.stdout!), new StreamMessageWriter(server.stdin!));
  connection.listen();
  const initialized = await within(
    connection.sendRequest<LspServer['initialized']>('initialize', {
      processId: process.pid,
      rootUri: options.rootUri,
      workspaceFolders: options.workspaceFolders,
      capabilities: {},
      initializationOptions: options.initializationOptions,
    }),
    60_000,
    'the language server to initialize',
  );
  await connection.sendNotification('initialized', {});
  return {
    connection,
    initialized,
    process: server,
    async stop() {
      const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));
      try {
        await within(connection.sendRequest('shutdown'), 30_000, 'the language server to answer shutdown');
        await connection.sendNotification('exit');
        return await within(exited, 30_000, 'the language server to exit');
      } finally {
        server.kill('SIGKILL'); // a no-op once it has exited; a server that hangs must not outlive the test
        connection.dispose();
      }
    },
  };
}
