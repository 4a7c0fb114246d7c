/**
 * Splits shell text into simple commands made of words, each word knowing the exact file offset of every one of its
 * characters, through quoting, escapes, line continuations, comments, command substitutions and here-documents.
 *
 * The text may be a piece of a larger file (a Makefile recipe, a YAML block scalar): a `Script` carries an offset map
 * from its own characters to the file's, so every range points into the file the user has open. This is not a shell:
 * nothing is expanded or run. `$VAR`, `$(...)` and backquotes stay in a word as written (values.ts resolves what can
 * be known), and each word remembers which of its `$` the shell takes literally. One pass, no backtracking: time is linear in the text, whatever the quoting.
 */
import type { Range } from '../diagnostic';

export interface Script {
  text: string;
  /** The file offset of `text[i]`; `at(text.length)` is the offset just after the script. */
  at: (i: number) => number;
  /** Go-template spans (`{{ .Path }}`) are filled in before the command is split, so each stays in one word. */
  templates?: boolean;
  /** Make's automatic variables (`$<`, `$^`, `$|`...) are filled in before the shell reads the line: word characters. */
  makeAutomatics?: boolean;
}

export interface Word {
  /** The word after quote removal and escape processing: what the program receives as its argument. */
  text: string;
  /** `at[i]` is the file offset of `text[i]` (for tokenizer words, a view into one buffer per parse). */
  readonly at: Int32Array;
  /** The word as written in the file, quotes included. */
  range: Range;
  /** Whether any part was quoted or escaped (a literal word can be replaced by a simple edit). */
  quoted: boolean;
  /** Indices in `text` of `$` and backquote characters the shell takes literally (single-quoted or escaped). */
  verbatim?: readonly number[];
}

/** A word from the tokenizer: its offsets stay in the parse's shared buffer until someone asks for them. */
class ShellWord implements Word {
  private view?: Int32Array;
  constructor(
    readonly text: string,
    private readonly buffer: Int32Array,
    private readonly from: number,
    readonly range: Range,
    readonly quoted: boolean,
    readonly verbatim?: readonly number[],
  ) {}
  get at(): Int32Array {
    // Creating a typed-array view costs more than the rest of a word; most words never need one.
    return (this.view ??= this.buffer.subarray(this.from, this.from + this.text.length));
  }
}

export interface Assignment {
  name: string;
  value: Word;
  range: Range;
}

export interface SimpleCommand {
  /** `NAME=value` words before the command name. */
  env: Assignment[];
  words: Word[];
  range: Range;
  /** The operator that ended the command (`&&`, `||`, `|`, `;`, `&`, newline as `\n`, or '' at the end). */
  next: string;
}

/** A script that is `text` itself, starting at file offset `base`. */
export function wholeText(text: string, base = 0): Script {
  return { text, at: (i) => base + i };
}

/** A script assembled from pieces of a file (recipe lines, block-scalar lines), each with its file offset. */
export function assembled(pieces: { text: string; offset: number }[]): Script {
  const text = pieces.map((p) => p.text).join('');
  const at = new Int32Array(text.length + 1);
  let k = 0;
  for (const piece of pieces) for (let j = 0; j < piece.text.length; j++) at[k++] = piece.offset + j;
  const last = pieces[pieces.length - 1];
  at[k] = last ? last.offset + last.text.length : 0;
  return { text, at: (i) => at[i] };
}

/** The file range of characters `from` (inclusive) to `to` (exclusive) of a word's text. */
export function subRange(word: Word, from: number, to: number): Range {
  if (word.text.length === 0) return word.range;
  const start = from < word.text.length ? word.at[from] : word.at[word.text.length - 1] + 1;
  const end = to > from ? word.at[to - 1] + 1 : start;
  return { start, end };
}

const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;
const OPERATOR_START = new Set([';', '&', '|', '(', ')', '<', '>']);
/** Characters that end a run of ordinary word characters, as a table indexed by char code (the hot loop's test). */
const SPECIAL = new Uint8Array(128);
for (const c of [...OPERATOR_START, '\\', "'", '"', '$', '`', ' ', '\t', '\r', '\n']) SPECIAL[c.charCodeAt(0)] = 1;
/** Characters that end a run inside double quotes. */
const DQ_SPECIAL = new Uint8Array(128);
for (const c of ['\\', '"', '$', '`']) DQ_SPECIAL[c.charCodeAt(0)] = 1;
const isSpecial = (table: Uint8Array, code: number) => code < 128 && table[code] === 1;

