/**
 * Makefiles (and justfiles) as scripts: recipe lines become one shell script whose characters map back to the file;
 * `$$` stands for `$` as make passes it to the shell; make variables (`$(GO)`, `$(BIN)`) stay as written. Exported
 * variables become the environment of every recipe, and variables named like LDFLAGS are returned as linker-flag
 * strings, since that is where Makefiles usually keep them.
 */
import { assembled, Script, Word } from './shell';

export interface MakefileParts {
  script: Script;
  env: Map<string, Word>;
  /** Values of variables such as LDFLAGS or GO_LDFLAGS. */
  ldflags: Word[];
}

const ASSIGN = /^(export\s+|override\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*(?:\?|::?|\+|!)?=[ \t]*/;

/** A word for `text[start, end)`, character for character. */
export function sliceWord(text: string, start: number, end: number): Word {
  const at: number[] = [];
  for (let i = start; i < end; i++) at.push(i);
  return { text: text.slice(start, end), at, range: { start, end }, quoted: false };
}

/** `recipe` says which lines are recipe lines: a tab for make, any indentation for just. */
export function makefileParts(text: string, recipe: (line: string) => boolean = (line) => line.startsWith('\t')): MakefileParts {
  const pieces: { text: string; offset: number }[] = [];
  const env = new Map<string, Word>();
  const ldflags: Word[] = [];
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
      }
      continuing = false;
    }
    offset = end + 1;
  }
  return { script: pieces.length > 0 ? assembled(pieces) : assembled([{ text: '', offset: 0 }]), env, ldflags };
}
