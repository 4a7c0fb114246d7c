/**
 * Make's variables, as GNU make expands them in recipes: after the whole makefile is read, so a recursive variable
 * (`=`, `?=`, `+=` onto one) has its last value, while a simple one (`:=`, `::=`, `:::=`) was expanded where it was
 * set. Target-specific values (`release: APP = x`) apply to that target's recipe; a recipe that such a target may
 * reach through its prerequisites could see either value, so there the variable is unknown. `$@` and `$<` are the
 * rule's target and first prerequisite. The makefile is read as written, without command-line overrides or the
 * environment: `?=` defaults hold.
 *
 * Unknown, so nothing is said: functions (`$(shell ...)`, `$(notdir ...)`), `!=`, `define`, values set inside
 * `ifeq`/`ifdef`, variables the makefile never sets, and `$$` inside a variable (the shell's business).
 */
import { assignmentRecipes, MakeAssignment, MakefileParts, MakeRule } from './makefile';
import type { Word } from './shell';
import { Dialect, MAX_VALUE, origins as distinct, setHere, Value } from './values';

type Variable =
  | { flavor: 'recursive'; words: Word[]; origins: Value['origins'] }
  | { flavor: 'simple'; value: Value | null }
  | { flavor: 'unknown' };

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
/** Deeper nesting than this is not a makefile anyone writes by hand. */
const MAX_DEPTH = 32;

/** The dialect that expands make's references in recipe words of the makefile `text`. */
export function makeDialect(text: string, parts: MakefileParts): Dialect {
  const global = new Map<string, Variable>();
  const specific = new Map<string, MakeAssignment[]>();
  const reader = new Reader(global, specific, parts.rules);
  for (const a of parts.assignments) {
    if (a.targets) {
      for (const t of a.targets) specific.set(t, [...(specific.get(t) ?? []), a]);
    } else global.set(a.name, reader.apply(global.get(a.name), a, undefined, 0));
  }
  // Values change while the makefile is read; from here on they are final and can be remembered.
  reader.final = true;
  const recipeOf = recipeFinder(parts.rules);
  return (word, i) => {
    if (word.text[i] !== '$') return undefined;
    const at = word.at[i];
    // A `$$` in the file reached the shell as `$`: the shell's, not make's.
    if (text[at] !== '$' || text[at + 1] === '$') return undefined;
    return reader.reference(word, i, recipeOf(at), new Set(), 0);
  };
}

class Reader {
  /** For each variable with a target-specific value: the rules whose recipe may run with it, through prerequisites. */
  private readonly shadowed = new Map<string, Set<MakeRule>>();
  /** Values already expanded, per recipe and name: `A = $(B)$(B)` chains then cost linear time, not exponential. */
  private readonly memo = new Map<MakeRule | undefined, Map<string, Value | null>>();
  final = false;

  constructor(
    private readonly global: Map<string, Variable>,
    private readonly specific: Map<string, MakeAssignment[]>,
    private readonly rules: MakeRule[],
  ) {}

  /** The variable after assignment `a`, given its value before. */
  apply(before: Variable | undefined, a: MakeAssignment, rule: MakeRule | undefined, depth: number): Variable {
    const origins = [setHere(a.name, a.range)];
    switch (a.op) {
      case '=':
        return { flavor: 'recursive', words: [a.value], origins };
      case '?=':
        return before ?? { flavor: 'recursive', words: [a.value], origins };
      case ':=':
      case '::=':
      case ':::=': {
        const value = this.expandWord(a.value, rule, new Set(), depth);
        return { flavor: 'simple', value: value && { ...value, origins: [...origins, ...value.origins] } };
      }
      case '+=': {
        if (!before) return { flavor: 'recursive', words: [a.value], origins };
        if (before.flavor === 'recursive')
          return { flavor: 'recursive', words: [...before.words, a.value], origins: [...before.origins, ...origins] };
        if (before.flavor === 'simple' && before.value?.text !== undefined) {
          const added = this.expandWord(a.value, rule, new Set(), depth);
          if (!added || added.text === undefined) return { flavor: 'simple', value: null };
          const text =
            before.value.text && added.text ? `${before.value.text} ${added.text}` : before.value.text + added.text;
          return {
            flavor: 'simple',
            value: { text, origins: [...before.value.origins, ...origins, ...added.origins] },
          };
        }
        return { flavor: 'unknown' };
      }
      default:
        return { flavor: 'unknown' };
    }
  }

