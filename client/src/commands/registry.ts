/**
 * The client's palette and view commands as one table: each entry is a command id, whether it runs tools (and so
 * needs a trusted workspace), and what it does. `registerCommands` is the one place that checks trust, so a command
 * that runs tools cannot forget to; adding a command is adding a file here and one entry in index.ts.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { ArtifactsView } from '../artifactsView';
import type { Notarizer } from '../notarizeCommand';
import type { PipelineTasks } from '../tasks';

/** What the commands work with; built once by extension.ts. */
export interface CommandContext {
  extension: vscode.ExtensionContext;
  /** The language server and the promise that it started (whatever talks to it waits for that first). */
  server: { client: LanguageClient; ready: Promise<void> };
  view: ArtifactsView;
  notarizer: Notarizer;
  tasks: PipelineTasks;
  /** dist/cli.js, the bundled CLI every pipeline step runs. */
  cli: string;
  log: vscode.LogOutputChannel;
}

export interface ClientCommand {
  /** The id contributed in package.json, e.g. "goMacosSign.sign". */
  id: string;
  /** Runs tools (go, codesign, notarytool): refused, with a warning, until the workspace is trusted. */
  requiresTrust: boolean;
  /** `arg` is what invoked it: a view node, an Explorer URI, or nothing from the palette. */
  run(c: CommandContext, arg?: unknown): unknown;
}

export const UNTRUSTED = 'This step runs tools; trust this workspace first.';

export function registerCommands(c: CommandContext, commands: readonly ClientCommand[]): void {
  for (const command of commands) {
    const disposable = vscode.commands.registerCommand(command.id, (arg?: unknown) => {
      if (command.requiresTrust && !vscode.workspace.isTrusted) {
        void vscode.window.showWarningMessage(UNTRUSTED);
        return undefined;
      }
      return command.run(c, arg);
    });
    c.extension.subscriptions.push(disposable);
  }
}

/** A tree item or an Explorer URI, whichever invoked the command. */
export function uriOf(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  const node = arg as { artifact?: { uri?: vscode.Uri } } | undefined;
  return node?.artifact?.uri;
}
