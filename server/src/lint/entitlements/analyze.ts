/**
 * Lints an entitlements property list: pure function from text to diagnostics with exact ranges.
 *
 * The rules, their default severities and sources are in the rule catalog (rules/); what is known about each
 * key is in the entitlement catalog (./catalog.ts). This file decides where each rule fires and which quick fixes it
 * offers; it never reads the file system.
 */
import { diagnostic, Fix, LintDiagnostic, TextEdit } from '../diagnostic';
import { InputError } from '../../errors';
import { BINARY_MAGIC, parseBinaryPlist } from '../../plist/binary';
import type { PlistValue } from '../../plist/value';
import { DictEntry, parsePlistText, PlistNode, Range } from '../../plist/xml';
import {
  entitlement,
  EntitlementInfo,
  EntitlementType,
  INFO_PLIST_KEY,
  isSandboxOnly,
  JIT_CASCADE,
  suggestKey,
} from './catalog';
import { GET_TASK_ALLOW, meansTrue, RESTRICTED_PREFIX } from '../../rules/entitlementFacts';

/** Widens a range to whole lines when only whitespace surrounds it, so a removal leaves no blank line behind. */
function wholeLines(text: string, range: Range): Range {
  let start = range.start;
  while (start > 0 && (text[start - 1] === ' ' || text[start - 1] === '\t')) start--;
  let end = range.end;
  while (end < text.length && (text[end] === ' ' || text[end] === '\t')) end++;
  const lineStart = start === 0 || text[start - 1] === '\n';
  if (lineStart && text[end] === '\r' && text[end + 1] === '\n') return { start, end: end + 2 };
  if (lineStart && text[end] === '\n') return { start, end: end + 1 };
  return range;
}

function removeEntry(text: string, entry: DictEntry, title = `Remove ${entry.key}`): Fix {
  const end = entry.value ? entry.value.range.end : entry.keyElement.end;
  return { title, edits: [{ range: wholeLines(text, { start: entry.keyElement.start, end }), newText: '' }] };
}

/** Notarization rejects get-task-allow "set to any variation of true". */
function isTrue(node: PlistNode | null): boolean {
  if (!node) return false;
  if (node.kind === 'boolean') return node.value;
  if (node.kind === 'string' || node.kind === 'integer') return meansTrue(node.text);
  return false;
}

