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
  const { text } = script;
  const map = script.at;
  const templates = !!script.templates;
  const commands: SimpleCommand[] = [];
  let words: Word[] = [];
  let wordText = '';
  // Every word character's file offset goes into one buffer; a word's `at` is the view of its stretch.
  const offsets = new Int32Array(text.length + 1);
  let used = 0;
  let wordFrom = 0;
  let wordStart = -1;
  let wordEnd = -1;
  let quoted = false;
  let verbatim: number[] | undefined;
  const literalAt = (index: number) => (verbatim ??= []).push(index);
  /** Characters of the current word seen unquoted from its start: tells `NAME=value` from a quoted look-alike. */
  let rawPrefix = '';
  const eqs: number[] = [];
  let dropNext = false;
  const heredocs: { delimiter: string; stripTabs: boolean }[] = [];
  let pendingHeredoc: { stripTabs: boolean } | null = null;

  const push = (ch: string, i: number) => {
    if (wordStart < 0) wordStart = i;
    wordText += ch;
    offsets[used++] = map(i);
    wordEnd = i + 1;
  };
  const endWord = () => {
    if (wordStart < 0) return;
    const word: Word = new ShellWord(
      wordText,
      offsets,
      wordFrom,
      { start: map(wordStart), end: map(wordEnd - 1) + 1 },
      quoted,
      verbatim,
    );
    if (pendingHeredoc) {
      heredocs.push({ delimiter: wordText, stripTabs: pendingHeredoc.stripTabs });
      pendingHeredoc = null;
    } else if (dropNext) dropNext = false;
    else {
      words.push(word);
      eqs.push(ASSIGNMENT.exec(rawPrefix)?.[0].length ?? 0);
    }
    wordText = '';
    wordFrom = used;
    wordStart = -1;
    quoted = false;
    verbatim = undefined;
    rawPrefix = '';
  };
  const endCommand = (op: string) => {
    endWord();
    if (words.length > 0) commands.push(toCommand(words, eqs.splice(0), op));
    words = [];
  };

  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\') {
      if (text[i + 1] === '\n') {
        i += 2;
        continue;
      }
      if (text[i + 1] === '\r' && text[i + 2] === '\n') {
        i += 3;
        continue;
      }
      quoted = true;
      if (text[i + 1] === '$' || text[i + 1] === '`') literalAt(wordText.length);
      if (i + 1 < text.length) push(text[i + 1], i + 1);
      i += 2;
      continue;
    }
    if (c === "'") {
      quoted = true;
      if (wordStart < 0) wordStart = i;
      let j = text.indexOf("'", i + 1);
      if (j < 0) j = text.length;
      for (let k = i + 1; k < j; k++) if (text[k] === '$' || text[k] === '`') literalAt(wordText.length + k - i - 1);
      wordText += text.slice(i + 1, j);
      for (let k = i + 1; k < j; k++) offsets[used++] = map(k);
      wordEnd = Math.min(j + 1, text.length);
      i = j + 1;
      continue;
    }
    if (c === '"') {
      quoted = true;
      if (wordStart < 0) wordStart = i;
      let j = i + 1;
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\' && j + 1 < text.length && '$`"\\\n'.includes(text[j + 1])) {
          if (text[j + 1] === '$' || text[j + 1] === '`') literalAt(wordText.length);
          if (text[j + 1] !== '\n') push(text[j + 1], j + 1);
          j += 2;
        } else if ((text[j] === '$' && text[j + 1] === '(') || text[j] === '`') {
          j = copySubstitution(text, j, push);
        } else {
          let k = j + 1;
          while (k < text.length && !isSpecial(DQ_SPECIAL, text.charCodeAt(k))) k++;
          wordText += text.slice(j, k);
          for (let m = j; m < k; m++) offsets[used++] = map(m);
          wordEnd = k;
          j = k;
        }
      }
      wordEnd = Math.min(j + 1, text.length);
      i = j + 1;
      continue;
    }
    if ((c === '$' && (text[i + 1] === '(' || text[i + 1] === '{')) || c === '`') {
      i = copySubstitution(text, i, push);
      continue;
    }
    if (script.makeAutomatics && c === '$' && '@<^*?%+|'.includes(text[i + 1] ?? ' ')) {
      if (wordStart < 0) rawPrefix = '$';
      push(c, i);
      push(text[i + 1], i + 1);
      i += 2;
      continue;
    }
    if (templates && c === '{' && text[i + 1] === '{') {
      const close = text.indexOf('}}', i + 2);
      const end = close < 0 ? text.length : close + 2;
      for (let k = i; k < end; k++) push(text[k], k);
      i = end;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      endWord();
      i++;
      continue;
    }
    if (c === '\n') {
      endCommand('\n');
      i = heredocs.length > 0 ? skipHeredocs(text, i + 1, heredocs.splice(0)) : i + 1;
      continue;
    }
    if (c === '#' && wordStart < 0) {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (OPERATOR_START.has(c)) {
      if (c === '<' || c === '>') {
        // A redirection: drop a file-descriptor number before it, and the target word after it.
        if (wordStart >= 0 && /^\d+$/.test(wordText) && !quoted) {
          wordText = '';
          used = wordFrom;
          wordStart = -1;
        }
        endWord();
        if (c === '<' && text[i + 1] === '<' && text[i + 2] !== '<') {
          const stripTabs = text[i + 2] === '-';
          pendingHeredoc = { stripTabs };
          i += stripTabs ? 3 : 2;
          continue;
        }
        let j = i + 1;
        while (j < text.length && (text[j] === '>' || text[j] === '<' || text[j] === '&' || text[j] === '|')) j++;
        // `2>&1` names a descriptor, not a file.
        if (text[j - 1] === '&' && /\d|-/.test(text[j] ?? '')) {
          while (j < text.length && /[\d-]/.test(text[j])) j++;
        } else dropNext = true;
        i = j;
        continue;
      }
      if (c === '&' && text[i + 1] === '>') {
        endWord();
        dropNext = true;
        i += text[i + 2] === '>' ? 3 : 2;
        continue;
      }
      const two = text.slice(i, i + 2);
      const op = two === '&&' || two === '||' || two === ';;' ? two : c;
      endCommand(op);
      i += op.length;
      continue;
    }
    // A run of ordinary characters is copied in one step.
    let j = i + 1;
    while (
      j < text.length &&
      !isSpecial(SPECIAL, text.charCodeAt(j)) &&
      !(templates && text[j] === '{' && text[j + 1] === '{')
    )
      j++;
    const run = text.slice(i, j);
    if (wordStart < 0) {
      wordStart = i;
      rawPrefix = run;
    } else if (rawPrefix.length === wordText.length) rawPrefix += run;
    wordText += run;
    for (let k = i; k < j; k++) offsets[used++] = map(k);
    wordEnd = j;
    i = j;
  }
  endCommand('');
  return commands;
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
function skipHeredocs(text: string, i: number, docs: { delimiter: string; stripTabs: boolean }[]): number {
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
