/**
 * Hover and completion for entitlements files: pure functions of the text and an offset, served by the language
 * server. Everything said about a key comes from the entitlement catalog.
 */
import { parsePlistText, Range } from '../plist/parse';
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
  /** Text to insert (a snippet with $1 placeholders when `snippet`), replacing `range`. */
  insert: string;
  snippet: boolean;
  range: Range;
}

const VALUE_SNIPPET: Record<EntitlementInfo['type'], string> = {
  boolean: '<true/>',
  string: '<string>$1</string>',
  array: '<array>\n\t<string>$1</string>\n</array>',
  dictionary: '<dict>\n\t$1\n</dict>',
};

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
      snippet: false,
      range: { start, end },
    }));
  }
  // Right after a key whose type we know: offer its value.
  const lastKey = /<key>([^<]*)<\/key>\s*$/.exec(before);
  if (lastKey) {
    const info = entitlement(lastKey[1].trim());
    if (!info) return [];
    return [{ label: VALUE_SNIPPET[info.type].replace(/\$1|\n|\t/g, ''), detail: `${info.type} value`, documentation: describeEntitlement(info), insert: VALUE_SNIPPET[info.type], snippet: true, range: { start: offset, end: offset } }];
  }
  // Between entries of the top-level dict: whole entries.
  const lt = before.lastIndexOf('<');
  const start = lt >= 0 && !before.slice(lt).includes('>') ? lt : offset;
  return ENTITLEMENTS.filter((e) => !present.has(e.key)).map((e) => ({
    label: e.key,
    detail: e.title,
    documentation: describeEntitlement(e),
    insert: `<key>${e.key}</key>\n${VALUE_SNIPPET[e.type]}`,
    snippet: true,
    range: { start, end: offset },
  }));
}
