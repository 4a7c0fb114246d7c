/**
 * What a word of a build file stands for when the file itself says so: `"$BIN"`, `${APP:-myapp}`, make's `$(APP)`,
 * a workflow's `${{ env.BIN }}` or GoReleaser's `{{ .Path }}` become a value with the places that set it (related
 * information for diagnostics), and, when known, what kind of artifact it holds.
 *
 * The rule is to say nothing rather than guess: a command substitution, a positional parameter, a variable the file
 * never sets, a value set only on some paths (inside `if`, after `||`), a template the file cannot settle: any of
 * these makes the whole word unknown (`null`). Shell expansion follows POSIX for what is covered: parameter
 * expansion with `-`, `:-`, `=`, `:=` defaults; no field splitting or globbing is assumed, so a value that would be
 * split or globbed is unknown too. Pure: no file system, no environment.
 */
import type { Range, Related } from '../diagnostic';
import type { Word } from './shell';

/** What a path holds, judged from the command that made it. */
export type ArtifactKind = 'macho' | 'zip' | 'dmg' | 'pkg' | 'app';

export interface Made {
  kind: ArtifactKind;
  /** The word naming the artifact in the command that made it. */
  range: Range;
  /** That command, in words: "go build -o", "ditto -c -k". */
  by: string;
}

export interface Value {
  /** The text the program receives; undefined when only the kind is known (GoReleaser's `{{ .Path }}`). */
  text?: string;
  /** Where the variables behind the value are set, in the order they were used. */
  origins: Related[];
  /** What the value holds, when the reference itself says (a GoReleaser build's binary). */
  made?: Made;
}

/** Variables a command can expand: a value, or null for one that is set to something we cannot know. */
export type Scope = ReadonlyMap<string, Value | null>;

/**
 * References another layer expands before the shell sees the word (make, GitHub Actions, GoReleaser templates).
 * Returns how many characters of `word.text` from `i` the reference takes and its value (null: unknown), or
 * undefined when there is no such reference at `i`.
 */
export type Dialect = (word: Word, i: number) => { length: number; value: Value | null } | undefined;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;
/** Longer values are not paths anyone writes: unknown, so that `A=$B$B` chains cannot grow without bound. */
export const MAX_VALUE = 4096;
/** Related places kept per value (the first ones: where the variable itself is set, then what it uses). */
const MAX_ORIGINS = 8;

