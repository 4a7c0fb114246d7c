/**
 * Which files the linter reads, and the diagnostics for each, with LSP-style positions: shared by `go-macos-sign lint`
 * and the language server so both report exactly the same thing.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../errors';
import { FileAccessError, listDirectory, readFileBounded, statKind } from '../fileAccess';
import { BuildFileKind, buildFileKind, lintBuildFile } from './buildconfig/buildFiles';
import type { EntitlementsProbe } from './buildconfig/signing';
import { lookupVariable } from './buildconfig/goVars';
import type { LintDiagnostic } from './diagnostic';
import { CgoFinding, lintGoMod } from './gomod/analyze';
import { detectCgo, localCgo } from './gomod/cgoLayers';
import { lintBinaryEntitlements, lintEntitlements } from './entitlements/analyze';
import { lintInfoPlist } from './infoPlist/analyze';
import { isBinaryPlist } from '../plist/binary';
import { lineIndex } from '../plist/xml';

export interface Position {
  line: number;
  character: number;
}

export interface PositionRange {
  start: Position;
  end: Position;
}

export interface FileDiagnostic {
  file: string;
  range: PositionRange;
  severity: LintDiagnostic['severity'];
  code: LintDiagnostic['code'];
  message: string;
  /** Places that explain the diagnostic (LSP related information). */
  related?: { file: string; range: PositionRange; message: string }[];
  /** Quick fixes, as LSP text edits. */
  fixes?: { title: string; edits: { range: PositionRange; newText: string }[] }[];
}

export function isEntitlementsFile(file: string): boolean {
  return file.endsWith('.entitlements');
}

export function isInfoPlist(file: string): boolean {
  return /(^|[\\/])Info\.plist$/.test(file);
}

export type FileKind = 'entitlements' | 'info-plist' | 'gomod' | BuildFileKind;

/** What a file is to the linter; `text` lets a shell script without extension be recognised by its shebang. */
export function fileKind(file: string, text?: string): FileKind | undefined {
  if (isEntitlementsFile(file)) return 'entitlements';
  if (isInfoPlist(file)) return 'info-plist';
  if (/(^|[\\/])go\.mod$/.test(file)) return 'gomod';
  return buildFileKind(file, text?.slice(0, 200).split('\n', 1)[0]);
}

/** User overrides of rule severities (setting `goMacosSign.rules`, CLI `--rule id=level`); `off` drops the rule. */
export type SeverityOverrides = Record<string, LintDiagnostic['severity'] | 'off'>;

const LEVELS = new Set(['error', 'warning', 'info', 'hint', 'off']);

/** Keeps only well-formed overrides, so a typo in settings cannot break linting. */
export function cleanOverrides(raw: unknown): SeverityOverrides {
  const out: SeverityOverrides = {};
  if (typeof raw !== 'object' || raw === null) return out;
  for (const [id, level] of Object.entries(raw))
    if (typeof level === 'string' && LEVELS.has(level)) out[id] = level as SeverityOverrides[string];
  return out;
}

/**
 * Diagnostics for one document's text, positions zero-based in UTF-16 units (LSP's convention). Quick fixes are
 * converted only when asked for (code actions), since publishing diagnostics on every keystroke does not need them.
 * A file of no known kind is read as an entitlements file (what `go-macos-sign lint FILE` promises).
 */
export interface LintOptions {
  overrides?: SeverityOverrides;
  /** Convert quick fixes too (code actions). */
  withFixes?: boolean;
  /** What the file is, when the caller knows better than its name (an editor language id). */
  kind?: FileKind;
  /** Receives the absolute paths of entitlements files that build commands in this file pass to codesign. */
  entitlementsSeen?: (file: string) => void;
  /** go.mod: cgo findings from `go list` (otherwise the module sources and the well-known modules are used). */
  cgoFindings?: CgoFinding[];
  /** Target architectures (arm64, amd64); both by default. */
  architectures?: string[];
}

