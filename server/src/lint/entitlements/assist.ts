/**
 * Hover and completion for entitlements files: pure functions of the text and an offset, served by the language
 * server. Everything said about a key comes from the entitlement catalog.
 *
 * Each completion comes as plain text on one line, which any editor inserts as written (Vim's completion turns a
 * newline into a NUL), and, where tab stops help, as a snippet for editors that support snippets. A completion
 * never replaces markup it does not own: inside a closing tag, a comment or a tag already written there is none.
 */
import { parsePlistText, Range } from '../../plist/xml';
import { ENTITLEMENTS, entitlement, EntitlementInfo } from './catalog';

const CATEGORY: Record<EntitlementInfo['category'], string> = {
  'runtime-exception': 'Hardened-runtime exception: relaxes a protection',
  'resource-access': 'Hardened-runtime resource access',
  sandbox: 'App Sandbox',
  restricted: 'Restricted: needs a provisioning profile',
  development: 'Development only: never in a release signature',
  capability: 'Capability',
};
const DISTRIBUTION = { 'developer-id': 'Developer ID', 'mac-app-store': 'Mac App Store' } as const;

export function describeEntitlement(info: EntitlementInfo): string {
  const lines = [
    `**${info.title}** \`${info.key}\``,
    '',
    info.description,
    '',
    `*${CATEGORY[info.category]}* · value: ${info.type} · fits: ${info.distribution.map((d) => DISTRIBUTION[d]).join(', ')}`,
  ];
  if (info.go) lines.push('', `**Go:** ${info.go}`);
  lines.push('', `[Apple documentation](${info.url})`);
  return lines.join('\n');
}

export function hoverAt(text: string, offset: number): { markdown: string; range: Range } | null {
  const parsed = parsePlistText(text);
  if (parsed.root?.kind !== 'dict') return null;
  for (const entry of parsed.root.entries) {
    if (offset < entry.keyElement.start || offset > entry.keyElement.end) continue;
    const info = entitlement(entry.key);
    return info ? { markdown: describeEntitlement(info), range: entry.keyRange } : null;
  }
  return null;
}

export interface Completion {
  label: string;
  detail: string;
  documentation: string;
  /** Plain text to insert in place of `range`, on one line. */
  insert: string;
  /** The same as an LSP snippet ($1 tab stops, one element per line), for editors that support snippets. */
  snippet?: string;
  range: Range;
}

const VALUE_SNIPPET: Record<EntitlementInfo['type'], string> = {
  boolean: '<true/>',
  string: '<string>$1</string>',
  array: '<array>\n\t<string>$1</string>\n</array>',
  dictionary: '<dict>\n\t$1\n</dict>',
};

/** A snippet as plain text: tab stops and layout removed (none of ours has a literal `$`, tab or newline). */
const plain = (snippet: string) => snippet.replace(/\$\d|\n|\t/g, '');

/** Characters of an element name being typed. */
const NAME_CHAR = /[A-Za-z0-9_.:-]/;

/** Keys already in the document, read leniently so that a half-typed file still counts. */
function presentKeys(text: string): Set<string> {
  return new Set([...text.matchAll(/<key>([^<]*)<\/key>/g)].map((m) => m[1].trim()));
}

export function completionsAt(text: string, offset: number): Completion[] {
  const before = text.slice(0, offset);
  const present = presentKeys(text);
  const openKey = before.lastIndexOf('<key>');
  const insideKey = openKey >= 0 && !before.slice(openKey + 5).includes('<');
  if (insideKey) {
    // Replace the whole key text, up to </key> if it is there.
    const start = openKey + 5;
    const close = text.indexOf('<', offset);
    const end = close >= 0 && text.startsWith('</key>', close) ? close : offset;
    const typed = text.slice(start, end).trim();
    return ENTITLEMENTS.filter((e) => !present.has(e.key) || e.key === typed).map((e) => ({
      label: e.key,
      detail: e.title,
      documentation: describeEntitlement(e),
      insert: e.key,
      range: { start, end },
    }));
  }
  // Right after a key whose type we know: offer its value.
  const lastKey = /<key>([^<]*)<\/key>\s*$/.exec(before);
  if (lastKey) {
    const info = entitlement(lastKey[1].trim());
    if (!info) return [];
    const snippet = VALUE_SNIPPET[info.type];
    return [
      {
        label: plain(snippet),
        detail: `${info.type} value`,
        documentation: describeEntitlement(info),
        insert: plain(snippet),
        snippet,
        range: { start: offset, end: offset },
      },
    ];
  }
  // Between entries of the top-level dict: whole entries, replacing a start tag being typed (`<`, `<ke`) with its
  // rest. Anything else around the cursor (`</`, `<!--`, a tag already complete) is markup to keep: no entries.
  const range = entryRange(text, offset);
  if (!range) return [];
  return ENTITLEMENTS.filter((e) => !present.has(e.key)).map((e) => {
    const snippet = `<key>${e.key}</key>\n${VALUE_SNIPPET[e.type]}`;
    return {
      label: e.key,
      detail: e.title,
      documentation: describeEntitlement(e),
      insert: plain(snippet),
      snippet,
      range,
    };
  });
}

/** What a whole entry replaces at `offset`: nothing, or a start tag being typed there; null inside other markup. */
function entryRange(text: string, offset: number): Range | null {
  let start = offset;
  while (start > 0 && NAME_CHAR.test(text[start - 1])) start--;
  const typingTag = start > 0 && text[start - 1] === '<';
  if (!typingTag && start !== offset) return null; // in the middle of text, not of a tag
  if (typingTag) start--;
  if (!typingTag) {
    const lt = text.lastIndexOf('<', offset - 1);
    const gt = lt < 0 ? -1 : text.indexOf('>', lt);
    if (lt >= 0 && (gt < 0 || gt >= offset)) return null; // inside `</…`, `<!--` or a tag's attributes
  }
  let end = offset;
  while (end < text.length && NAME_CHAR.test(text[end])) end++;
  // After the name: the end of the text or of the line, or the next tag; `>` or `/` would mean a tag already written.
  const next = text[end];
  if (next !== undefined && !/[\s<]/.test(next)) return null;
  if (!typingTag && end !== offset) return null;
  return { start, end };
}
