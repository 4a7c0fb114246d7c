/**
 * Task provider `go-macos-sign`: one task per pipeline step, each running the CLI command a terminal or CI would run,
 * so the terminal shows the same lines as a CI log. Nothing is offered or run in an untrusted workspace.
 */
import * as vscode from 'vscode';
import { cliArgs, SettingsError, Step } from './pipelineArgs';
import { pipelineSettings, secretEnv } from './settings';

export const TASK_TYPE = 'go-macos-sign';
const STEPS: Step[] = ['build', 'sign', 'notarize', 'staple', 'verify', 'release', 'lint'];

interface Definition extends vscode.TaskDefinition {
  step: Step;
  artifact?: string;
}

export class PipelineTasks implements vscode.TaskProvider {
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
    const env = { ELECTRON_RUN_AS_NODE: '1', ...(await secretEnv(this.secrets, settings, definition.step)) };
    const execution = new vscode.ProcessExecution(process.execPath, [this.cli, ...args], {
      cwd: folder.uri.fsPath,
      env,
    });
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