export function lintDocument(file: string, text: string, options: LintOptions = {}): FileDiagnostic[] {
  const overrides = options.overrides ?? {};
  const kind = options.kind ?? fileKind(file, text) ?? 'entitlements';
  return located(file, text, analyze(kind, file, text, overrides, options), overrides, options.withFixes);
}

/** GOARCH names for the configured architectures (Mach-O says x86_64 where Go says amd64). */
export function goarchs(architectures: string[] = []): string[] {
  const wanted = architectures.map((a) => (a === 'x86_64' ? 'amd64' : a)).filter((a) => a === 'arm64' || a === 'amd64');
  return wanted.length > 0 ? [...new Set(wanted)] : ['arm64', 'amd64'];
}

function analyze(
  kind: FileKind,
  file: string,
  text: string,
  overrides: SeverityOverrides,
  options: LintOptions,
): LintDiagnostic[] {
  const seen = options.entitlementsSeen;
  if (kind === 'entitlements') return lintEntitlements(text);
  if (kind === 'info-plist') return lintInfoPlist(text);
  const local = localPath(file);
  if (kind === 'gomod') {
    const findings = options.cgoFindings ?? (local ? localCgo(local, text, goarchs(options.architectures)) : undefined);
    return lintGoMod(text, { findings, architectures: goarchs(options.architectures) });
  }
  if (!local) return lintBuildFile(kind, text, {});
  const from = path.dirname(local);
  // Paths in a workflow are relative to the repository root, where the job starts.
  const base = kind === 'workflow' ? path.resolve(from, '..', '..') : from;
  return lintBuildFile(kind, text, {
    entitlements: (relative) => {
      const target = path.resolve(base, relative);
      seen?.(target);
      return probeEntitlements(target, overrides);
    },
    lookupVariable: (importPath, name, packages) => lookupVariable(base, importPath, name, packages),
  });
}

/** A file-system path for a path or file: URI; undefined for other schemes (nothing to look up around them). */
function localPath(file: string): string | undefined {
  if (file.startsWith('file:')) return fileURLToPath(file);
  return /^[a-z][a-z0-9+.-]*:/i.test(file) && !/^[a-z]:[\\/]/i.test(file) ? undefined : file;
}

/** An entitlements file named in a codesign command: does it exist, and how many errors does our linter find in it? */
export function probeEntitlements(file: string, overrides: SeverityOverrides = {}): EntitlementsProbe {
  let bytes: Buffer;
  try {
    bytes = readFileBounded(file, 'text');
  } catch (error) {
    if (!(error instanceof FileAccessError)) throw error;
    return error.problem === 'missing'
      ? { file, exists: false, errors: 0 }
      : { file, exists: true, errors: 0, unusable: error.reason };
  }
  const found = isBinaryPlist(bytes) ? lintBinaryEntitlements(bytes) : lintEntitlements(bytes.toString('utf8'));
  return { file, exists: true, errors: found.filter((d) => (overrides[d.code] ?? d.severity) === 'error').length };
}

/** Diagnostics for a binary plist's bytes, read as an entitlements file (no text: every range is at the start). */
export function lintBinaryDocument(
  file: string,
  bytes: Uint8Array,
  overrides: SeverityOverrides = {},
): FileDiagnostic[] {
  return located(file, '', lintBinaryEntitlements(bytes), overrides);
}

function located(
  file: string,
  text: string,
  found: LintDiagnostic[],
  overrides: SeverityOverrides,
  withFixes = false,
): FileDiagnostic[] {
  const at = lineIndex(text);
  const range = (r: { start: number; end: number }) => ({ start: at(r.start), end: at(r.end) });
  return found.flatMap((d) => {
    const severity = overrides[d.code] ?? d.severity;
    if (severity === 'off') return [];
    const out: FileDiagnostic = { file, range: range(d.range), severity, code: d.code, message: d.message };
    // Related places in other files can only name the start of that file (its text is not at hand here).
    if (d.related)
      out.related = d.related.map((r) => ({
        file: r.file ?? file,
        range: r.file ? { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } : range(r.range),
        message: r.message,
      }));
    if (withFixes && d.fixes)
      out.fixes = d.fixes.map((f) => ({
        title: f.title,
        edits: f.edits.map((e) => ({ range: range(e.range), newText: e.newText })),
      }));
    return [out];
  });
}

