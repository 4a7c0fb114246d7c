/**
 * Which executable runs for a tool name, and what to tell the user when there is none.
 *
 * Apple's `lipo` exists off macOS as LLVM's `llvm-lipo`, which takes the same arguments (-create, -output, -archs);
 * Debian and Ubuntu install it only with the LLVM version in its name (`llvm-lipo-14`). So when `lipo` is not on PATH,
 * `resolveTool` answers with `llvm-lipo`, or else the newest `llvm-lipo-N` it finds, and `universal` works on Linux
 * without `--tool lipo=PATH`. A path named with --tool or goMacosSign.toolPaths is used as given, before this runs.
 */
import * as path from 'node:path';
import { isExecutableFile, listDirectory } from '../fileAccess';

/** Other names a tool goes by: group 1 of the pattern is a version number, the newest of which wins. */
const ALTERNATIVES: Record<string, { pattern: RegExp; shown: string }> = {
  lipo: { pattern: /^llvm-lipo(?:-(\d+))?$/, shown: 'llvm-lipo, llvm-lipo-N' },
};

/** Where each tool comes from, for the "not found" message. */
const SOURCES: Record<string, string> = {
  go: 'install Go from https://go.dev/dl (Debian: apt-get install golang-go)',
  lipo: "it comes with Xcode's command-line tools on macOS; elsewhere LLVM's llvm-lipo does the same job (Debian: apt-get install llvm-14), or use --via builtin, which needs no tool",
};
const XCODE = "it comes with macOS and Xcode's command-line tools (xcode-select --install)";
for (const tool of [
  'codesign',
  'xcrun',
  'ditto',
  'xattr',
  'spctl',
  'security',
  'hdiutil',
  'pkgbuild',
  'productbuild',
  'stapler',
  'notarytool',
])
  SOURCES[tool] = XCODE;

/** Whether an executable file named `name` is in one of `searchPath`'s directories. Never opens it. */
export function onPath(name: string, searchPath = process.env.PATH ?? ''): boolean {
  return searchPath.split(path.delimiter).some((dir) => dir !== '' && isExecutableFile(path.join(dir, name)));
}

/** `name` when it is on PATH or goes by no other name; otherwise the alternative found on PATH, or `name` again. */
export function resolveTool(name: string, searchPath = process.env.PATH ?? ''): string {
  const pattern = ALTERNATIVES[name]?.pattern;
  if (!pattern) return name;
  if (onPath(name, searchPath)) return name;
  const dirs = searchPath.split(path.delimiter).filter(Boolean);
  let best: { name: string; version: number } | undefined;
  for (const dir of dirs) {
    let entries: string[];
    try {
      entries = listDirectory(dir).map((e) => e.name);
    } catch {
      continue; // a PATH entry that does not exist or cannot be listed
    }
    for (const entry of entries) {
      const m = pattern.exec(entry);
      if (!m || !isExecutableFile(path.join(dir, entry))) continue;
      // The unversioned name is the system's chosen default; otherwise the newest LLVM. Earlier PATH entries win ties.
      const version = m[1] === undefined ? Infinity : Number(m[1]);
      if (!best || version > best.version) best = { name: entry, version };
    }
  }
  return best?.name ?? name;
}

/** The "not found" message: where the tool comes from, the other names tried, and how to name it. */
export function notFoundMessage(name: string): string {
  const tried = ALTERNATIVES[name] ? `, nor ${ALTERNATIVES[name].shown}` : '';
  const source = SOURCES[name] ? `${SOURCES[name]}; ` : '';
  return `${name}: not found on PATH${tried}; ${source}or name it with --tool ${name}=PATH (goMacosSign.toolPaths in VS Code)`;
}
