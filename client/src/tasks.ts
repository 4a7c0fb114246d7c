/**
 * Task provider `go-macos-sign`: one task per pipeline step, each running the CLI command a terminal or CI would run,
 * so the terminal shows the same lines as a CI log. Nothing is offered or run in an untrusted workspace.
 *
 * A task whose CLI needs a secret (the .p12 password, the notary API key, from secret storage) runs in our own
 * terminal (`processTerminal.ts`, a CustomExecution) that reads the secrets when the task starts and hands them to
 * the child's environment only: a ProcessExecution's environment is part of what VS Code saves to revive a running
 * task terminal after a reload, so it must never hold one. Tasks without a secret stay ProcessExecutions (VS Code
 * revives those after a reload). Definitions, labels, groups and problem matchers are the same either way.
 */
import * as vscode from 'vscode';
import { cliArgs, SettingsError, Step } from './pipelineArgs';
import { commandLine, ProcessTerminal } from './processTerminal';
import { pipelineSettings, secretEnv } from './settings';

export const TASK_TYPE = 'go-macos-sign';
const STEPS: Step[] = ['build', 'sign', 'notarize', 'staple', 'verify', 'release', 'lint'];

interface Definition extends vscode.TaskDefinition {
  step: Step;
  artifact?: string;
}

export class PipelineTasks implements vscode.TaskProvider, vscode.Disposable {
  /** Our terminals whose process runs: stopped when the extension is (a reload), as VS Code stops its own. */
  private readonly running = new Set<ProcessTerminal>();

  constructor(
    private readonly cli: string,
    private readonly secrets: vscode.SecretStorage,
  ) {}

  async provideTasks(): Promise<vscode.Task[]> {
    if (!vscode.workspace.isTrusted) return [];
    const tasks: vscode.Task[] = [];
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      for (const step of STEPS) {
        const task = await this.task({ type: TASK_TYPE, step }, folder);
        if (task) tasks.push(task);
      }
    }
    return tasks;
  }

  async resolveTask(task: vscode.Task): Promise<vscode.Task | undefined> {
    const definition = task.definition as Definition;
    if (!vscode.workspace.isTrusted || !STEPS.includes(definition.step)) return undefined;
    const folder = typeof task.scope === 'object' ? task.scope : vscode.workspace.workspaceFolders?.[0];
    return folder ? this.task(definition, folder) : undefined;
  }

  dispose(): void {
    for (const terminal of this.running) terminal.close();
  }

  /** The task for a step, or undefined when the settings it needs are missing (the palette commands explain). */
  async task(definition: Definition, folder: vscode.WorkspaceFolder): Promise<vscode.Task | undefined> {
    const settings = pipelineSettings(folder);
    let args: string[];
    try {
      args = cliArgs(definition.step, settings, definition.artifact);
    } catch (error) {
      if (error instanceof SettingsError) return undefined;
      throw error;
    }
    // VS Code's executable is Electron; this makes it a plain Node for the CLI.
    const plain = { ELECTRON_RUN_AS_NODE: '1' };
    const command = { command: process.execPath, args: [this.cli, ...args], cwd: folder.uri.fsPath };
    const carriesSecret = Object.keys(await secretEnv(this.secrets, settings, definition.step)).length > 0;
    const execution = carriesSecret
      ? new vscode.CustomExecution(async () => {
          const terminal = new ProcessTerminal({
            ...command,
            // Read again as the task starts (the latest ones), and held by nothing VS Code keeps.
            env: { ...plain, ...(await secretEnv(this.secrets, settings, definition.step)) },
            echo: commandLine(['go-macos-sign', ...args]),
          });
          this.running.add(terminal);
          terminal.onDidClose(() => this.running.delete(terminal));
          return terminal;
        })
      : new vscode.ProcessExecution(command.command, command.args, { cwd: command.cwd, env: plain });
    const matchers =
      definition.step === 'build' || definition.step === 'release'
        ? ['$go']
        : definition.step === 'lint'
          ? ['$go-macos-sign']
          : [];
    const task = new vscode.Task(
      definition,
      folder,
      definition.artifact ? `${definition.step} ${definition.artifact}` : definition.step,
      TASK_TYPE,
      execution,
      matchers,
    );
    if (definition.step === 'build' || definition.step === 'release') task.group = vscode.TaskGroup.Build;
    return task;
  }
}
