/**
 * The one XML property-list reader: the source range of every key and value, for diagnostics that point at the exact
 * word (lint/) and for one-line errors that say where (plist/index.ts builds the engine's values on it).
 *
 * Built on saxes (a real, non-validating XML tokenizer that never fetches anything): its `position` counts UTF-16
 * code units, the same unit as LSP and VS Code offsets. Entity declarations are never expanded: a document that
 * declares any gets a diagnostic and no model, so neither "billion laughs" nor an external entity can run. Problems
 * are returned, not thrown: a linter must describe a broken file, not refuse it. Reading stops after MAX_PROBLEMS
 * problems (saxes' own errors included, even those not reported), with a last problem saying where: once a file is
 * that broken, more of the same helps nobody, and on random bytes saxes would build an error for nearly every byte.
 */
import { SaxesParser } from 'saxes';

export interface Range {
  /** Offsets into the text, in UTF-16 code units; `end` is exclusive. */
  start: number;
  end: number;
}

export type PlistNode =
  | { kind: 'dict'; range: Range; entries: DictEntry[] }
  | { kind: 'array'; range: Range; items: PlistNode[] }
  | { kind: 'string' | 'integer' | 'real' | 'date' | 'data'; range: Range; text: string }
  | { kind: 'boolean'; range: Range; value: boolean };

export interface DictEntry {
  key: string;
  /** The key's text, between <key> and </key>. */
  keyRange: Range;
  /** The whole <key>…</key> element. */
  keyElement: Range;
  /** null when the <key> has no value element after it. */
  value: PlistNode | null;
}

export interface SyntaxProblem {
  message: string;
  range: Range;
}

export interface PlistDocument {
  root: PlistNode | null;
  /** Well-formedness and plist-structure problems (rule plist/syntax). */
  problems: SyntaxProblem[];
  comments: Range[];
  /** Set when the text declares XML entities (never expanded); nothing else is read then. */
  entityDeclaration: Range | null;
  /** The DOCTYPE, when it has an internal subset (`[…]`): the engine refuses one, the linters need not. */
  internalSubset: Range | null;
}

const SCALARS = new Set(['string', 'integer', 'real', 'date', 'data']);
const MAX_DEPTH = 256;
/** Problems (and saxes errors) after which reading stops; the last problem reported says so. */
export const MAX_PROBLEMS = 50;

/** Thrown out of saxes' callbacks to stop reading. */
class StopReading extends Error {}

interface Open {
  name: string;
  start: number;
  /** Offset just after the start tag; -1 for a self-closing tag. */
  contentStart: number;
  /** For containers: where the last child (or comment) ended, to find stray text between children. */
  lastEnd: number;
  node?: PlistNode;
  /** For <dict>: the key waiting for its value. */
  pendingKey?: DictEntry | null;
  /** For containers: non-whitespace text seen directly inside. */
  strayText?: boolean;
}

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/**
 * The text content of a key or scalar, from its raw source: line ends made LF, comments dropped, CDATA kept verbatim,
 * predefined and numeric character references decoded. (Reading content from the source, instead of from saxes' text
 * events, spares saxes from building text for every run of whitespace: it halves the cost of a lint.)
 */
function decodeContent(raw: string): string {
  if (!raw.includes('&') && !raw.includes('<') && !raw.includes('\r')) return raw;
  return raw
    .replace(/\r\n?/g, '\n') // XML's end-of-line handling, before anything else (so &#13; still gives a CR)
    .replace(/<!--[\s\S]*?-->/g, '')
    .split(/(<!\[CDATA\[[\s\S]*?\]\]>)/)
    .map((part) =>
      part.startsWith('<![CDATA[')
        ? part.slice(9, -3)
        : part.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, ref: string) => {
            if (ref.startsWith('#x')) return String.fromCodePoint(parseInt(ref.slice(2), 16));
            if (ref.startsWith('#')) return String.fromCodePoint(parseInt(ref.slice(1), 10));
            return PREDEFINED[ref] ?? whole;
          }),
    )
    .join('');
}

