/**
 * Runs the bundled go-macos-sign CLI (dist/cli.js) on VS Code's own Node, with an argument array and a cancellation
 * signal; the way the client reaches the pipeline outside tasks (notarize with progress, identity listing).
 */
import { spawn } from 'node:child_process';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(
  cli: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string>; signal?: AbortSignal; onOutput?: (text: string) => void },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: options.cwd,
      // VS Code's executable is Electron; this makes it a plain Node for the CLI.
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: options.signal,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => {
      err.push(b);
      options.onOutput?.(b.toString('utf8'));
    });
    child.on('error', (e) =>
      e.name === 'AbortError' ? resolve({ code: 130, stdout: '', stderr: 'cancelled' }) : reject(e),
    );
    child.on('close', (code) =>
      resolve({
        code: code ?? 1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
  });
}
