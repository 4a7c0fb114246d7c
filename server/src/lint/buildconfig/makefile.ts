/**
 * Makefiles (and justfiles) as scripts: recipe lines become one shell script whose characters map back to the file;
 * `$$` stands for `$` as make passes it to the shell; make variables (`$(GO)`, `$(BIN)`) stay as written. Exported
 * variables become the environment of every recipe, and variables named like LDFLAGS are returned as linker-flag
 * strings, since that is where Makefiles usually keep them.
 */
import type { Range } from '../diagnostic';
import { assembled, Script, Word } from './shell';

/**
 * The rules whose recipes (offsets) lie in a release flow: rules that run `isRelease` commands, and every rule they
 * depend on, directly or not (`notarize: sign`, `sign: build`).
 */
export function releaseRecipes(
  rules: MakeRule[],
  isRelease: (start: number, end: number) => boolean,
): (offset: number) => boolean {
  const chosen = reachable(
    rules,
    rules.filter((rule) => isRelease(rule.recipe.start, rule.recipe.end)),
  );
  // Recipes never overlap: a binary search over their sorted starts answers each question.
  const spans = [...chosen].map((r) => r.recipe).sort((x, y) => x.start - y.start);
  return (offset) => {
    let lo = 0;
    let hi = spans.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (offset < spans[mid].start) hi = mid - 1;
      else if (offset > spans[mid].end) lo = mid + 1;
      else return true;
    }
    return false;
  };
}

/** The rules `from` and every rule they depend on, directly or not. */
function reachable(rules: MakeRule[], from: MakeRule[]): Set<MakeRule> {
  const byTarget = new Map<string, MakeRule[]>();
  for (const rule of rules) for (const t of rule.targets) byTarget.set(t, [...(byTarget.get(t) ?? []), rule]);
  const chosen = new Set<MakeRule>();
  // Iterative, so a long chain of prerequisites cannot overflow the stack.
  const stack = [...from];
  while (stack.length > 0) {
    const rule = stack.pop()!;
    if (chosen.has(rule)) continue;
    chosen.add(rule);
    for (const p of rule.prerequisites) stack.push(...(byTarget.get(p) ?? []));
  }
  return chosen;
}

/** The rules whose recipes may run while one of `targets` is made (its own rules and what they depend on). */
export function assignmentRecipes(rules: MakeRule[], targets: string[]): Set<MakeRule> {
  const wanted = new Set(targets);
  return reachable(
    rules,
    rules.filter((rule) => rule.targets.some((t) => wanted.has(t))),
  );
}

export interface MakeRule {
  targets: string[];
  prerequisites: string[];
  /** File offsets spanned by the rule's recipe. */
  recipe: { start: number; end: number };
}

export interface MakefileParts {
  script: Script;
  rules: MakeRule[];
  env: Map<string, Word>;
  /** Values of variables such as LDFLAGS or GO_LDFLAGS. */
  ldflags: Word[];
  /** Every variable assignment, in file order, for makeVars.ts. */
  assignments: MakeAssignment[];
}

export interface MakeAssignment {
  name: string;
  /** `=`, `:=`, `::=`, `:::=`, `?=`, `+=`, `!=`; `unknown` for what this reading does not follow (`define`, a value
   *  continued on the next line, an assignment inside `ifeq`/`ifdef`). */
  op: string;
  value: Word;
  /** The whole assignment, for related information. */
  range: Range;
  /** Target-specific (`release: APP = x`): the targets whose recipes see it. */
  targets?: string[];
}

