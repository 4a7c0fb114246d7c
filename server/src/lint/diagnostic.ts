/**
 * What every linter in this project returns: diagnostics with offset ranges into the text they read, and quick fixes
 * as text edits. Positions become line/character only at the edge (lintFiles.ts), so analyzers stay pure and simple.
 */
import { Rule, RULES, RuleId, Severity } from '../rules';

export interface Range {
  /** Offsets into the text, in UTF-16 code units; `end` is exclusive. */
  start: number;
  end: number;
}

export interface TextEdit {
  range: Range;
  newText: string;
}

export interface Fix {
  title: string;
  edits: TextEdit[];
}

/** A place elsewhere that explains a diagnostic (LSP related information), such as the go.mod line behind a finding. */
export interface Related {
  /** Another file, or undefined for the linted file itself. */
  file?: string;
  range: Range;
  message: string;
}

export interface LintDiagnostic {
  code: RuleId;
  severity: Severity;
  message: string;
  range: Range;
  /** Quick fixes; applying one and linting again no longer reports this diagnostic. */
  fixes?: Fix[];
  /** Other places that explain this one (in this file unless `file` says otherwise). */
  related?: Related[];
}

/** A diagnostic with its rule's default severity from the catalog. */
export function diagnostic(code: RuleId, message: string, range: Range, fixes?: Fix[]): LintDiagnostic {
  const d: LintDiagnostic = { code, severity: (RULES[code] as Rule).severity ?? 'warning', message, range };
  if (fixes) d.fixes = fixes;
  return d;
}
