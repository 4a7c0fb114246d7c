/**
 * Writes a bundle's resource seal, `_CodeSignature/CodeResources`, as Apple's codesign writes it for a macOS .app with
 * its default rules (Security's ResourceBuilder; TN2206 "macOS Code Signing In Depth"; rcodesign's code_resources.rs
 * read as a second description). The main executable's CodeDirectory seals this file in special slot 3.
 *
 * Contract (pure; no I/O: `bundle.ts` walks the bundle and hashes the files):
 * - Input: every item under the bundle's resource root (`Contents/` of an .app), paths relative to it with `/`:
 *   regular files with their SHA-1 and SHA-256 digests, symbolic links with their target text, and signed nested code
 *   (a nested bundle directory or a Mach-O file in a nested location) with its cdhash and designated requirement.
 * - `rules` and `rules2` are codesign's defaults for a bundle with resources. Each path takes the rule of the
 *   heaviest pattern that matches it (default weight 1).
 * - `files2` (what verifiers read today): `{hash: SHA-1, hash2: SHA-256}` for a file, `optional` under `*.lproj/`,
 *   `{symlink: target}` for a link, `{cdhash, requirement}` for nested code. Omitted by the rules: Info.plist, PkgInfo,
 *   `.DS_Store`, `*.lproj/locversion.plist`. Never listed: `_CodeSignature/`, a stapled ticket (`CodeResources`),
 *   `_MASReceipt/`, and the main executable, which its own CodeDirectory seals.
 * - `files` (legacy, read by macOS before 10.9): the SHA-1 of each regular file the version 1 rules cover (only
 *   `Resources/` and `version.plist`), `{hash, optional}` under `*.lproj/`.
 * - Dictionaries are written with their keys sorted, as Apple's writer does, through the `plist` package.
 * - One known difference from codesign's bytes: codesign writes a rule's weight as `<real>` (a CFNumber of type
 *   double, e.g. `<real>1000</real>`), and the `plist` package writes every whole number as `<integer>` with no way to
 *   ask for `<real>` (plist 3.1.1 build.js picks the tag from the value alone). Both parse to a CFNumber, which is
 *   what Security reads a weight as; the difference is in this file's bytes, and so in its hash in special slot 3.
 */
import plist from 'plist';
import { InputError } from '../errors';

export type ResourceItem =
  | { path: string; kind: 'file'; sha1: Buffer; sha256: Buffer }
  | { path: string; kind: 'symlink'; target: string }
  | { path: string; kind: 'nested'; cdhash: Buffer; requirement: string };

interface Rule {
  pattern: string;
  weight?: number;
  omit?: boolean;
  optional?: boolean;
  nested?: boolean;
}

/** codesign's default version 1 rules for a bundle with a Resources directory. */
const RULES: Rule[] = [
  { pattern: '^Resources/' },
  { pattern: '^Resources/.*\\.lproj/', optional: true, weight: 1000 },
  { pattern: '^Resources/.*\\.lproj/locversion.plist$', omit: true, weight: 1100 },
  { pattern: '^Resources/Base\\.lproj/', weight: 1010 },
  { pattern: '^version.plist$' },
];

/** codesign's default version 2 rules for a bundle with a Resources directory. */
const RULES2: Rule[] = [
  { pattern: '.*\\.dSYM($|/)', weight: 11 },
  { pattern: '^(.*/)?\\.DS_Store$', omit: true, weight: 2000 },
  {
    pattern:
      '^(Frameworks|SharedFrameworks|PlugIns|Plug-ins|XPCServices|Helpers|MacOS|Library/(Automator|Spotlight|LoginItems))/',
    nested: true,
    weight: 10,
  },
  { pattern: '^.*' },
  { pattern: '^Info\\.plist$', omit: true, weight: 20 },
  { pattern: '^PkgInfo$', omit: true, weight: 20 },
  { pattern: '^Resources/', weight: 20 },
  { pattern: '^Resources/.*\\.lproj/', optional: true, weight: 1000 },
  { pattern: '^Resources/.*\\.lproj/locversion.plist$', omit: true, weight: 1100 },
  { pattern: '^Resources/Base\\.lproj/', weight: 1010 },
  { pattern: '^[^/]+$', nested: true, weight: 10 },
  { pattern: '^embedded\\.provisionprofile$', weight: 20 },
  { pattern: '^version\\.plist$', weight: 20 },
];

/** Paths codesign never seals (not written as rules): the seal itself, a stapled ticket, a Mac App Store receipt. */
const EXCLUDED = [/^_CodeSignature(\/|$)/, /^CodeResources$/, /^_MASReceipt(\/|$)/];

const DS_STORE = /^(.*\/)?\.DS_Store$/;