export function parsePlistText(text: string): PlistDocument {
  const entity = /<!ENTITY/i.exec(text);
  if (entity) {
    const declaration = { start: entity.index, end: entity.index + entity[0].length };
    return { root: null, problems: [], comments: [], entityDeclaration: declaration, internalSubset: null };
  }
  return new Reader(text).read();
}

/** One reading of one text: saxes' events, one method each, building the document and its problems. */
class Reader {
  private readonly result: PlistDocument = {
    root: null,
    problems: [],
    comments: [],
    entityDeclaration: null,
    internalSubset: null,
  };
  private readonly parser = new SaxesParser({ position: true });
  private readonly stack: Open[] = [];
  private failed = false;
  /** Problems and saxes errors met so far, reported or not. */
  private met = 0;

  constructor(private readonly text: string) {}

  read(): PlistDocument {
    const { parser, result } = this;
    parser.on('opentagstart', (tag) => this.openTagStart(tag.name));
    parser.on('opentag', (tag) => this.openTag(tag.isSelfClosing));
    parser.on('doctype', (doctype) => this.doctype(doctype));
    parser.on('comment', () => this.comment());
    parser.on('closetag', (tag) => this.closeTag(tag.name));
    parser.on('error', (error) => this.error(error));
    try {
      parser.write(this.text).close();
    } catch (error) {
      // Thrown by us to stop reading, the problem already recorded; anything else is a bug and must not pass as one.
      if (!(error instanceof StopReading)) throw error;
    }
    if (!this.failed && !result.root && result.problems.length === 0) {
      result.problems.push({
        message: 'the file holds no property list',
        range: { start: 0, end: Math.min(this.text.length, 1) },
      });
    }
    return result;
  }

  private stopIfTooMany(): void {
    if (++this.met < MAX_PROBLEMS) return;
    const at = Math.min(this.parser.position, this.text.length);
    this.result.problems.push({
      message: 'too many errors: stopped reading here',
      range: { start: Math.max(0, at - 1), end: at },
    });
    this.failed = true;
    throw new StopReading();
  }

  private problem(message: string, range: Range): void {
    this.result.problems.push({ message, range });
    this.stopIfTooMany();
  }

  private attach(node: PlistNode): void {
    const { result } = this;
    const parent = this.stack[this.stack.length - 1];
    if (!parent) {
      if (result.root) this.problem('a property list has one top-level value', node.range);
      else result.root = node;
      return;
    }
    if (parent.name === 'plist') {
      if (result.root) this.problem('<plist> holds exactly one value', node.range);
      else result.root = node;
    } else if (parent.node?.kind === 'array') {
      parent.node.items.push(node);
    } else if (parent.node?.kind === 'dict') {
      if (!parent.pendingKey) this.problem('a value in <dict> must follow a <key>', node.range);
      else {
        parent.pendingKey.value = node;
        parent.pendingKey = null;
      }
    }
  }

  /** Non-whitespace between a container's children is a mistake; whitespace and comments are not. */
  private checkGap(frame: Open | undefined, until: number): void {
    if (!frame || !(frame.node || frame.name === 'plist') || frame.lastEnd < 0 || frame.strayText) return;
    for (let i = frame.lastEnd; i < until; i++) {
      const c = this.text.charCodeAt(i);
      if (c !== 32 && c !== 9 && c !== 10 && c !== 13) {
        frame.strayText = true;
        return;
      }
    }
  }

  private openTagStart(name: string): void {
    const { parser, stack } = this;
    const start = this.text.lastIndexOf('<', parser.position - 1);
    this.checkGap(stack[stack.length - 1], start);
    stack.push({ name, start, contentStart: -1, lastEnd: -1 });
    const tagRange = { start, end: parser.position };
    if (stack.length > MAX_DEPTH) {
      this.result.problems.push({ message: 'nesting is too deep', range: tagRange });
      this.failed = true;
      throw new StopReading();
    }
    const open = stack[stack.length - 1];
    const parent = stack[stack.length - 2];
    const inScalar = parent && (SCALARS.has(parent.name) || parent.name === 'key');
    if (inScalar) this.problem(`<${name}> cannot appear inside <${parent.name}>`, tagRange);
    if (name === 'dict') open.node = { kind: 'dict', range: { start, end: start }, entries: [] };
    else if (name === 'array') open.node = { kind: 'array', range: { start, end: start }, items: [] };
    else if (name === 'key') {
      if (parent?.node?.kind !== 'dict') this.problem('<key> is only allowed directly inside <dict>', tagRange);
      else if (parent.pendingKey)
        this.problem(`<key>${parent.pendingKey.key}</key> has no value`, parent.pendingKey.keyElement);
    } else if (!SCALARS.has(name) && !['true', 'false', 'plist'].includes(name)) {
      this.problem(`<${name}> is not a property-list element`, tagRange);
    } else if (name === 'plist' && stack.length > 1) {
      this.problem('<plist> must be the outermost element', tagRange);
    }
  }

