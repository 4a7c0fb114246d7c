/**
 * What the editor on the other end can do, from its `initialize` capabilities. The server answers every editor in a
 * form it understands: plain text where snippets or Markdown are not supported, commands where code action literals
 * are not, settings pushed with `didChangeConfiguration` where they cannot be pulled with `workspace/configuration`.
 * A client that says nothing gets the plainest form (LSP's defaults).
 */
import { ClientCapabilities, MarkupKind } from 'vscode-languageserver/node';

export interface ClientFeatures {
  /** Completion items may be snippets. */
  snippets: boolean;
  completionMarkdown: boolean;
  hoverMarkdown: boolean;
  /** Code actions may be CodeAction literals (otherwise: Command). */
  codeActionLiterals: boolean;
  /** `workspace/configuration` may be asked. */
  configuration: boolean;
  /** `workspace/applyEdit` may be sent (how a Command applies a fix). */
  applyEdit: boolean;
}

export function clientFeatures(capabilities: ClientCapabilities | undefined): ClientFeatures {
  const text = capabilities?.textDocument;
  return {
    snippets: text?.completion?.completionItem?.snippetSupport === true,
    completionMarkdown: text?.completion?.completionItem?.documentationFormat?.includes(MarkupKind.Markdown) === true,
    hoverMarkdown: text?.hover?.contentFormat?.includes(MarkupKind.Markdown) === true,
    codeActionLiterals: text?.codeAction?.codeActionLiteralSupport !== undefined,
    configuration: capabilities?.workspace?.configuration === true,
    applyEdit: capabilities?.workspace?.applyEdit === true,
  };
}