function formatProblems(text: string): LintDiagnostic[] {
  const out: LintDiagnostic[] = [];
  if (text.charCodeAt(0) === 0xfeff) {
    out.push(
      diagnostic(
        'entitlements/format',
        'the file starts with a byte-order mark; Apple requires none',
        { start: 0, end: 1 },
        [{ title: 'Remove the byte-order mark', edits: [{ range: { start: 0, end: 1 }, newText: '' }] }],
      ),
    );
  }
  const crlf = text.indexOf('\r\n');
  if (crlf >= 0) {
    const edits: TextEdit[] = [];
    for (let at = crlf; at >= 0; at = text.indexOf('\r\n', at + 2))
      edits.push({ range: { start: at, end: at + 1 }, newText: '' });
    const fix = { title: 'Convert line endings to LF', edits };
    out.push(
      diagnostic(
        'entitlements/format',
        `CRLF line endings (${edits.length} line${edits.length === 1 ? '' : 's'}); Apple requires LF`,
        { start: crlf, end: crlf + 1 },
        [fix],
      ),
    );
  }
  const nonAscii = /[^\x00-\x7f]/.exec(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  if (nonAscii) {
    const at = nonAscii.index + (text.charCodeAt(0) === 0xfeff ? 1 : 0);
    out.push(
      diagnostic(
        'entitlements/format',
        `non-ASCII character ${JSON.stringify(nonAscii[0])}; Apple requires ASCII-encoded entitlements`,
        { start: at, end: at + nonAscii[0].length },
      ),
    );
  }
  return out;
}

const NODE_TYPE: Record<PlistNode['kind'], EntitlementType | 'other'> = {
  boolean: 'boolean',
  string: 'string',
  array: 'array',
  dict: 'dictionary',
  integer: 'other',
  real: 'other',
  date: 'other',
  data: 'other',
};
const TYPE_NAMES: Record<EntitlementType, string> = {
  boolean: 'a Boolean (<true/>)',
  string: 'a <string>',
  array: 'an <array>',
  dictionary: 'a <dict>',
};

/** Diagnostics that need to know the key: its type, its family, its advice for Go. */
function keyDiagnostics(
  text: string,
  entry: DictEntry,
  info: EntitlementInfo | undefined,
  sandboxed: boolean,
  out: LintDiagnostic[],
): void {
  const value = entry.value;
  if (!info) {
    if (INFO_PLIST_KEY.test(entry.key)) {
      out.push(
        diagnostic(
          'entitlements/wrong-file',
          `${entry.key} is an Info.plist key; in an entitlements file it is ignored`,
          entry.keyRange,
          [removeEntry(text, entry)],
        ),
      );
      return;
    }
    const suggestion = suggestKey(entry.key);
    if (suggestion) {
      out.push(
        diagnostic(
          'entitlements/unknown-key',
          `${entry.key} is not an entitlement; did you mean ${suggestion}?`,
          entry.keyRange,
          [{ title: `Change to ${suggestion}`, edits: [{ range: entry.keyRange, newText: suggestion }] }],
        ),
      );
    } else if (
      entry.key.startsWith('com.apple.security.') &&
      !entry.key.startsWith('com.apple.security.temporary-exception.')
    ) {
      out.push(diagnostic('entitlements/unknown-key', `${entry.key} is not a documented entitlement`, entry.keyRange));
    }
    return;
  }
  if (value && NODE_TYPE[value.kind] !== info.type) {
    const fixes: Fix[] = [];
    if (info.type === 'boolean' && (value.kind === 'string' || value.kind === 'integer')) {
      const truthy = meansTrue(value.text);
      fixes.push({ title: `Change to <${truthy}/>`, edits: [{ range: value.range, newText: `<${truthy}/>` }] });
    }
    out.push(
      diagnostic(
        'entitlements/wrong-type',
        `${entry.key} takes ${TYPE_NAMES[info.type]}`,
        value.range,
        fixes.length > 0 ? fixes : undefined,
      ),
    );
  }
  if (!isTrue(value) && info.type === 'boolean') return;
  if (info.category === 'runtime-exception' && JIT_CASCADE.includes(info.key)) {
    out.push(diagnostic('entitlements/unneeded-for-go', `${info.title}: ${info.go ?? ''}`.trim(), entry.keyRange));
  }
  if (info.key === 'com.apple.security.cs.disable-library-validation') {
    out.push(diagnostic('entitlements/library-validation', info.go ?? info.description, entry.keyRange));
  }
  if (info.key === 'com.apple.security.app-sandbox') {
    out.push(
      diagnostic(
        'entitlements/app-sandbox-cli',
        'App Sandbox is required only for the Mac App Store; a Developer ID command-line tool does not need it',
        entry.keyRange,
      ),
    );
  }
  if (isSandboxOnly(info) && !sandboxed) {
    out.push(
      diagnostic(
        'entitlements/sandbox-key-without-sandbox',
        `${entry.key} only has an effect inside the App Sandbox, which this file does not enable`,
        entry.keyRange,
      ),
    );
  }
}

function entries(root: PlistNode | null): DictEntry[] {
  return root?.kind === 'dict' ? root.entries : [];
}

/** The rules about keys and values, over a dictionary's entries (from XML with ranges, or from a binary plist). */
function checkEntries(text: string, list: DictEntry[]): LintDiagnostic[] {
  const out: LintDiagnostic[] = [];
  const seen = new Map<string, DictEntry>();
  const cascade: DictEntry[] = [];
  const sandboxed = list.some((e) => e.key === 'com.apple.security.app-sandbox' && isTrue(e.value));
  for (const entry of list) {
    const first = seen.get(entry.key);
    if (first)
      out.push(
        diagnostic('entitlements/duplicate-key', `${entry.key} appears more than once`, entry.keyRange, [
          removeEntry(text, entry, `Remove this duplicate of ${entry.key}`),
        ]),
      );
    else seen.set(entry.key, entry);
    const value = entry.value;
    if (value?.kind === 'boolean' && !value.value) {
      out.push(
        diagnostic(
          'entitlements/false-value',
          `${entry.key} is false, which is the default: leave it out`,
          { start: entry.keyElement.start, end: value.range.end },
          [removeEntry(text, entry)],
        ),
      );
    }
    if (entry.key === GET_TASK_ALLOW && isTrue(value)) {
      out.push(
        diagnostic(
          'entitlements/get-task-allow',
          'get-task-allow lets any debugger attach; notarization rejects it. Keep it in a debug-only entitlements file',
          entry.keyRange,
          [removeEntry(text, entry)],
        ),
      );
    }
    if (!first && JIT_CASCADE.includes(entry.key) && isTrue(value)) cascade.push(entry);
    if (!first) keyDiagnostics(text, entry, entitlement(entry.key), sandboxed, out);
    if (entry.key.startsWith(RESTRICTED_PREFIX)) {
      out.push(
        diagnostic(
          'entitlements/restricted-needs-profile',
          `${entry.key} is restricted: it needs a provisioning profile, which a bare executable cannot embed`,
          entry.keyRange,
        ),
      );
    }
  }
  if (cascade.length > 1) {
    const names = cascade.map((e) => e.key.replace('com.apple.security.cs.', '')).join(', ');
    for (const entry of cascade.slice(1)) {
      out.push(
        diagnostic(
          'entitlements/jit-cascade',
          `${names}: each is a superset of the one before; set only one`,
          entry.keyRange,
          [removeEntry(text, entry)],
        ),
      );
    }
  }
  return out;
}

export function lintEntitlements(text: string): LintDiagnostic[] {
  if (text.startsWith(BINARY_MAGIC)) {
    return [
      diagnostic('plist/binary', 'this is a binary property list; entitlements must be XML (plutil -convert xml1)', {
        start: 0,
        end: 8,
      }),
    ];
  }
  const parsed = parsePlistText(text);
  const out = formatProblems(text);
  if (parsed.entityDeclaration) {
    out.push(
      diagnostic(
        'entitlements/format',
        'the file declares XML entities; they are never expanded, and entitlements must not use them',
        parsed.entityDeclaration,
      ),
    );
    return out;
  }
  for (const p of parsed.problems) out.push(diagnostic('plist/syntax', p.message, p.range));
  const removeAll: Fix = {
    title: 'Remove all comments',
    edits: parsed.comments.map((c) => ({ range: wholeLines(text, c), newText: '' })),
  };
  for (const c of parsed.comments) {
    const fixes = [{ title: 'Remove this comment', edits: [{ range: wholeLines(text, c), newText: '' }] }];
    out.push(
      diagnostic(
        'entitlements/format',
        'XML comment; Apple requires entitlements without comments',
        c,
        parsed.comments.length > 1 ? [...fixes, removeAll] : fixes,
      ),
    );
  }
  if (parsed.root && parsed.root.kind !== 'dict') {
    out.push(
      diagnostic(
        'entitlements/format',
        `the root is ${parsed.root.kind === 'array' ? 'an array' : `a ${parsed.root.kind}`}; entitlements are a dictionary`,
        parsed.root.range,
      ),
    );
  }

  out.push(...checkEntries(text, entries(parsed.root)));
  return out.sort((a, b) => a.range.start - b.range.start);
}

/** A plist value decoded from a binary plist, as a node without a position. */
function toNode(value: PlistValue, range: Range): PlistNode {
  if (typeof value === 'boolean') return { kind: 'boolean', range, value };
  if (typeof value === 'string') return { kind: 'string', range, text: value };
  if (typeof value === 'number' || typeof value === 'bigint')
    return { kind: Number.isInteger(Number(value)) ? 'integer' : 'real', range, text: String(value) };
  if (Array.isArray(value)) return { kind: 'array', range, items: value.map((v) => toNode(v, range)) };
  if (value instanceof Date) return { kind: 'date', range, text: value.toISOString() };
  if (value instanceof Uint8Array) return { kind: 'data', range, text: '' };
  return {
    kind: 'dict',
    range,
    entries: Object.entries(value).map(([key, v]) => ({
      key,
      keyRange: range,
      keyElement: range,
      value: toNode(v, range),
    })),
  };
}

/**
 * A binary entitlements plist: reported as such, and its decoded keys still checked. Positions inside a binary file
 * mean nothing to a reader, so every finding points at the file's magic, and no quick fix is offered.
 */
export function lintBinaryEntitlements(bytes: Uint8Array): LintDiagnostic[] {
  const magic = { start: 0, end: 8 };
  const out = [
    diagnostic(
      'plist/binary',
      'this is a binary property list; entitlements must be XML (plutil -convert xml1)',
      magic,
    ),
  ];
  let value: PlistValue;
  try {
    value = parseBinaryPlist(bytes);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    return [...out, diagnostic('plist/syntax', error.message, magic)];
  }
  const root = toNode(value, magic);
  if (root.kind !== 'dict') return [...out, diagnostic('entitlements/format', 'the root is not a dictionary', magic)];
  for (const d of checkEntries('', root.entries)) {
    delete d.fixes;
    out.push({ ...d, message: `${d.message} (in the binary plist)` });
  }
  return out;
}
