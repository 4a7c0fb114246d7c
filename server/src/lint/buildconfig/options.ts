/**
 * Command-line options as getopt_long reads them (codesign, notarytool) and as Go's flag package reads them (go build):
 * which words are options, which are their values, which are operands. Each tool's table says which options take a
 * value and what their short letters stand for.
 */
import type { Word } from './shell';

export interface Option {
  /** Canonical long name, without dashes: `sign` for `-s`, `--sign` and `--sign=...`. */
  name: string;
  /** The word holding the option (for `-fs ID`, the cluster `-fs`). */
  word: Word;
  value?: string;
  /** The word holding the value when it is a separate word. */
  valueWord?: Word;
}

export interface Parsed {
  options: Option[];
  operands: Word[];
}

export interface OptionSpec {
  /** Short letter → long name. */
  short: Record<string, string>;
  /** Long names that take a value (as a separate word or after `=`). */
  withValue: Set<string>;
  /** Go-style flags: one dash for long names, no short clusters. */
  goStyle?: boolean;
}

/** Several rules read the same command line: each (arguments, tool) pair is parsed once. */
const memo = new WeakMap<Word[], Map<OptionSpec, Parsed>>();

export function parseOptions(args: Word[], spec: OptionSpec): Parsed {
  let bySpec = memo.get(args);
  if (!bySpec) memo.set(args, (bySpec = new Map()));
  let parsed = bySpec.get(spec);
  if (!parsed) bySpec.set(spec, (parsed = parse(args, spec)));
  return parsed;
}

function parse(args: Word[], spec: OptionSpec): Parsed {
  const options: Option[] = [];
  const operands: Word[] = [];
  for (let k = 0; k < args.length; k++) {
    const word = args[k];
    const t = word.text;
    if (t === '--') {
      operands.push(...args.slice(k + 1));
      break;
    }
    if (!t.startsWith('-') || t === '-') {
      operands.push(word);
      continue;
    }
    const long = t.startsWith('--') || spec.goStyle;
    if (long) {
      const body = t.slice(t.startsWith('--') ? 2 : 1);
      const eq = body.indexOf('=');
      const name = eq < 0 ? body : body.slice(0, eq);
      if (eq >= 0) options.push({ name, word, value: body.slice(eq + 1) });
      else if (spec.withValue.has(name) && k + 1 < args.length) {
        options.push({ name, word, value: args[k + 1].text, valueWord: args[k + 1] });
        k++;
      } else options.push({ name, word });
      continue;
    }
    // A cluster of short options: `-fs ID`, `-vvv`, `-oruntime`.
    for (let j = 1; j < t.length; j++) {
      const name = spec.short[t[j]] ?? t[j];
      if (spec.withValue.has(name)) {
        if (j + 1 < t.length) options.push({ name, word, value: t.slice(j + 1) });
        else if (k + 1 < args.length) {
          options.push({ name, word, value: args[k + 1].text, valueWord: args[k + 1] });
          k++;
        } else options.push({ name, word });
        break;
      }
      options.push({ name, word });
    }
  }
  return { options, operands };
}

export function has(parsed: Parsed, name: string): boolean {
  return parsed.options.some((o) => o.name === name);
}

export function find(parsed: Parsed, name: string): Option | undefined {
  return parsed.options.find((o) => o.name === name);
}

export const CODESIGN: OptionSpec = {
  short: {
    s: 'sign',
    i: 'identifier',
    o: 'options',
    r: 'requirements',
    R: 'test-requirement',
    f: 'force',
    v: 'verify',
    d: 'display',
    D: 'detached',
    a: 'architecture',
    P: 'pagesize',
    h: 'hosting',
  },
  withValue: new Set([
    'sign',
    'identifier',
    'options',
    'requirements',
    'test-requirement',
    'entitlements',
    'keychain',
    'prefix',
    'detached',
    'file-list',
    'architecture',
    'bundle-version',
    'pagesize',
    'launch-constraint-self',
    'launch-constraint-parent',
    'launch-constraint-responsible',
    'library-constraint',
    'runtime-version',
    'team-id',
  ]),
};

export const NOTARYTOOL: OptionSpec = {
  short: { k: 'key', d: 'key-id', i: 'issuer', p: 'keychain-profile', f: 'output-format', v: 'verbose' },
  withValue: new Set([
    'key',
    'key-id',
    'issuer',
    'keychain-profile',
    'keychain',
    'apple-id',
    'password',
    'team-id',
    'timeout',
    'output-format',
    'webhook',
    's3-acceleration',
  ]),
};

export const GO_BUILD: OptionSpec = {
  short: {},
  goStyle: true,
  withValue: new Set([
    'o',
    'ldflags',
    'gcflags',
    'asmflags',
    'tags',
    'buildmode',
    'mod',
    'modfile',
    'p',
    'pkgdir',
    'installsuffix',
    'compiler',
    'gccgoflags',
    'toolexec',
    'overlay',
    'pgo',
    'coverpkg',
    'covermode',
    'C',
    'exec',
  ]),
};
