/**
 * A task terminal that runs one process itself (a `vscode.Pseudoterminal` for a `vscode.CustomExecution`), so that
 * the process's environment never leaves the extension host.
 *
 * Why: a `ProcessExecution` hands its command and environment to VS Code's terminal, and VS Code desktop (persistent
 * sessions, on by default) saves a running task terminal's launch configuration, environment included, in the
 * workspace storage to revive it after a reload. The pipeline's secrets (the .p12 password, the notary API key) travel
 * in the CLI's environment, so a task that carries one runs here instead: the child is spawned with an argument array
 * (never a shell string), its environment is the extension host's plus the given variables, and VS Code only ever
 * sees the text it prints.
 *
 * Contract:
 * - `open` spawns the child; stdout and stderr reach the terminal as they arrive, UTF-8 decoded, with every line
 *   ending made `\r\n` (the terminal moves down on `\n` without returning to the first column); the problem matchers
 *   of the task read that text, as they read a process task's.
 * - The terminal closes with the child's exit code (128 + the signal's number when a signal ended it, as shells say),
 *   once all its output is written; a child that cannot start prints one line and closes with 1.
 * - Ctrl-C typed in the terminal sends SIGINT, closing the terminal or terminating the task sends SIGTERM: the CLI
 *   handles both as Ctrl-C in a shell (the running tool stops, a submitted notarization stays saved for a resume).
 * - No `vscode` import at run time (only its types): plain Node tests run it on real processes.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:os';
import type * as vscode from 'vscode';

export interface ProcessSpec {
  command: string;
  args: string[];
  cwd: string;
  /** Added to the extension host's environment for this child only. */
  env: Record<string, string>;
  /** Printed first, as a process task's terminal shows its command line (never holds a secret). */
  echo?: string;
}

/** Text for the terminal: every `\n` (alone or after `\r`) becomes `\r\n`. */
export function terminalText(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}

/** The exit code the terminal reports: the child's own, or 128 + the signal's number when a signal ended it. */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const number = signal ? constants.signals[signal] : undefined;
  return number === undefined ? 1 : 128 + number;
}

/** A command line as a shell would need it quoted, for the echo (display only: it is never run by a shell). */
export function commandLine(words: string[]): string {
  return words.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** What typed input asks of the child: Ctrl-C (ETX) interrupts it; anything else is ignored (the CLI never reads). */
export function inputSignal(data: string): 'SIGINT' | undefined {
  return data.includes('\x03') ? 'SIGINT' : undefined;
}

/** The smallest `vscode.EventEmitter`: listeners, fire, dispose (vscode's own cannot load outside the editor). */
class Emitter<T> {
  private readonly listeners = new Set<(value: T) => void>();
  readonly event = (
    listener: (value: T) => unknown,
    thisArgs?: unknown,
    disposables?: { dispose(): unknown }[],
  ): { dispose(): void } => {
    const bound = (value: T) => void listener.call(thisArgs, value);
    this.listeners.add(bound);
    const disposable = { dispose: () => void this.listeners.delete(bound) };
    disposables?.push(disposable);
    return disposable;
  };
  fire(value: T): void {
    for (const listener of [...this.listeners]) listener(value);
  }
}

export class ProcessTerminal implements vscode.Pseudoterminal {
  private readonly written = new Emitter<string>();
  private readonly closed = new Emitter<number>();
  readonly onDidWrite = this.written.event;
  readonly onDidClose = this.closed.event;
  private child: ChildProcess | undefined;
  private running = false;

  constructor(private readonly spec: ProcessSpec) {}

  open(): void {
    if (this.spec.echo) this.written.fire(`> ${this.spec.echo}\r\n\r\n`);
    let ended = false;
    const end = (code: number) => {
      if (ended) return;
      ended = true;
      this.running = false;
      this.closed.fire(code);
    };
    const child = spawn(this.spec.command, this.spec.args, {
      cwd: this.spec.cwd,
      env: { ...process.env, ...this.spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    this.child = child;
    this.running = true;
    for (const stream of [child.stdout, child.stderr]) {
      stream.setEncoding('utf8');
      stream.on('data', (text: string) => this.written.fire(terminalText(text)));
    }
    // A child that cannot start (a missing program or folder): its reason, never its environment.
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (child.pid !== undefined && this.running) return; // a failed kill(): the child runs on and 'close' follows
      this.written.fire(`go-macos-sign: cannot start the task (${error.code ?? error.message})\r\n`);
      end(1);
    });
    child.on('close', (code, signal) => end(exitCodeOf(code, signal)));
  }

  /** Typed input: Ctrl-C interrupts the child, as it would in a shell. */
  handleInput(data: string): void {
    const signal = inputSignal(data);
    if (signal && this.running) {
      this.written.fire('^C\r\n');
      this.child?.kill(signal);
    }
  }

  /** The terminal was closed or the task terminated: the child stops as it would on Ctrl-C. */
  close(): void {
    if (this.running) this.child?.kill('SIGTERM');
  }
}
