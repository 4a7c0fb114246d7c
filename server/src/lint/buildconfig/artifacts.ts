/**
 * Which commands make which artifacts: `go build -o X` and `lipo -output X` a bare Mach-O, `ditto -c -k` and `zip`
 * a zip, `hdiutil create`/`convert` a disk image, `pkgbuild`/`productbuild`/`productsign` an installer package;
 * `cp`, `mv` and a plain `ditto` copy what their source holds. Names are taken as the tools take them (zip and
 * hdiutil add their extension to a name that has none). Pure: reads only the command's words.
 */
import type { Invocation } from './commands';
import { afterEquals } from './goBuild';
import { GO_BUILD, parseOptions } from './options';
import type { Word } from './shell';
import type { ArtifactKind } from './values';

export interface Production {
  /** The word naming the path written. */
  word: Word;
  /** What the path holds afterwards; `copy`: whatever `from` held. */
  kind: ArtifactKind | 'copy';
  from?: Word;
  /** The extension the tool adds when the name has none. */
  extension?: string;
  /** The command in words, for messages: "go build -o". */
  by: string;
}

/** Operands of a command line: words that are neither options nor the values of options listed in `withValue`. */
function operands(args: Word[], withValue: Set<string>): Word[] {
  const out: Word[] = [];
  for (let k = 0; k < args.length; k++) {
    const t = args[k].text;
    if (t.startsWith('-') && t !== '-') {
      if (withValue.has(t)) k++;
    } else out.push(args[k]);
  }
  return out;
}

const DITTO_VALUES = new Set(['--arch', '--bom']);
const ZIP_VALUES = new Set(['-b', '-n', '-t', '-tt', '-O', '--out', '-Z', '-P', '-s', '-sp']);
/** hdiutil options that take no value (the rest do). */
const HDIUTIL_FLAGS = new Set([
  '-ov',
  '-quiet',
  '-verbose',
  '-debug',
  '-plist',
  '-puppetstrings',
  '-attach',
  '-nospotlight',
  '-spotlight',
  '-anyowners',
  '-noanyowners',
  '-skipunreadable',
  '-noskipunreadable',
  '-atomic',
  '-noatomic',
  '-scrub',
  '-noscrub',
  '-crossdev',
  '-nocrossdev',
  '-stdinpass',
  '-agentpass',
  '-help',
]);
const PKG_FLAGS = new Set(['--timestamp', '--quiet', '--analyze', '--preserve-xattr', '--synthesize']);

/** The artifacts a command makes, in the order it makes them. */
export function productions(inv: Invocation): Production[] {
  const args = inv.args;
  switch (inv.tool) {
    case 'go': {
      if (args[0]?.text !== 'build') return [];
      const parsed = parseOptions(args.slice(1), GO_BUILD);
      const output = parsed.options.find((o) => o.name === 'o');
      const mode = parsed.options.find((o) => o.name === 'buildmode')?.value;
      const word = output && (output.valueWord ?? (output.value !== undefined ? afterEquals(output.word) : undefined));
      // A folder (`-o dist/`) or a static library is not one executable.
      if (!word || word.text.endsWith('/') || mode === 'c-archive' || mode === 'archive') return [];
      return [{ word, kind: 'macho', by: 'go build -o' }];
    }
    case 'lipo':
    case 'llvm-lipo': {
      const k = args.findIndex((w) => w.text === '-output' || w.text === '-o');
      if (
        k < 0 ||
        !args[k + 1] ||
        !args.some((w) => ['-create', '-thin', '-remove', '-extract', '-replace'].includes(w.text))
      )
        return [];
      return [{ word: args[k + 1], kind: 'macho', by: 'lipo -output' }];
    }
    case 'ditto': {
      const flags = new Set(args.filter((w) => w.text.startsWith('-')).map((w) => w.text));
      const paths = operands(args, DITTO_VALUES);
      if (paths.length !== 2 || flags.has('-x')) return [];
      if (flags.has('-c')) return flags.has('-k') ? [{ word: paths[1], kind: 'zip', by: 'ditto -c -k' }] : [];
      return [{ word: paths[1], kind: 'copy', from: paths[0], by: 'ditto' }];
    }
    case 'cp':
    case 'mv': {
      const paths = operands(args, new Set());
      if (paths.length !== 2 || paths[1].text.endsWith('/')) return [];
      return [{ word: paths[1], kind: 'copy', from: paths[0], by: inv.tool }];
    }
    case 'zip': {
      const archive = operands(args.slice(0, firstListOption(args)), ZIP_VALUES)[0];
      return archive ? [{ word: archive, kind: 'zip', extension: '.zip', by: 'zip' }] : [];
    }
    case 'hdiutil': {
      const verb = args[0]?.text;
      if (verb !== 'create' && verb !== 'convert') return [];
      const rest = args.slice(1);
      const format = rest[rest.findIndex((w) => w.text === '-format' || w.text === '-type') + 1]?.text ?? '';
      if (/^(UDSP|UDSB|SPARSE|SPARSEBUNDLE)$/i.test(format)) return [];
      const o = rest.findIndex((w) => w.text === '-o');
      let word: Word | undefined = o >= 0 ? rest[o + 1] : undefined;
      if (!word && verb === 'create') {
        for (let k = 0; k < rest.length && !word; k++) {
          const t = rest[k].text;
          if (t.startsWith('-')) k += HDIUTIL_FLAGS.has(t) ? 0 : 1;
          else word = rest[k];
        }
      }
      return word ? [{ word, kind: 'dmg', extension: '.dmg', by: `hdiutil ${verb}` }] : [];
    }
    case 'pkgbuild':
    case 'productbuild':
    case 'productsign': {
      const last = args[args.length - 1];
      if (!last || last.text.startsWith('-') || args.some((w) => w.text === '--synthesize' || w.text === '--analyze'))
        return [];
      // The output is the last argument, unless that is the value of an option.
      const before = args[args.length - 2]?.text ?? '';
      if (before.startsWith('-') && !PKG_FLAGS.has(before)) return [];
      return [{ word: last, kind: 'pkg', by: inv.tool }];
    }
    default:
      return [];
  }
}

/** zip's `-x`/`-i` take a list of names up to the end: only what comes before them is read. */
function firstListOption(args: Word[]): number {
  const k = args.findIndex(
    (w) => w.text === '-x' || w.text === '-i' || w.text === '--exclude' || w.text === '--include',
  );
  return k < 0 ? args.length : k;
}

/** The path a tool writes for `name`: zip and hdiutil add their extension when the file name has none. */
export function writtenPath(name: string, extension?: string): string {
  if (!extension) return name;
  const base = name.slice(name.lastIndexOf('/') + 1);
  if (extension === '.dmg') return /\.dmg$/i.test(base) ? name : `${name}.dmg`;
  return base.includes('.') ? name : `${name}${extension}`;
}

/** What a name says a file is, when nothing in the flow says more. */
export function kindByName(name: string): ArtifactKind | 'tarball' | undefined {
  if (/\.(zip)$/i.test(name)) return 'zip';
  if (/\.dmg$/i.test(name)) return 'dmg';
  if (/\.(pkg|mpkg)$/i.test(name)) return 'pkg';
  if (/\.app\/?$/i.test(name)) return 'app';
  if (/\.(tar\.gz|tgz|tar|tar\.xz|gz)$/i.test(name)) return 'tarball';
  return undefined;
}

export const KIND_WORDS: Record<ArtifactKind, string> = {
  macho: 'a bare Mach-O',
  zip: 'a zip archive',
  dmg: 'a disk image',
  pkg: 'an installer package',
  app: 'an app bundle',
};
