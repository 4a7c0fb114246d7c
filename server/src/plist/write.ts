/**
 * The one way the product writes an XML property list: the `plist` package (the product's design names it), so that
 * keys and strings are escaped by a library and never by string concatenation. Loaded on first use: commands that
 * only read plists do not pay for it.
 */
import type * as Plist from 'plist';

export type WritableValue = Plist.PlistValue;

/** XML property list text, tab-indented as Apple's tools write it. */
export function writePlist(value: WritableValue): string {
  const { build } = require('plist') as typeof Plist;
  return `${build(value, { indent: '\t', pretty: true })}\n`;
}

/** An entitlements file: a dictionary of entitlement keys. An empty one is right for a pure-Go program. */
export function entitlementsFile(entitlements: Record<string, boolean | string | string[]> = {}): string {
  return writePlist(entitlements);
}
