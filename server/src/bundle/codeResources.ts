/**
 * The resource seal of a bundle: `_CodeSignature/CodeResources`, which the main executable's CodeDirectory seals
 * in special slot 3 and which itself lists a hash of every other file of the bundle.
 *
 * Follows the "files2" form codesign writes (Security `ResourceBuilder` / `SecStaticCode::validateResources`):
 * each entry is either a plain digest (SHA-1), or a dict with `hash` (SHA-1) and/or `hash2` (SHA-256), `optional`,
 * `symlink` (the link target, for symbolic links) or `cdhash` + `requirement` (nested code, checked here by the
 * presence of the item only). Files in the bundle that the rules seal but the list lacks are reported as added.
 * Paths are relative to `Contents/`. Read-only; symbolic links are never followed.
 */
import * as path from 'node:path';
import { InputError } from '../errors';
import { FileAccessError, hashFile, linkKind, listDirectory, readLink } from '../fileAccess';
import type { ResourceSeal } from '../protocol';
import { isPlistDict, parsePlist, PlistValue } from '../plist';

/** Keeps a hostile bundle from making us walk forever. */
const MAX_FILES = 100_000;

interface Rule {
  pattern: RegExp;
  omit: boolean;
  optional: boolean;
  weight: number;
}

function parseRules(rules: PlistValue | undefined): Rule[] {
  if (!isPlistDict(rules)) return [];
  const out: Rule[] = [];
  for (const [source, value] of Object.entries(rules)) {
    let pattern: RegExp;
    try {
      pattern = new RegExp(source);
    } catch {
      continue; // a pattern JavaScript cannot read seals nothing we could check
    }
    const options = isPlistDict(value) ? value : {};
    out.push({
      pattern,
      omit: options.omit === true,
      optional: options.optional === true,
      weight: typeof options.weight === 'number' ? options.weight : 1,
    });
  }
  return out;
}

/** The heaviest matching rule decides, as in Security's ResourceBuilder. */
function ruleFor(rules: Rule[], relative: string): Rule | null {
  let best: Rule | null = null;
  for (const rule of rules) if (rule.pattern.test(relative) && (!best || rule.weight > best.weight)) best = rule;
  return best;
}

/**
 * The digest of a sealed file, or null when it is no longer a regular file we may read (swapped for a FIFO after it
 * was looked at): such a file does not match its seal.
 */
function digest(file: string, algorithm: 'sha1' | 'sha256'): Buffer | null {
  try {
    return hashFile(file, algorithm, 'binary');
  } catch (error) {
    if (error instanceof FileAccessError && error.problem !== 'too-large') return null;
    throw error;
  }
}

/**
 * Entries under Contents/ that are not directories (files, symbolic links, anything else: all are sealed or added),
 * without descending into directories `skip` names (nested code, the seal itself). Nothing is opened or followed.
 */
function walk(contents: string, skip: (relative: string) => boolean): string[] {
  const files: string[] = [];
  const pending = [''];
  while (pending.length > 0 && files.length < MAX_FILES) {
    const dir = pending.pop()!;
    for (const entry of listDirectory(path.join(contents, dir))) {
      const relative = dir ? `${dir}/${entry.name}` : entry.name;
      if (skip(relative)) continue;
      if (entry.kind === 'directory') pending.push(relative);
      else files.push(relative);
    }
  }
  return files;
}

/**
 * Checks every file listed in CodeResources against the bundle, and looks for sealed-but-unlisted files.
 * `mainExecutable` (relative to Contents/) is sealed by the CodeDirectory itself and is skipped.
 */
export function verifyResourceSeal(bundleRoot: string, codeResources: Buffer, mainExecutable: string): ResourceSeal {
  const contents = path.join(bundleRoot, 'Contents');
  const { value } = parsePlist(codeResources);
  if (!isPlistDict(value)) throw new InputError(`${bundleRoot}: _CodeSignature/CodeResources is not a dictionary`);
  const useV2 = isPlistDict(value.files2);
  const listed = (useV2 ? value.files2 : value.files) as PlistValue | undefined;
  if (!isPlistDict(listed)) throw new InputError(`${bundleRoot}: _CodeSignature/CodeResources lists no files`);
  const rules = parseRules(useV2 ? value.rules2 : value.rules);

  const problems: ResourceSeal['problems'] = [];
  let checked = 0;
  for (const [relative, entry] of Object.entries(listed)) {
    if (relative.split('/').includes('..')) {
      problems.push({ path: relative, kind: 'modified' });
      continue;
    }
    const file = path.join(contents, relative);
    const options = isPlistDict(entry) ? entry : {};
    const kind = linkKind(file);
    if (kind === 'missing') {
      if (options.optional !== true) problems.push({ path: relative, kind: 'missing' });
      continue;
    }
    checked++;
    if (typeof options.symlink === 'string') {
      if (kind !== 'symlink' || readLink(file) !== options.symlink)
        problems.push({ path: relative, kind: 'symlink-changed' });
      continue;
    }
    if (options.cdhash instanceof Uint8Array) continue; // nested code: sealed by its own signature
    const expected =
      entry instanceof Uint8Array
        ? { algorithm: 'sha1' as const, hash: entry }
        : options.hash2 instanceof Uint8Array
          ? { algorithm: 'sha256' as const, hash: options.hash2 }
          : options.hash instanceof Uint8Array
            ? { algorithm: 'sha1' as const, hash: options.hash }
            : null;
    // Only a regular file itself (not a symbolic link to one, not a FIFO or device) can match a file's seal.
    if (!expected || kind !== 'file' || !digest(file, expected.algorithm)?.equals(Buffer.from(expected.hash))) {
      problems.push({ path: relative, kind: 'modified' });
    }
  }

  // Not sealed by this list: the seal itself, a stapled ticket, the main executable, and nested code (its own seal).
  const unsealed = new Set(['_CodeSignature', 'CodeResources', mainExecutable]);
  const skip = (relative: string) => unsealed.has(relative) || relative in listed;
  for (const relative of walk(contents, skip)) {
    const rule = ruleFor(rules, relative);
    if (rule && !rule.omit && !rule.optional) problems.push({ path: relative, kind: 'added' });
  }
  return { checked, problems };
}
