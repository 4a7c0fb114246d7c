/**
 * YAML build files read with positions: GitHub workflows (`run:` steps and `env:` maps), Taskfiles (`cmds:`), and
 * the GoReleaser settings that matter for macOS (`builds`, `notarize`). Scalars become `Word`s or `Script`s whose
 * characters map back to the file, so a diagnostic inside a block scalar lands on the exact word.
 *
 * Aliases are never resolved (a "billion laughs" document costs no more than its text), and the parser's own limits
 * stay on.
 */
import { Document, isMap, isScalar, isSeq, Node, parseDocument, Scalar, YAMLMap } from 'yaml';
import type { Range } from '../diagnostic';
import { assignment, Script, Word } from './shell';

export function parseYaml(text: string): Document.Parsed | undefined {
  try {
    return parseDocument(text, { keepSourceTokens: true, uniqueKeys: false, prettyErrors: false, strict: false });
  } catch {
    return undefined;
  }
}

/**
 * Maps each character of a scalar's value to the file: walks the value and its source side by side, skipping source
 * characters the value does not have (indentation, quotes, escape backslashes, the block header). The search ahead
 * is bounded, so the walk stays linear even when value and source disagree (folded lines, `\n` escapes).
 */
export function alignScalar(value: string, text: string, range: Range): Int32Array {
  const at = new Int32Array(value.length + 1);
  let p = range.start;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    let q = p;
    const limit = Math.min(range.end, p + 64);
    while (q < limit && text[q] !== c) q++;
    if (q < limit) {
      at[i] = q;
      p = q + 1;
    } else at[i] = Math.min(p, range.end - 1);
  }
  at[value.length] = value.length > 0 ? at[value.length - 1] + 1 : range.start;
  return at;
}

function scalarRange(node: Scalar): Range {
  const [start, end] = node.range ?? [0, 0];
  return { start, end };
}

/** A string scalar as a single word (an argument, an ldflags entry, an env value). */
export function scalarWord(node: unknown, text: string): Word | undefined {
  if (!isScalar(node) || node.value === null || typeof node.value === 'object') return undefined;
  const value = String(node.value);
  const range = scalarRange(node);
  const at = alignScalar(value, text, range).subarray(0, value.length);
  return {
    text: value,
    at,
    range,
    quoted:
      node.type === 'QUOTE_DOUBLE' ||
      node.type === 'QUOTE_SINGLE' ||
      node.type === 'BLOCK_LITERAL' ||
      node.type === 'BLOCK_FOLDED',
  };
}

/** A string scalar as a shell script (a `run:` step, a Taskfile command). */
export function scalarScript(node: unknown, text: string): Script | undefined {
  if (!isScalar(node) || typeof node.value !== 'string') return undefined;
  const value = node.value;
  const at = alignScalar(value, text, scalarRange(node));
  return { text: value, at: (i) => at[i] };
}

export function get(node: unknown, key: string): Node | undefined {
  if (!isMap(node)) return undefined;
  const pair = (node as YAMLMap).items.find((item) => isScalar(item.key) && item.key.value === key);
  return (pair?.value ?? undefined) as Node | undefined;
}

export function items(node: unknown): Node[] {
  return isSeq(node) ? (node.items as Node[]) : [];
}

export function entries(node: unknown): { key: string; keyNode: Scalar; value: Node | undefined }[] {
  if (!isMap(node)) return [];
  return (node as YAMLMap).items.flatMap((item) =>
    isScalar(item.key)
      ? [{ key: String(item.key.value), keyNode: item.key, value: (item.value ?? undefined) as Node | undefined }]
      : [],
  );
}

/** An `env:` map (`NAME: value`) as words, for GOOS, GOARCH and CGO_ENABLED. */
export function envMap(node: unknown, text: string, into: Map<string, Word> = new Map()): Map<string, Word> {
  for (const { key, value } of entries(node)) {
    const word = scalarWord(value, text);
    if (word) into.set(key, word);
  }
  return into;
}

/** A GoReleaser-style env list (`- NAME=value`). */
export function envList(node: unknown, text: string, into: Map<string, Word> = new Map()): Map<string, Word> {
  for (const item of items(node)) {
    const word = scalarWord(item, text);
    const eq = word?.text.indexOf('=') ?? -1;
    if (!word || eq <= 0) continue;
    const { name, value } = assignment(word, eq);
    into.set(name, value);
  }
  return into;
}

/** A value that may be one string or a list of strings, as words. */
export function stringOrList(node: unknown, text: string): Word[] {
  if (isSeq(node)) return items(node).flatMap((item) => scalarWord(item, text) ?? []);
  const word = scalarWord(node, text);
  return word ? [word] : [];
}