const ASSIGN = /^((?:(?:export|override|private)\s+)*)([A-Za-z_][A-Za-z0-9_.-]*)\s*(:::=|::=|:=|\?=|\+=|!=|=)[ \t]*/;
const CONDITIONAL = /^\s*(ifeq|ifneq|ifdef|ifndef)\b/;
/** `targets: prerequisites` (not `NAME := value`); a recipe may follow a `;`. */
const RULE = /^([^\s:=#][^:=#]*?)\s*::?(?!=)([^;#]*)/;

/** A word for `text[start, end)`, character for character. */
export function sliceWord(text: string, start: number, end: number): Word {
  const at = new Int32Array(end - start);
  for (let i = start; i < end; i++) at[i - start] = i;
  return { text: text.slice(start, end), at, range: { start, end }, quoted: false };
}

/** `recipe` says which lines are recipe lines: a tab for make, any indentation for just. */
export function makefileParts(
  text: string,
  recipe: (line: string) => boolean = (line) => line.startsWith('\t'),
): MakefileParts {
  const pieces: { text: string; offset: number }[] = [];
  const env = new Map<string, Word>();
  const ldflags: Word[] = [];
  const rules: MakeRule[] = [];
  const assignments: MakeAssignment[] = [];
  let offset = 0;
  let continuing = false;
  let conditional = 0;
  let defining: string | undefined;
  /** The value of an assignment from `start` to the end of the line (or a comment), trailing blanks left out. */
  const valueAt = (start: number, lineEnd: number): Word => {
    const hash = text.indexOf('#', start);
    let end = hash >= 0 && hash < lineEnd ? hash : lineEnd;
    while (end > start && (text[end - 1] === ' ' || text[end - 1] === '\t')) end--;
    return sliceWord(text, start, end);
  };
  while (offset <= text.length) {
    let end = text.indexOf('\n', offset);
    if (end < 0) end = text.length;
    const line = text.slice(offset, end).replace(/\r$/, '');
    if (defining !== undefined) {
      if (/^\s*endef\b/.test(line)) defining = undefined;
    } else if (/^\s*((override|export)\s+)*define\s+/.test(line)) {
      defining = /define\s+([A-Za-z_][A-Za-z0-9_.-]*)/.exec(line)?.[1] ?? '';
      if (defining)
        assignments.push({
          name: defining,
          op: 'unknown',
          value: sliceWord(text, offset, offset),
          range: { start: offset, end: offset + line.length },
        });
    } else if (!continuing && CONDITIONAL.test(line)) conditional++;
    else if (!continuing && /^\s*endif\b/.test(line)) conditional = Math.max(0, conditional - 1);
    else if (!continuing && /^\s*else\b/.test(line)) {
      /* still inside the conditional */
    } else if (continuing || recipe(line)) {
      let start = offset;
      if (!continuing) {
        while (start < end && (text[start] === '\t' || text[start] === ' ')) start++;
        while (start < end && '@+-'.includes(text[start])) start++;
      } else if (text[start] === '\t') start++;
      const lineEnd = offset + line.length;
      // make hands `$$` to the shell as `$`.
      let from = start;
      for (let i = start; i < lineEnd; i++) {
        if (text[i] === '$' && text[i + 1] === '$') {
          pieces.push({ text: text.slice(from, i + 1), offset: from });
          from = i + 2;
          i++;
        }
      }
      pieces.push({ text: text.slice(from, lineEnd) + '\n', offset: from });
      if (rules.length > 0) rules[rules.length - 1].recipe.end = lineEnd;
      continuing = line.endsWith('\\');
    } else {
      const m = ASSIGN.exec(line);
      if (m && !line.startsWith('#')) {
        const value = valueAt(offset + m[0].length, offset + line.length);
        if (/\bexport\b/.test(m[1])) env.set(m[2], value);
        if (/LDFLAGS$/i.test(m[2]) && !/EXT/i.test(m[2])) ldflags.push(value);
        const op = conditional > 0 || line.endsWith('\\') ? 'unknown' : m[3];
        assignments.push({ name: m[2], op, value, range: { start: offset + m[1].length, end: value.range.end } });
      } else {
        const r = RULE.exec(line);
        const colon = r ? line.indexOf(':', r[1].length) : -1;
        const after = colon + (line[colon + 1] === ':' ? 2 : 1);
        const specific = r ? ASSIGN.exec(line.slice(after).trimStart()) : null;
        if (r && specific && !line.startsWith('#')) {
          // `targets: NAME = value` sets a variable for those targets' recipes; it is not a rule.
          const at = offset + after + (line.slice(after).length - line.slice(after).trimStart().length);
          const value = valueAt(at + specific[0].length, offset + line.length);
          const op = conditional > 0 || line.endsWith('\\') ? 'unknown' : specific[3];
          assignments.push({
            name: specific[2],
            op,
            value,
            range: { start: at + specific[1].length, end: value.range.end },
            targets: r[1].split(/\s+/).filter(Boolean),
          });
        } else if (r && !line.startsWith('#')) {
          const names = (s: string) => s.split(/\s+/).filter((n) => n && n !== '|');
          rules.push({
            targets: names(r[1]),
            prerequisites: names(r[2]),
            recipe: { start: offset, end: offset + line.length },
          });
        }
      }
      continuing = false;
    }
    offset = end + 1;
  }
  const script = pieces.length > 0 ? assembled(pieces) : assembled([{ text: '', offset: 0 }]);
  return { script: { ...script, makeAutomatics: true }, rules, env, ldflags, assignments };
}
