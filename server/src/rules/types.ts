/**
 * What a rule is: the shape every entry of the rule tables (readiness checks and lint rules alike) has. The tables
 * are in this folder, one per area; index.ts joins them into RULES.
 */

export interface RuleSource {
  label: string;
  url: string;
}

export type Severity = 'error' | 'warning' | 'info' | 'hint';

export interface Rule {
  id: string;
  title: string;
  /** Severity of the rule's diagnostics when it runs as a lint rule (editor and `go-macos-sign lint`). */
  severity?: Severity;
  /** Why the rule exists, in a sentence or two. */
  why: string;
  /** What to do when it fails. */
  fix: string;
  sources: RuleSource[];
}
