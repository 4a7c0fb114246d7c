/**
 * A stand-in for the `vscode` module, so that plain Node tests can load client modules that build VS Code objects
 * (tasks.ts, settings.ts) and look at what they built. It holds only what those modules use: the task classes keep
 * their constructor arguments as VS Code's own do, and `workspace` answers from `stub.settings` and `stub.folders`.
 * `useVscodeStub()` makes `require('vscode')` resolve here; load the client module with require after calling it.
 */
import Module from 'node:module';

export const stub = {
  settings: {} as Record<string, unknown>,
  folders: [] as { uri: { fsPath: string }; name: string; index: number }[],
  trusted: true,
};

export const workspace = {
  get isTrusted() {
    return stub.trusted;
  },
  get workspaceFolders() {
    return stub.folders;
  },
  getConfiguration(section: string) {
    return { get: (key: string) => stub.settings[`${section}.${key}`] };
  },
};

export class ProcessExecution {
  constructor(
    public process: string,
    public args: string[],
    public options?: { cwd?: string; env?: Record<string, string> },
  ) {}
}

export class CustomExecution {
  constructor(public callback: (definition: unknown) => Promise<unknown>) {}
}

export class TaskGroup {
  static Build = new TaskGroup('build', 'Build');
  constructor(
    public id: string,
    public label: string,
  ) {}
}

export class Task {
  group: TaskGroup | undefined;
  constructor(
    public definition: { type: string; [key: string]: unknown },
    public scope: unknown,
    public name: string,
    public source: string,
    public execution: ProcessExecution | CustomExecution,
    public problemMatchers: string[],
  ) {}
}

type Resolve = (request: string, ...rest: unknown[]) => string;

/** Makes `require('vscode')` load this module, for the rest of the test process. */
export function useVscodeStub(): void {
  const loader = Module as unknown as { _resolveFilename: Resolve };
  const original = loader._resolveFilename;
  loader._resolveFilename = function (request: string, ...rest: unknown[]) {
    return request === 'vscode' ? __filename : original.call(this, request, ...rest);
  };
}
