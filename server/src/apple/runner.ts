/**
 * Runs Apple's and Go's tools the safe way: an argument array handed to spawn (never a shell string), the command
 * printed first as make prints it, output forwarded as it comes, cancellable. Secrets never appear in the echo: they
 * travel in environment variables the echo leaves out, or in files. No child inherits our own secret variables
 * (SECRET_ENV): a tool that needs one is given it explicitly through `secretEnv`.
 */
import { spawn } from 'node:child_process';
import { notFoundMessage, onPath, resolveTool } from './toolLookup';

/**
 * The environment variables that carry secrets to go-macos-sign (a CI secret, VS Code's secret storage). We read
 * them; no tool we start inherits them (go, codesign, a build script run by go generate, ... have no use for them).
 * The one list: every secret the CLI reads is named here.
 */
export const SECRET_ENV = ['GO_MACOS_SIGN_NOTARY_KEY', 'GO_MACOS_SIGN_P12_PASSWORD'] as const;

/** `env` without the secret variables: the base of every child process's environment. */
export function withoutSecrets(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const copy = { ...env };
  for (const name of SECRET_ENV) delete copy[name];
  return copy;
}

export interface Command {
  /** A tool name (`codesign`) or path; `tools` may map the name to a path. */
  tool: string;
  args: string[];
  /** Extra environment shown in the echo (GOOS=darwin ...). */
  env?: Record<string, string>;
  /** Extra environment never shown (secrets). */
  secretEnv?: Record<string, string>;
  cwd?: string;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunnerOptions {
  /** Where the echo and the tools' output go. */
  out: (text: string) => void;
  err: (text: string) => void;
  /** Tool name → path, from settings or `--tool NAME=PATH`; otherwise found on PATH. */
  tools?: Record<string, string>;
  /** The environment tools start from (and whose PATH finds them); process.env by default. Secrets are removed. */
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  cwd?: string;
}

export class ToolError extends Error {
  constructor(
    message: string,
    readonly result?: RunResult,
  ) {
    super(message);
  }
}

/** Quotes a word for display the way a shell would need it; only for the echo, never executed. */
export function quoteForDisplay(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export function displayCommand(command: Command): string {
  const env = Object.entries(command.env ?? {}).map(([k, v]) => `${k}=${quoteForDisplay(v)}`);
  return [...env, command.tool, ...command.args].map((w, i) => (i < env.length ? w : quoteForDisplay(w))).join(' ');
}

export class Runner {
  /** Every command run, as displayed: what tests and the `--json` output report. */
  readonly history: string[] = [];

  constructor(private readonly options: RunnerOptions) {}

  /** Whether `tool` can run: named with --tool, or on the PATH the tools start from. Never runs it. */
  has(tool: string): boolean {
    return Boolean(this.options.tools?.[tool]) || onPath(tool, (this.options.env ?? process.env).PATH ?? '');
  }

  async run(
    command: Command,
    { allowFailure = false, quiet = false }: { allowFailure?: boolean; quiet?: boolean } = {},
  ): Promise<RunResult> {
    // A path named with --tool is echoed by its tool name; a tool found under another name (llvm-lipo) by that name.
    const named = this.options.tools?.[command.tool];
    const executable = named ?? resolveTool(command.tool);
    const shown = displayCommand(named ? command : { ...command, tool: executable });
    this.history.push(shown);
    this.options.out(`$ ${shown}\n`);
    const result = await new Promise<RunResult>((resolve, reject) => {
      const child = spawn(executable, command.args, {
        cwd: command.cwd ?? this.options.cwd,
        env: { ...withoutSecrets(this.options.env ?? process.env), ...command.env, ...command.secretEnv },
        stdio: ['ignore', 'pipe', 'pipe'],
        signal: this.options.signal,
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => {
        out.push(b);
        if (!quiet) this.options.out(b.toString('utf8'));
      });
      child.stderr.on('data', (b: Buffer) => {
        err.push(b);
        this.options.err(b.toString('utf8'));
      });
      child.on('error', (e: NodeJS.ErrnoException) =>
        reject(
          new ToolError(
            e.code === 'ENOENT'
              ? named
                ? `${command.tool}: ${named} not found (named with --tool ${command.tool}=PATH)`
                : notFoundMessage(command.tool)
              : e.name === 'AbortError'
                ? `${command.tool}: cancelled`
                : `${command.tool}: ${e.message}`,
          ),
        ),
      );
      child.on('close', (code, signal) =>
        resolve({
          code: code ?? (signal ? 128 : 1),
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
        }),
      );
    });
    if (result.code !== 0 && !allowFailure) throw new ToolError(`${command.tool} failed (exit ${result.code})`, result);
    return result;
  }
}