/** Commands of a script, in order. Unbalanced quotes or substitutions end at the end of the script. */
export function parseShell(script: Script): SimpleCommand[] {
  return new Tokenizer(script).run();
}

interface Heredoc {
  delimiter: string;
  stripTabs: boolean;
}

/**
 * One pass over a script. The main loop looks at one character and hands the construct it starts (an escape, a quoted
 * span, a substitution, an operator, a redirection, a run of ordinary characters) to the method that reads it; each
 * method returns the index after what it read. The current word is built in place: its text, and the file offset of
 * each of its characters in one shared buffer.
 */
class Tokenizer {
  private readonly text: string;
  private readonly map: (i: number) => number;
  private readonly templates: boolean;
  private readonly makeAutomatics: boolean;
  private readonly commands: SimpleCommand[] = [];
  private words: Word[] = [];
  /** For each word of the current command, the length of its `NAME=` prefix (0 when it is not an assignment). */
  private readonly eqs: number[] = [];
  // Every word character's file offset goes into one buffer; a word's `at` is the view of its stretch.
  private readonly offsets: Int32Array;
  private used = 0;
  private wordText = '';
  private wordFrom = 0;
  private wordStart = -1;
  private wordEnd = -1;
  private quoted = false;
  private verbatim: number[] | undefined;
  /** Characters of the current word seen unquoted from its start: tells `NAME=value` from a quoted look-alike. */
  private rawPrefix = '';
  /** The next word is a redirection's target, not an argument. */
  private dropNext = false;
  private heredocs: Heredoc[] = [];
  private pendingHeredoc: { stripTabs: boolean } | null = null;
  private readonly pushChar = (ch: string, i: number) => this.push(ch, i);

  constructor(script: Script) {
    this.text = script.text;
    this.map = script.at;
    this.templates = !!script.templates;
    this.makeAutomatics = !!script.makeAutomatics;
    this.offsets = new Int32Array(script.text.length + 1);
  }

  run(): SimpleCommand[] {
    const { text } = this;
    let i = 0;
    while (i < text.length) i = this.step(i);
    this.endCommand('');
    return this.commands;
  }

  /** Reads the construct that starts at `i`; returns the index after it. */
  private step(i: number): number {
    const { text } = this;
    const c = text[i];
    if (c === '\\') return this.escape(i);
    if (c === "'") return this.singleQuoted(i);
    if (c === '"') return this.doubleQuoted(i);
    if ((c === '$' && (text[i + 1] === '(' || text[i + 1] === '{')) || c === '`') {
      return copySubstitution(text, i, this.pushChar);
    }
    if (this.makeAutomatics && c === '$' && '@<^*?%+|'.includes(text[i + 1] ?? ' ')) {
      if (this.wordStart < 0) this.rawPrefix = '$';
      this.push(c, i);
      this.push(text[i + 1], i + 1);
      return i + 2;
    }
    if (this.templates && c === '{' && text[i + 1] === '{') {
      const close = text.indexOf('}}', i + 2);
      const end = close < 0 ? text.length : close + 2;
      for (let k = i; k < end; k++) this.push(text[k], k);
      return end;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      this.endWord();
      return i + 1;
    }
    if (c === '\n') {
      this.endCommand('\n');
      return this.heredocs.length > 0 ? skipHeredocs(text, i + 1, this.heredocs.splice(0)) : i + 1;
    }
    if (c === '#' && this.wordStart < 0) {
      const eol = text.indexOf('\n', i);
      return eol < 0 ? text.length : eol;
    }
    if (c === '<' || c === '>') return this.redirection(i);
    if (c === '&' && text[i + 1] === '>') {
      this.endWord();
      this.dropNext = true;
      return i + (text[i + 2] === '>' ? 3 : 2);
    }
    if (OPERATOR_START.has(c)) {
      const two = text.slice(i, i + 2);
      const op = two === '&&' || two === '||' || two === ';;' ? two : c;
      this.endCommand(op);
      return i + op.length;
    }
    return this.ordinaryRun(i);
  }

