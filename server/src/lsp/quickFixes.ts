/**
 * The quick fixes offered for a set of diagnostics, as the editor lists them. Two problems may propose the same
 * change (a codesign line without --options runtime and without --timestamp: both offer to add both): it is offered
 * once, for both problems. Each problem has at most one preferred fix, its first, so that an editor's "fix all" or
 * "apply preferred" never has two to choose from.
 */
import type { FileDiagnostic, PositionRange } from '../lint/lintFiles';

export interface QuickFix {
  title: string;
  edits: { range: PositionRange; newText: string }[];
  /** The problems this fix resolves. */
  diagnostics: FileDiagnostic[];
  preferred: boolean;
}

export function quickFixes(found: FileDiagnostic[]): QuickFix[] {
  const byChange = new Map<string, QuickFix & { firstOf: FileDiagnostic[] }>();
  for (const d of found) {
    (d.fixes ?? []).forEach((fix, i) => {
      const change = JSON.stringify([fix.title, fix.edits]);
      const entry = byChange.get(change) ?? {
        title: fix.title,
        edits: fix.edits,
        diagnostics: [],
        preferred: false,
        firstOf: [],
      };
      entry.diagnostics.push(d);
      if (i === 0) entry.firstOf.push(d);
      byChange.set(change, entry);
    });
  }
  const hasPreferred = new Set<FileDiagnostic>();
  return [...byChange.values()].map(({ firstOf, ...fix }) => {
    // Preferred when it is some problem's first fix and none of its problems has a preferred fix yet.
    const preferred = firstOf.length > 0 && fix.diagnostics.every((d) => !hasPreferred.has(d));
    if (preferred) fix.diagnostics.forEach((d) => hasPreferred.add(d));
    return { ...fix, preferred };
  });
}
