/**
 * Makefiles (and justfiles) as scripts: recipe lines become one shell script whose characters map back to the file;
 * `$$` stands for `$` as make passes it to the shell; make variables (`$(GO)`, `$(BIN)`) stay as written. Exported
 * variables become the environment of every recipe, and variables named like LDFLAGS are returned as linker-flag
 * strings, since that is where Makefiles usually keep them.
 */
import { assembled, Script, Word } from './shell';

/**
 * The rules whose recipes (offsets) lie in a release flow: rules that run `isRelease` commands, and every rule they
 * depend on, directly or not (`notarize: sign`, `sign: build`).
 */
export function releaseRecipes(rules: MakeRule[], isRelease: (start: number, end: number) => boolean): (offset: number) => boolean {
  const byTarget = new Map<string, MakeRule[]>();
  for (const rule of rules) for (const t of rule.targets) byTarget.set(t, [...(byTarget.get(t) ?? []), rule]);
  const chosen = new Set<MakeRule>();
  // Iterative, so a long chain of prerequisites cannot overflow the stack.
  const stack = rules.filter((rule) => isRelease(rule.recipe.start, rule.recipe.end));
  while (stack.length > 0) {
    const rule = stack.pop()!;
    if (chosen.has(rule)) continue;
    chosen.add(rule);
    for (const p of rule.prerequisites) stack.push(...(byTarget.get(p) ?? []));
  }
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
}

const ASSIGN = /^(export\s+|override\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*(?:\?|::?|\+|!)?=[ \t]*/;
/** `targets: prerequisites` (not `NAME := value`); a recipe may follow a `;`. */
const RULE = /^([^\s:=#][^:=#]*?)\s*::?(?!=)([^;#]*)/;

/** A word for `text[start, end)`, character for character. */
export function sliceWord(text: string, start: number, end: number): Word {
  const at = new Int32Array(end - start);
  for (let i = start; i < end; i++) at[i - start] = i;
  return { text: text.slice(start, end), at, range: { start, end }, quoted: false };
}

/** `recipe` says which lines are recipe lines: a tab for make, any indentation for just. */
export function makefileParts(text: string, recipe: (line: string) => boolean = (line) => line.startsWith('\t')): MakefileParts {
  const pieces: { text: string; offset: number }[] = [];
  const env = new Map<string, Word>();
  const ldflags: Word[] = [];
  const rules: MakeRule[] = [];
  let offset = 0;
  let continuing = false;
  while (offset <= text.length) {
    let end = text.indexOf('\n', offset);
    if (end < 0) end = text.length;
    const line = text.slice(offset, end).replace(/\r$/, '');
    if (continuing || recipe(line)) {
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
        let valueEnd = offset + line.length;
        const hash = line.indexOf(' #', m[0].length);
        if (hash >= 0) valueEnd = offset + hash;
        const value = sliceWord(text, offset + m[0].length, valueEnd);
        if (m[1]?.startsWith('export')) env.set(m[2], value);
        if (/LDFLAGS$/i.test(m[2]) && !/EXT/i.test(m[2])) ldflags.push(value);
      } else {
        const r = RULE.exec(line);
        if (r && !line.startsWith('#')) {
          const names = (s: string) => s.split(/\s+/).filter((n) => n && n !== '|');
          rules.push({ targets: names(r[1]), prerequisites: names(r[2]), recipe: { start: offset, end: offset + line.length } });
        }
      }
      continuing = false;
    }
    offset = end + 1;
  }
  return { script: pieces.length > 0 ? assembled(pieces) : assembled([{ text: '', offset: 0 }]), rules, env, ldflags };
}