  /** A backslash outside quotes: a line continuation, or the next character taken literally. */
  private escape(i: number): number {
    const { text } = this;
    if (text[i + 1] === '\n') return i + 2;
    if (text[i + 1] === '\r' && text[i + 2] === '\n') return i + 3;
    this.quoted = true;
    if (text[i + 1] === '$' || text[i + 1] === '`') this.literalAt(this.wordText.length);
    if (i + 1 < text.length) this.push(text[i + 1], i + 1);
    return i + 2;
  }

  private singleQuoted(i: number): number {
    const { text } = this;
    this.quoted = true;
    if (this.wordStart < 0) this.wordStart = i;
    let j = text.indexOf("'", i + 1);
    if (j < 0) j = text.length;
    for (let k = i + 1; k < j; k++) {
      if (text[k] === '$' || text[k] === '`') this.literalAt(this.wordText.length + k - i - 1);
    }
    this.append(i + 1, j);
    this.wordEnd = Math.min(j + 1, text.length);
    return j + 1;
  }

  private doubleQuoted(i: number): number {
    const { text } = this;
    this.quoted = true;
    if (this.wordStart < 0) this.wordStart = i;
    let j = i + 1;
    while (j < text.length && text[j] !== '"') {
      if (text[j] === '\\' && j + 1 < text.length && '$`"\\\n'.includes(text[j + 1])) {
        if (text[j + 1] === '$' || text[j + 1] === '`') this.literalAt(this.wordText.length);
        if (text[j + 1] !== '\n') this.push(text[j + 1], j + 1);
        j += 2;
      } else if ((text[j] === '$' && text[j + 1] === '(') || text[j] === '`') {
        j = copySubstitution(text, j, this.pushChar);
      } else {
        let k = j + 1;
        while (k < text.length && !isSpecial(DQ_SPECIAL, text.charCodeAt(k))) k++;
        this.append(j, k);
        j = k;
      }
    }
    this.wordEnd = Math.min(j + 1, text.length);
    return j + 1;
  }

  /** `<`, `>` and their variants: drops a file-descriptor number before and the target word after; reads here-documents. */
  private redirection(i: number): number {
    const { text } = this;
    const c = text[i];
    if (this.wordStart >= 0 && /^\d+$/.test(this.wordText) && !this.quoted) {
      this.wordText = '';
      this.used = this.wordFrom;
      this.wordStart = -1;
    }
    this.endWord();
    if (c === '<' && text[i + 1] === '<' && text[i + 2] !== '<') {
      const stripTabs = text[i + 2] === '-';
      this.pendingHeredoc = { stripTabs };
      return i + (stripTabs ? 3 : 2);
    }
    let j = i + 1;
    while (j < text.length && (text[j] === '>' || text[j] === '<' || text[j] === '&' || text[j] === '|')) j++;
    // `2>&1` names a descriptor, not a file.
    if (text[j - 1] === '&' && /\d|-/.test(text[j] ?? '')) {
      while (j < text.length && /[\d-]/.test(text[j])) j++;
    } else this.dropNext = true;
    return j;
  }

  /** A run of ordinary characters, copied in one step. */
  private ordinaryRun(i: number): number {
    const { text, templates } = this;
    let j = i + 1;
    while (
      j < text.length &&
      !isSpecial(SPECIAL, text.charCodeAt(j)) &&
      !(templates && text[j] === '{' && text[j + 1] === '{')
    )
      j++;
    const run = text.slice(i, j);
    if (this.wordStart < 0) {
      this.wordStart = i;
      this.rawPrefix = run;
    } else if (this.rawPrefix.length === this.wordText.length) this.rawPrefix += run;
    this.append(i, j);
    return j;
  }

  private literalAt(index: number): void {
    (this.verbatim ??= []).push(index);
  }

