/**
 * go.mod with the range of every directive, module path and version: `module`, `go`, `toolchain`, `require`,
 * `replace`, `exclude`, `retract` (single lines and blocks), `// indirect` markers and comments. Follows the
 * grammar in the Go Modules Reference closely enough to point at things; it never rejects a file, it skips lines it
 * does not understand.
 */
import type { Range } from '../diagnostic';

export interface Requirement {
  path: string;
  version: string;
  indirect: boolean;
  /** The whole requirement line (without the `require` keyword when it is in a block). */
  range: Range;
  pathRange: Range;
  versionRange: Range;
}

export interface GoMod {
  module?: { path: string; range: Range };
  go?: { version: string; range: Range; versionRange: Range };
  toolchain?: { name: string; range: Range };
  requires: Requirement[];
  replaces: { from: string; to: string; range: Range }[];
  excludes: { path: string; version: string; range: Range }[];
  retracts: Range[];
}

interface Token {
  text: string;
  start: number;
  end: number;
}

/** Splits one line into tokens (identifiers, quoted strings, `(`, `)`, `=>`), with the comment after `//`. */
function tokenize(line: string, base: number): { tokens: Token[]; comment: string } {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
    } else if (c === '/' && line[i + 1] === '/') {
      return { tokens, comment: line.slice(i + 2).trim() };
    } else if (c === '(' || c === ')') {
      tokens.push({ text: c, start: base + i, end: base + i + 1 });
      i++;
    } else if (c === '"' || c === '`') {
      let j = i + 1;
      while (j < line.length && line[j] !== c) j += line[j] === '\\' && c === '"' ? 2 : 1;
      tokens.push({
        text: line.slice(i + 1, Math.min(j, line.length)),
        start: base + i,
        end: base + Math.min(j + 1, line.length),
      });
      i = j + 1;
    } else {
      let j = i;
      while (j < line.length && !' \t\r()"`'.includes(line[j]) && !(line[j] === '/' && line[j + 1] === '/')) j++;
      tokens.push({ text: line.slice(i, j), start: base + i, end: base + j });
      i = j;
    }
  }
  return { tokens, comment: '' };
}

export function parseGoMod(text: string): GoMod {
  const mod: GoMod = { requires: [], replaces: [], excludes: [], retracts: [] };
  let block: string | undefined;
  let offset = 0;
  while (offset <= text.length) {
    let end = text.indexOf('\n', offset);
    if (end < 0) end = text.length;
    const { tokens, comment } = tokenize(text.slice(offset, end), offset);
    offset = end + 1;
    if (tokens.length === 0) continue;
    if (block) {
      if (tokens[0].text === ')') {
        block = undefined;
        continue;
      }
      entry(mod, block, tokens, comment);
      continue;
    }
    const [verb, ...rest] = tokens;
    if (rest[0]?.text === '(' && rest.length === 1) {
      block = verb.text;
      continue;
    }
    entry(mod, verb.text, rest, comment, verb.start);
  }
  return mod;
}

function entry(mod: GoMod, verb: string, tokens: Token[], comment: string, verbStart?: number): void {
  if (tokens.length === 0) return;
  const range = { start: verbStart ?? tokens[0].start, end: tokens[tokens.length - 1].end };
  const span = (t: Token) => ({ start: t.start, end: t.end });
  switch (verb) {
    case 'module':
      mod.module = { path: tokens[0].text, range };
      break;
    case 'go':
      mod.go = { version: tokens[0].text, range, versionRange: span(tokens[0]) };
      break;
    case 'toolchain':
      mod.toolchain = { name: tokens[0].text, range };
      break;
    case 'require':
      if (tokens.length >= 2) {
        mod.requires.push({
          path: tokens[0].text,
          version: tokens[1].text,
          indirect: /^indirect\b/.test(comment),
          range,
          pathRange: span(tokens[0]),
          versionRange: span(tokens[1]),
        });
      }
      break;
    case 'replace': {
      const arrow = tokens.findIndex((t) => t.text === '=>');
      if (arrow > 0 && arrow + 1 < tokens.length)
        mod.replaces.push({ from: tokens[0].text, to: tokens[arrow + 1].text, range });
      break;
    }
    case 'exclude':
      if (tokens.length >= 2) mod.excludes.push({ path: tokens[0].text, version: tokens[1].text, range });
      break;
    case 'retract':
      mod.retracts.push(range);
      break;
  }
}

/** `1.16`, `1.21.3`, `1.22rc1` → [major, minor]; undefined when it is not a Go version. */
export function goVersion(text: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(text);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}