  private openTag(selfClosing: boolean): void {
    const open = this.stack[this.stack.length - 1];
    if (!open || selfClosing) return;
    open.contentStart = this.parser.position;
    open.lastEnd = this.parser.position;
  }

  private doctype(doctype: string): void {
    if (!doctype.includes('[')) return;
    const start = this.text.lastIndexOf('<!DOCTYPE', this.parser.position);
    this.result.internalSubset = { start: Math.max(0, start), end: this.parser.position };
  }

  private comment(): void {
    const { parser, text } = this;
    const end = text.indexOf('-->', parser.position - 3);
    const start = text.lastIndexOf('<!--', parser.position);
    const range = { start, end: end < 0 ? parser.position : end + 3 };
    this.result.comments.push(range);
    const top = this.stack[this.stack.length - 1];
    this.checkGap(top, start);
    if (top && top.lastEnd >= 0) top.lastEnd = range.end;
  }

  private closeTag(name: string): void {
    const { parser, stack, text } = this;
    const open = stack.pop();
    if (!open) return;
    const range = { start: open.start, end: parser.position };
    const contentEnd = open.contentStart < 0 ? open.contentStart : text.lastIndexOf('</', parser.position - 1);
    const raw = open.contentStart < 0 ? '' : text.slice(open.contentStart, contentEnd);
    if (name === 'key') {
      const dict = stack[stack.length - 1];
      if (dict?.node?.kind === 'dict') {
        const keyStart = open.contentStart < 0 ? range.end : open.contentStart;
        const entry: DictEntry = {
          key: decodeContent(raw),
          keyRange: { start: keyStart, end: keyStart + raw.length },
          keyElement: range,
          value: null,
        };
        dict.node.entries.push(entry);
        dict.pendingKey = entry;
      }
    } else if (open.node) {
      this.checkGap(open, contentEnd);
      open.node.range = range;
      if (open.node.kind === 'dict' && open.pendingKey)
        this.problem(`<key>${open.pendingKey.key}</key> has no value`, open.pendingKey.keyElement);
      this.attach(open.node);
    } else if (SCALARS.has(name)) {
      this.attach({ kind: name as 'string', range, text: decodeContent(raw) });
    } else if (name === 'true' || name === 'false') {
      if (raw.trim() !== '') this.problem(`<${name}/> takes no content`, range);
      this.attach({ kind: 'boolean', range, value: name === 'true' });
    } else if (name === 'plist') {
      this.checkGap(open, contentEnd);
      if (!this.result.root) this.problem('<plist> is empty', range);
    }
    if (open.strayText) this.problem(`unexpected text inside <${name}>`, range);
    const parent = stack[stack.length - 1];
    if (parent && parent.lastEnd >= 0) parent.lastEnd = parser.position;
  }

  private error(error: Error): void {
    if (this.failed) return this.stopIfTooMany();
    this.failed = true;
    const at = Math.min(this.parser.position, this.text.length);
    const message = error.message
      .replace(/^(?:[^:\n]*:)?\d+:\d+: /, '')
      .replace(/\s+/g, ' ')
      .trim();
    this.problem(message, { start: Math.max(0, at - 1), end: at });
  }
}

/** Line and character (zero-based, UTF-16) of an offset, as LSP positions are. */
export function lineIndex(text: string): (offset: number) => { line: number; character: number } {
  const starts = [0];
  for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) starts.push(at + 1);
  return (offset: number) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: offset - starts[lo] };
  };
}