/** Origins without repeats, at most MAX_ORIGINS. */
export function origins(list: Related[]): Related[] {
  const seen = new Set<string>();
  const out: Related[] = [];
  for (const r of list) {
    const key = `${r.range.start}:${r.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(r);
    if (out.length === MAX_ORIGINS) break;
  }
  return out;
}

/** A literal word's value. */
export function literalValue(text: string): Value {
  return { text, origins: [] };
}

/** The part of a word from `from` to `to`, as a word of its own (a default value inside `${X:-...}`). */
export function subWord(word: Word, from: number, to: number): Word {
  const verbatim = word.verbatim?.filter((i) => i >= from && i < to).map((i) => i - from);
  const at = word.at.subarray(from, to);
  const range =
    to > from ? { start: at[0], end: at[to - from - 1] + 1 } : { start: word.range.start, end: word.range.start };
  return {
    text: word.text.slice(from, to),
    at,
    range,
    quoted: word.quoted,
    ...(verbatim && verbatim.length > 0 ? { verbatim } : {}),
  };
}

/** The index of the `}` closing a `${` that opens at `i`, or -1. */
function closingBrace(text: string, i: number): number {
  let depth = 0;
  for (let j = i; j < text.length; j++) {
    if (text[j] === '{') depth++;
    else if (text[j] === '}' && --depth === 0) return j;
  }
  return -1;
}

/** The value of one word as the shell (after `dialect`) would pass it, or null when it cannot be known. */
export function expand(word: Word, scope: Scope, dialect?: Dialect): Value | null {
  const verbatim = new Set(word.verbatim ?? []);
  const text = word.text;
  const parts: (Value | string)[] = [];
  let literal = '';
  const flush = () => {
    if (literal) parts.push(literal);
    literal = '';
  };
  let i = 0;
  while (i < text.length) {
    const reference = dialect?.(word, i);
    if (reference) {
      if (!reference.value) return null;
      flush();
      parts.push(reference.value);
      i += reference.length;
      continue;
    }
    const c = text[i];
    if (c === '`' && !verbatim.has(i)) return null;
    if (c !== '$' || verbatim.has(i) || i + 1 >= text.length) {
      literal += c;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '{') {
      const close = closingBrace(text, i + 1);
      if (close < 0) return null;
      const value = parameter(word, i + 2, close, scope, dialect);
      if (!value) return null;
      flush();
      parts.push(value);
      i = close + 1;
    } else if (NAME.test(text.slice(i + 1, i + 2))) {
      const name = NAME.exec(text.slice(i + 1))![0];
      const value = scope.get(name);
      if (!value) return null;
      flush();
      parts.push(value);
      i += 1 + name.length;
    } else if (/[0-9@*#?$!(-]/.test(next)) {
      // Positional and special parameters, command substitution, arithmetic: not known from the file.
      return null;
    } else {
      literal += c;
      i++;
    }
  }
  flush();
  return settled(join(parts, word), word);
}

/** `${NAME}`, `${NAME:-default}`, `${NAME-default}`, `${NAME:=default}`, `${NAME=default}` between `from` and `to`. */
function parameter(word: Word, from: number, to: number, scope: Scope, dialect?: Dialect): Value | null {
  const body = word.text.slice(from, to);
  const name = NAME.exec(body)?.[0];
  if (!name) return null;
  const rest = body.slice(name.length);
  const value = scope.get(name);
  if (rest === '') return value ?? null;
  const op = /^:?[-=]/.exec(rest)?.[0];
  if (!op) return null; // ${X%suffix}, ${X/a/b}, ${X:+alt}...: not worth guessing.
  if (value === null) return null;
  // Unset in the file: the default is what the script is written for (its environment may say otherwise).
  const useDefault = value === undefined || (op.startsWith(':') && value.text === '');
  if (!useDefault) return value;
  return expand(subWord(word, from + name.length + op.length, to), scope, dialect);
}

/** Parts put together; a value's kind survives only when it is the whole word. */
function join(parts: (Value | string)[], word: Word): Value | null {
  if (parts.length === 1 && typeof parts[0] !== 'string') return parts[0];
  let text = '';
  const found: Related[] = [];
  let expanded = false;
  for (const part of parts) {
    if (typeof part === 'string') text += part;
    else {
      if (part.text === undefined) return null;
      text += part.text;
      found.push(...part.origins);
      expanded = true;
    }
    if (text.length > MAX_VALUE) return null;
  }
  if (expanded && unstable(text, word)) return null;
  return { text, origins: origins(found) };
}

/** An expanded value the shell would split into several words or match against files. */
function unstable(text: string, word: Word): boolean {
  return /[*?[]/.test(text) || (!word.quoted && /\s/.test(text));
}

/** A whole-word value after expansion, checked the same way (a single reference). */
export function settled(value: Value | null, word: Word): Value | null {
  if (!value || value.text === undefined) return value;
  return value.origins.length > 0 && unstable(value.text, word) ? null : value;
}

/** The related-information entry for a variable set at `range`. */
export function setHere(name: string, range: Range): Related {
  return { range, message: `${name} is set here` };
}

/** Go-template references (`{{ .Name }}`, `{{.VAR}}`): unknown, unless `known` can settle one. */
export function templates(known: (expression: string) => Value | null = () => null): Dialect {
  return (word, i) => {
    if (word.text[i] !== '{' || word.text[i + 1] !== '{') return undefined;
    const close = word.text.indexOf('}}', i + 2);
    if (close < 0) return { length: word.text.length - i, value: null };
    const expression = word.text
      .slice(i + 2, close)
      .replace(/^-?\s*/, '')
      .replace(/\s*-?$/, '');
    return { length: close + 2 - i, value: known(expression) };
  };
}

/** GitHub Actions expressions (`${{ env.BIN }}`): only `env.NAME` is known, from `env`. */
export function githubExpressions(env: (name: string) => Value | null): Dialect {
  return (word, i) => {
    if (!word.text.startsWith('${{', i)) return undefined;
    const close = word.text.indexOf('}}', i + 3);
    if (close < 0) return { length: word.text.length - i, value: null };
    const m = /^\s*env\.([A-Za-z_][A-Za-z0-9_]*)\s*$/.exec(word.text.slice(i + 3, close));
    return { length: close + 2 - i, value: m ? env(m[1]) : null };
  };
}
