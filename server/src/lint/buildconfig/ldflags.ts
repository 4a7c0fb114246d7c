/**
 * The value of `-ldflags` split into the Go linker's own flags, each with its file range.
 *
 * The go command splits -ldflags like cmd/internal/quoted.Split: on spaces, with single or double quotes grouping
 * (no escapes). The linker then parses its flags with Go's flag package: `-name`, `--name`, `-name=value`, and
 * `-name value` for flags that take a value.
 */
import type { Range } from '../diagnostic';
import { subRange, Word } from './shell';

export interface LinkerFlag {
  /** Without dashes: `X`, `s`, `extldflags`. */
  name: string;
  value?: string;
  /** The whole flag, value included. */
  range: Range;
  nameRange: Range;
  valueRange?: Range;
}

/** Linker flags that take a value (cmd/link's flag definitions); the rest are booleans. */
const TAKES_VALUE = new Set([
  'B',
  'E',
  'H',
  'I',
  'L',
  'R',
  'T',
  'X',
  'buildid',
  'buildmode',
  'capturehostobjs',
  'cpuprofile',
  'debugtextsize',
  'extar',
  'extld',
  'extldflags',
  'importcfg',
  'installsuffix',
  'k',
  'libgcc',
  'linkmode',
  'memprofile',
  'memprofilerate',
  'o',
  'pluginpath',
  'r',
  'tmpdir',
  'benchmark',
  'benchmarkprofile',
  'strictdups',
  'sectcreate',
]);

interface Token {
  text: string;
  from: number;
  to: number;
}

/** quoted.Split over a word's text, keeping where each field starts and ends in that text. */
function fields(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i])) i++;
    if (i >= text.length) break;
    const from = i;
    let value = '';
    if (text[i] === '"' || text[i] === "'") {
      const quote = text[i];
      const close = text.indexOf(quote, i + 1);
      const end = close < 0 ? text.length : close;
      value = text.slice(i + 1, end);
      i = close < 0 ? text.length : close + 1;
    } else {
      while (i < text.length && !/\s/.test(text[i])) value += text[i++];
    }
    out.push({ text: value, from, to: i });
  }
  return out;
}

export function parseLdflags(word: Word): LinkerFlag[] {
  const tokens = fields(word.text);
  const flags: LinkerFlag[] = [];
  for (let k = 0; k < tokens.length; k++) {
    const token = tokens[k];
    if (!token.text.startsWith('-') || token.text === '-' || token.text === '--') continue;
    const dashes = token.text.startsWith('--') ? 2 : 1;
    const body = token.text.slice(dashes);
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    const nameStart = token.from + (token.text === word.text.slice(token.from, token.to) ? 0 : 1) + dashes;
    const flag: LinkerFlag = {
      name,
      range: subRange(word, token.from, token.to),
      nameRange: subRange(word, nameStart, nameStart + name.length),
    };
    if (eq >= 0) {
      flag.value = body.slice(eq + 1);
      flag.valueRange = subRange(
        word,
        nameStart + name.length + 1,
        token.to - (token.text === word.text.slice(token.from, token.to) ? 0 : 1),
      );
    } else if (TAKES_VALUE.has(name) && k + 1 < tokens.length) {
      const next = tokens[++k];
      flag.value = next.text;
      const quotedField = next.text !== word.text.slice(next.from, next.to);
      flag.valueRange = subRange(word, next.from + (quotedField ? 1 : 0), next.to - (quotedField ? 1 : 0));
      flag.range = subRange(word, token.from, next.to);
    }
    flags.push(flag);
  }
  return flags;
}

/** Header types cmd/link accepts (objabi.HeadType.Set). */
export const VALID_HEADTYPES = new Set([
  'aix',
  'darwin',
  'ios',
  'dragonfly',
  'freebsd',
  'js',
  'linux',
  'android',
  'netbsd',
  'openbsd',
  'plan9',
  'illumos',
  'solaris',
  'wasip1',
  'windows',
]);