  /** The make reference starting at `word.text[i]` (a single `$`). */
  reference(
    word: Word,
    i: number,
    rule: MakeRule | undefined,
    active: Set<string>,
    depth: number,
  ): { length: number; value: Value | null } {
    const open = word.text[i + 1];
    if (open === '(' || open === '{') {
      const close = open === '(' ? ')' : '}';
      let level = 0;
      for (let j = i + 1; j < word.text.length; j++) {
        if (word.text[j] === open) level++;
        else if (word.text[j] === close && --level === 0) {
          const name = word.text.slice(i + 2, j);
          return { length: j - i + 1, value: NAME.test(name) ? this.variable(name, rule, active, depth) : null };
        }
      }
      return { length: word.text.length - i, value: null };
    }
    if (open === undefined) return { length: 1, value: null };
    if (open === '@' || open === '<') return { length: 2, value: this.automatic(open, rule) };
    return { length: 2, value: /[A-Za-z_]/.test(open) ? this.variable(open, rule, active, depth) : null };
  }

  private automatic(which: '@' | '<', rule: MakeRule | undefined): Value | null {
    const names = which === '@' ? rule?.targets : rule?.prerequisites.slice(0, 1);
    // A rule for several targets runs its recipe once per target: `$@` has no single value.
    if (!names || names.length !== 1 || /[$%]/.test(names[0])) return null;
    return { text: names[0], origins: [] };
  }

  /** A variable's value in the recipe of `rule` (undefined: outside any recipe). */
  private variable(name: string, rule: MakeRule | undefined, active: Set<string>, depth: number): Value | null {
    if (active.has(name) || depth > MAX_DEPTH) return null;
    if (!this.final) return this.evaluate(name, rule, active, depth);
    let known = this.memo.get(rule);
    if (!known) this.memo.set(rule, (known = new Map()));
    if (known.has(name)) return known.get(name)!;
    const value = this.evaluate(name, rule, active, depth);
    known.set(name, value);
    return value;
  }

  private evaluate(name: string, rule: MakeRule | undefined, active: Set<string>, depth: number): Value | null {
    let current = this.global.get(name);
    if (rule) {
      const own = rule.targets.map((t) => (this.specific.get(t) ?? []).filter((a) => a.name === name));
      if (own.some((list) => list.length > 0)) {
        // Each target of the rule must agree, since the recipe is the same for all.
        if (
          own.some((list) => list.length === 0) ||
          new Set(own.map((list) => list.map((a) => a.range.start).join())).size > 1
        )
          return null;
        for (const a of own[0]) current = this.apply(current, a, rule, depth + 1);
      } else if (this.shadowedFor(name).has(rule)) return null;
    }
    if (!current) return null;
    if (current.flavor === 'unknown') return null;
    if (current.flavor === 'simple') return current.value;
    const inner = new Set(active).add(name);
    let text = '';
    const origins = [...current.origins];
    for (const [k, w] of current.words.entries()) {
      const value = this.expandWord(w, rule, inner, depth + 1);
      if (!value || value.text === undefined) return null;
      text += (k > 0 && text && value.text ? ' ' : '') + value.text;
      origins.push(...value.origins);
      if (text.length > MAX_VALUE) return null;
    }
    return { text, origins: distinct(origins) };
  }

  /** A variable's value text (from the makefile itself) with make's references expanded. */
  expandWord(word: Word, rule: MakeRule | undefined, active: Set<string>, depth: number): Value | null {
    let text = '';
    const origins: Value['origins'] = [];
    for (let i = 0; i < word.text.length;) {
      if (word.text[i] !== '$') {
        text += word.text[i++];
        continue;
      }
      // `$$` inside a variable reaches the shell: not followed here.
      if (word.text[i + 1] === '$') return null;
      const { length, value } = this.reference(word, i, rule, active, depth);
      if (!value || value.text === undefined) return null;
      text += value.text;
      origins.push(...value.origins);
      if (text.length > MAX_VALUE) return null;
      i += length;
    }
    return { text, origins: distinct(origins) };
  }

  private shadowedFor(name: string): Set<MakeRule> {
    let set = this.shadowed.get(name);
    if (set) return set;
    const targets = [...this.specific.entries()]
      .filter(([, list]) => list.some((a) => a.name === name))
      .map(([t]) => t);
    set = assignmentRecipes(this.rules, targets);
    this.shadowed.set(name, set);
    return set;
  }
}

/** The rule whose recipe holds a file offset. */
function recipeFinder(rules: MakeRule[]): (offset: number) => MakeRule | undefined {
  const sorted = [...rules].sort((a, b) => a.recipe.start - b.recipe.start);
  return (offset) => {
    let lo = 0;
    let hi = sorted.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (offset < sorted[mid].recipe.start) hi = mid - 1;
      else if (offset > sorted[mid].recipe.end) lo = mid + 1;
      else return sorted[mid];
    }
    return undefined;
  };
}