const compiled = (rules: Rule[]) => rules.map((rule) => ({ rule, regex: new RegExp(rule.pattern) }));
const RULES_RE = compiled(RULES);
const RULES2_RE = compiled(RULES2);

function heaviest(rules: { rule: Rule; regex: RegExp }[], relative: string): Rule | null {
  let best: Rule | null = null;
  for (const { rule, regex } of rules)
    if (regex.test(relative) && (!best || (rule.weight ?? 1) > (best.weight ?? 1))) best = rule;
  return best;
}

/** Whether codesign leaves `relative` (a file or a directory) out of the seal entirely. */
export function isExcluded(relative: string): boolean {
  return EXCLUDED.some((re) => re.test(relative));
}

/** Whether `relative` sits where nested code lives (MacOS/, Frameworks/, PlugIns/, ...): sealed by its cdhash. */
export function isNestedLocation(relative: string): boolean {
  return heaviest(RULES2_RE, relative)?.nested === true;
}

/** Whether either version of the rules seals `relative`'s content (Info.plist and .DS_Store are not): worth hashing. */
export function isSealed(relative: string): boolean {
  if (isExcluded(relative)) return false;
  const rule2 = heaviest(RULES2_RE, relative);
  const rule1 = heaviest(RULES_RE, relative);
  return (rule2 !== null && !rule2.omit) || (rule1 !== null && !rule1.omit && !DS_STORE.test(relative));
}

type Dict = Record<string, unknown>;

/**
 * A plain object whose keys are set as own properties in sorted order, so any file name (even `__proto__`) is a key
 * like the others. Keys that look like array indices still come first in JavaScript's own order: the plist stays
 * equivalent, only their place in the text differs from Apple's.
 */
function sortedDict(entries: [string, unknown][]): Dict {
  const dict: Dict = {};
  for (const [key, value] of [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    Object.defineProperty(dict, key, { value, enumerable: true, writable: true, configurable: true });
  return dict;
}

function rulesDict(rules: Rule[]): Dict {
  return sortedDict(
    rules.map((rule) => {
      const options: [string, unknown][] = [];
      if (rule.nested) options.push(['nested', true]);
      if (rule.omit) options.push(['omit', true]);
      if (rule.optional) options.push(['optional', true]);
      if (rule.weight !== undefined) options.push(['weight', rule.weight]);
      // A rule with no options is written as <true/>, as codesign does.
      return [rule.pattern, options.length === 0 ? true : sortedDict(options)];
    }),
  );
}

/**
 * The CodeResources plist (XML bytes) for the items of a bundle. `mainExecutable` is the main executable's path
 * relative to the resource root (`MacOS/name`), left out of the seal.
 */
export function codeResourcesPlist(items: ResourceItem[], mainExecutable: string | null): Buffer {
  const files: [string, unknown][] = [];
  const files2: [string, unknown][] = [];
  const seen = new Set<string>();
  for (const item of items) {
    const relative = item.path;
    if (relative === '' || relative.startsWith('/') || relative.split('/').some((p) => p === '..' || p === '.'))
      throw new InputError(`bundle item ${JSON.stringify(relative)} is not a plain relative path`);
    if (seen.has(relative)) throw new InputError(`bundle item ${relative} is listed twice`);
    seen.add(relative);
    if (relative === mainExecutable || isExcluded(relative)) continue;

    const rule2 = heaviest(RULES2_RE, relative);
    if (rule2 && !rule2.omit) {
      const optional: [string, unknown][] = rule2.optional ? [['optional', true]] : [];
      if (item.kind === 'file')
        files2.push([relative, sortedDict([['hash', item.sha1], ['hash2', item.sha256], ...optional])]);
      else if (item.kind === 'symlink') files2.push([relative, sortedDict([['symlink', item.target]])]);
      else
        files2.push([relative, sortedDict([['cdhash', item.cdhash], ['requirement', item.requirement], ...optional])]);
    }

    // Version 1 seals regular files only (no symbolic links, no nested code), and never a .DS_Store.
    const rule1 = heaviest(RULES_RE, relative);
    if (rule1 && !rule1.omit && item.kind === 'file' && !DS_STORE.test(relative))
      files.push([
        relative,
        rule1.optional
          ? sortedDict([
              ['hash', item.sha1],
              ['optional', true],
            ])
          : item.sha1,
      ]);
  }
  const root = sortedDict([
    ['files', sortedDict(files)],
    ['files2', sortedDict(files2)],
    ['rules', rulesDict(RULES)],
    ['rules2', rulesDict(RULES2)],
  ]);
  return Buffer.from(`${plist.build(root as plist.PlistObject, { indent: '\t' })}\n`, 'utf8');
}
