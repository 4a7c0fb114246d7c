/** "Copy cdhash": a cdhash row copies its value; an artifact copies the cdhash of each signed slice. */
import * as vscode from 'vscode';
import type { ClientCommand } from './registry';

type Invoker =
  | {
      detail?: { value?: string };
      artifact?: { report: { architectures: { signature: { cdhash: string } | null }[] } };
    }
  | undefined;

export const copyCdhashCommand: ClientCommand = {
  id: 'goMacosSign.copyCdhash',
  requiresTrust: false,
  run: (_c, arg) => {
    const node = arg as Invoker;
    const value =
      node?.detail?.value ??
      node?.artifact?.report.architectures.flatMap((a) => (a.signature ? [a.signature.cdhash] : [])).join(' ');
    if (value) void vscode.env.clipboard.writeText(value);
  },
};
