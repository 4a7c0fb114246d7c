/**
 * Where the "Build for macOS · Sign · Notarize" CodeLens goes: the package clause of a Go file of package main, found
 * by reading the first lines (Go puts the clause before any declaration, after comments and build constraints), with
 * no Go parsing; and whether that file's folder is the package the pipeline builds (`goMacosSign.build.package`).
 * Pure (no `vscode` import): unit-tested.
 */

/** Text read at most: license headers and package docs are long, but the clause never comes after code. */
export const HEAD_CHARS = 64 * 1024;

/** The 0-based line of `package main`, or undefined when the file is another package or has no clause early. */
export function mainPackageLine(text: string): number | undefined {
  const lines = text.slice(0, HEAD_CHARS).split('\n');
  let inBlock = false;
  for (let i = 0; i < lines.length; i++) {
    let l = lines[i];
    if (inBlock) {
      const end = l.indexOf('*/');
      if (end < 0) continue;
      l = l.slice(end + 2);
      inBlock = false;
    }
    // Drop complete /* … */ comments on the line, then a trailing // comment; an unclosed /* opens a block.
    l = l.replace(/\/\*.*?\*\//g, ' ');
    const open = l.indexOf('/*');
    if (open >= 0) {
      inBlock = true;
      l = l.slice(0, open);
    }
    l = l.replace(/\/\/.*$/, '').trim();
    if (l === '') continue;
    const clause = /^package\s+([\p{L}_][\p{L}\p{N}_]*)\s*;?$/u.exec(l);
    return clause?.[1] === 'main' ? i : undefined;
  }
  return undefined;
}

/**
 * Whether a main package in folder `relDir` (relative to the workspace folder, '' for the folder itself, '/'
 * separated) is what `goMacosSign.build.package` builds. A relative setting (`.`, `./cmd/tool`) is compared as a
 * folder; a `...` pattern matches everything under it; an import path cannot be resolved without the module's path,
 * so it matches any folder whose path ends it.
 */
export function isConfiguredPackage(relDir: string, setting: string): boolean {
  const dir = relDir.replace(/^\.\/?/, '').replace(/\/+$/, '');
  const s = setting.trim() || '.';
  if (s === '.' || s.startsWith('./') || s.startsWith('../')) {
    const wanted = s
      .replace(/^\.\/?/, '')
      .replace(/\/+$/, '')
      .replace(/^\.$/, '');
    if (wanted.endsWith('...')) {
      const base = wanted.slice(0, -3).replace(/\/+$/, '');
      return base === '' || dir === base || dir.startsWith(`${base}/`);
    }
    return dir === wanted;
  }
  return dir === '' ? false : s === dir || s.endsWith(`/${dir}`);
}

/** The `goMacosSign.build.package` value that builds the main package in `relDir`. */
export function packageSetting(relDir: string): string {
  const dir = relDir.replace(/^\.\/?/, '').replace(/\/+$/, '');
  return dir === '' ? '.' : `./${dir}`;
}