  private push(ch: string, i: number): void {
    if (this.wordStart < 0) this.wordStart = i;
    this.wordText += ch;
    this.offsets[this.used++] = this.map(i);
    this.wordEnd = i + 1;
  }

  /** Appends `text[from, to)` to the current word, which has already started. */
  private append(from: number, to: number): void {
    this.wordText += this.text.slice(from, to);
    for (let m = from; m < to; m++) this.offsets[this.used++] = this.map(m);
    this.wordEnd = to;
  }

  private endWord(): void {
    if (this.wordStart < 0) return;
    const { map } = this;
    const range = { start: map(this.wordStart), end: map(this.wordEnd - 1) + 1 };
    const word = new ShellWord(this.wordText, this.offsets, this.wordFrom, range, this.quoted, this.verbatim);
    if (this.pendingHeredoc) {
      this.heredocs.push({ delimiter: this.wordText, stripTabs: this.pendingHeredoc.stripTabs });
      this.pendingHeredoc = null;
    } else if (this.dropNext) this.dropNext = false;
    else {
      this.words.push(word);
      this.eqs.push(ASSIGNMENT.exec(this.rawPrefix)?.[0].length ?? 0);
    }
    this.wordText = '';
    this.wordFrom = this.used;
    this.wordStart = -1;
    this.quoted = false;
    this.verbatim = undefined;
    this.rawPrefix = '';
  }

  private endCommand(op: string): void {
    this.endWord();
    if (this.words.length > 0) this.commands.push(toCommand(this.words, this.eqs.splice(0), op));
    this.words = [];
  }
}

/** Copies `$(...)`, `${...}` or a backquoted command into the current word verbatim; returns the index after it. */
function copySubstitution(text: string, i: number, push: (ch: string, i: number) => void): number {
  if (text[i] === '`') {
    push('`', i);
    let j = i + 1;
    while (j < text.length && text[j] !== '`') {
      if (text[j] === '\\' && j + 1 < text.length) push(text[j], j++);
      push(text[j], j++);
    }
    if (j < text.length) push('`', j++);
    return j;
  }
  const open = text[i + 1];
  const close = open === '(' ? ')' : '}';
  push('$', i);
  let depth = 0;
  let j = i + 1;
  let quote = '';
  while (j < text.length) {
    const ch = text[j];
    push(ch, j);
    j++;
    if (quote) {
      if (ch === quote) quote = '';
      else if (ch === '\\' && quote === '"' && j < text.length) push(text[j], j++);
      continue;
    }
    if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '\\' && j < text.length) push(text[j], j++);
    else if (ch === open) depth++;
    else if (ch === close && --depth === 0) break;
  }
  return j;
}

/** Skips here-document bodies that start at `i`; returns the index after the last delimiter line. */
function skipHeredocs(text: string, i: number, docs: Heredoc[]): number {
  for (const doc of docs) {
    while (i < text.length) {
      let end = text.indexOf('\n', i);
      if (end < 0) end = text.length;
      let line = text.slice(i, end).replace(/\r$/, '');
      if (doc.stripTabs) line = line.replace(/^\t+/, '');
      i = end + 1;
      if (line === doc.delimiter) break;
    }
  }
  return Math.min(i, text.length);
}

function toCommand(all: Word[], eqs: number[], next: string): SimpleCommand {
  const env: Assignment[] = [];
  let k = 0;
  while (k < all.length && eqs[k] > 0) {
    env.push(assignment(all[k], eqs[k] - 1));
    k++;
  }
  return { env, words: all.slice(k), range: { start: all[0].range.start, end: all[all.length - 1].range.end }, next };
}

/** Splits `NAME=value` (the `=` at `eq`) into its name and its value word. */
export function assignment(word: Word, eq: number): Assignment {
  const value: Word = {
    text: word.text.slice(eq + 1),
    at: word.at.subarray(eq + 1),
    range: { start: word.at[eq] + 1, end: word.range.end },
    quoted: word.quoted,
  };
  const literal = word.verbatim?.filter((i) => i > eq).map((i) => i - eq - 1);
  if (literal && literal.length > 0) value.verbatim = literal;
  return { name: word.text.slice(0, eq), value, range: word.range };
}
