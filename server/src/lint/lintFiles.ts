/**
 * Which files the linter reads, and the diagnostics for each, with LSP-style positions: shared by `go-macos-sign lint`
 * and the language server so both report exactly the same thing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../errors';
import { lintBinaryEntitlements, lintEntitlements, LintDiagnostic } from './entitlements/analyze';
import { lintInfoPlist } from './infoPlist/analyze';
import { lineIndex } from './plist/parse';

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
  /** Quick fixes, as LSP text edits. */
  fixes?: { title: string; edits: { range: PositionRange; newText: string }[] }[];
}

/** Larger files are not entitlements; refusing them keeps a hostile file from costing time. */
const MAX_BYTES = 16 * 1024 * 1024;

export function isEntitlementsFile(file: string): boolean {
  return file.endsWith('.entitlements');
}

export function isInfoPlist(file: string): boolean {
  return /(^|[\\/])Info\.plist$/.test(file);
}

/** User overrides of rule severities (setting `goMacosSign.rules`, CLI `--rule id=level`); `off` drops the rule. */
export type SeverityOverrides = Record<string, LintDiagnostic['severity'] | 'off'>;

const LEVELS = new Set(['error', 'warning', 'info', 'hint', 'off']);

/** Keeps only well-formed overrides, so a typo in settings cannot break linting. */
export function cleanOverrides(raw: unknown): SeverityOverrides {
  const out: SeverityOverrides = {};
  if (typeof raw !== 'object' || raw === null) return out;
  for (const [id, level] of Object.entries(raw)) if (typeof level === 'string' && LEVELS.has(level)) out[id] = level as SeverityOverrides[string];
  return out;
}

/**
 * Diagnostics for one document's text, positions zero-based in UTF-16 units (LSP's convention). Quick fixes are
 * converted only when asked for (code actions), since publishing diagnostics on every keystroke does not need them.
 */
export function lintDocument(file: string, text: string, overrides: SeverityOverrides = {}, withFixes = false): FileDiagnostic[] {
  return located(file, text, isInfoPlist(file) ? lintInfoPlist(text) : lintEntitlements(text), overrides, withFixes);
}

function located(file: string, text: string, found: LintDiagnostic[], overrides: SeverityOverrides, withFixes = false): FileDiagnostic[] {
  const at = lineIndex(text);
  const range = (r: { start: number; end: number }) => ({ start: at(r.start), end: at(r.end) });
  return found.flatMap((d) => {
    const severity = overrides[d.code] ?? d.severity;
    if (severity === 'off') return [];
    const out: FileDiagnostic = { file, range: range(d.range), severity, code: d.code, message: d.message };
    if (withFixes && d.fixes) out.fixes = d.fixes.map((f) => ({ title: f.title, edits: f.edits.map((e) => ({ range: range(e.range), newText: e.newText })) }));
    return [out];
  });
}

function collect(target: string, out: string[]): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(target);
  } catch (error) {
    throw new InputError(`${target}: cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  if (!stat.isDirectory()) {
    out.push(target);
    return;
  }
  for (const entry of fs.readdirSync(target, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const full = path.join(target, entry.name);
    if (entry.isDirectory()) collect(full, out);
    else if (entry.isFile() && (isEntitlementsFile(entry.name) || isInfoPlist(entry.name))) out.push(full);
  }
}

/**
 * Files named on the command line are linted whatever their name (as entitlements, unless named Info.plist);
 * directories are searched for *.entitlements and Info.plist files.
 */
export function lintPaths(targets: string[], overrides: SeverityOverrides = {}): FileDiagnostic[] {
  const files: string[] = [];
  for (const target of targets) collect(target, files);
  return files.flatMap((file) => {
    const size = fs.statSync(file).size;
    if (size > MAX_BYTES) throw new InputError(`${file}: ${size} bytes is too large for an entitlements file`);
    const bytes = fs.readFileSync(file);
    const binary = bytes.subarray(0, 8).toString('latin1') === 'bplist00';
    if (binary && !isInfoPlist(file)) return located(file, '', lintBinaryEntitlements(bytes), overrides);
    return lintDocument(file, bytes.toString('utf8'), overrides);
  });
}