/**
 * The files to lint under `target`. Symbolic links inside a directory are not followed (no loops, no escaping the
 * tree) and FIFOs, devices and sockets are skipped unopened; a path named explicitly is read whatever it is, and the
 * reader refuses it when it is not a regular file.
 */
function collect(target: string, out: string[]): void {
  if (statKind(target) !== 'directory') {
    out.push(target);
    return;
  }
  for (const entry of listDirectory(target)) {
    if (SKIPPED_DIRS.has(entry.name) || (entry.name.startsWith('.') && !VISITED_DOT.has(entry.name))) continue;
    const full = path.join(target, entry.name);
    if (entry.kind === 'directory') collect(full, out);
    else if (entry.kind === 'file' && fileKind(full)) out.push(full);
  }
}

/** Dependencies and version control: not the user's build configuration. */
const SKIPPED_DIRS = new Set(['node_modules', 'vendor', '.git']);
/** Dot folders and files that hold build configuration. */
const VISITED_DOT = new Set(['.github', '.vscode', '.goreleaser.yml', '.goreleaser.yaml', '.justfile']);

export interface PathOptions {
  overrides?: SeverityOverrides;
  architectures?: string[];
  /** Run `go list` (offline, read-only) for go.mod files; the local layers are used when it cannot run. */
  goList?: boolean;
  /** Environment for `go list` (GOMODCACHE...). */
  env?: NodeJS.ProcessEnv;
}

const SUPPORTED =
  'lint reads entitlements (*.entitlements or a property list), Info.plist, go.mod, Makefiles, justfiles, shell scripts, .goreleaser.yaml, GitHub workflows, Taskfiles and .vscode/tasks.json or settings.json';

/** An XML property list, whatever the file is called (entitlements are often named `entitlements.plist`). */
function looksLikePlist(text: string): boolean {
  return /^\uFEFF?\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*(<!DOCTYPE\s+plist\b|<plist\b)/.test(text.slice(0, 4096));
}

/**
 * Files named on the command line are linted by what their name (or shebang) says they are, and as entitlements
 * when they are property lists; any other file is an "unsupported file type" input error. Directories are searched for entitlements, Info.plist, go.mod and build files (Makefiles, scripts,
 * GoReleaser, workflows, VS Code tasks and settings).
 */
export async function lintPaths(targets: string[], options: PathOptions = {}): Promise<FileDiagnostic[]> {
  const overrides = options.overrides ?? {};
  const files: string[] = [];
  for (const target of targets) collect(target, files);
  const out: FileDiagnostic[] = [];
  for (const file of files) {
    const bytes = readFileBounded(file, 'text');
    const binary = isBinaryPlist(bytes);
    const kind = fileKind(file);
    if (binary && (kind === undefined || kind === 'entitlements')) {
      out.push(...lintBinaryDocument(file, bytes, overrides));
      continue;
    }
    const text = bytes.toString('utf8');
    if (kind === undefined && !fileKind(file, text) && !looksLikePlist(text))
      throw new InputError(`${file}: unsupported file type: ${SUPPORTED}`);
    let cgoFindings: CgoFinding[] | undefined;
    if (kind === 'gomod') {
      const arches = goarchs(options.architectures);
      cgoFindings = (
        await detectCgo(path.resolve(file), text, {
          goarchs: arches,
          useGoList: options.goList ?? true,
          env: options.env,
        })
      ).findings;
    }
    out.push(...lintDocument(file, text, { overrides, cgoFindings, architectures: options.architectures }));
  }
  return out;
}
