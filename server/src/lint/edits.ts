/** Applies non-overlapping text edits (offset ranges) to a text: how tests and `lint --fix` see a quick fix's result. */
import type { Range, TextEdit } from './diagnostic';

/** A range widened over the blanks before it, so removing it leaves single spacing. */
export function withBlankBefore(range: Range, text: string, floor = 0): Range {
  let start = range.start;
  while (start > floor && (text[start - 1] === ' ' || text[start - 1] === '\t')) start--;
  return { start, end: range.end };
}

export function applyEdits(text: string, edits: TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => b.range.start - a.range.start);
  let out = text;
  let limit = Infinity;
  for (const edit of sorted) {
    if (edit.range.end > limit) throw new Error('overlapping edits');
    out = out.slice(0, edit.range.start) + edit.newText + out.slice(edit.range.end);
    limit = edit.range.start;
  }
  return out;
}
