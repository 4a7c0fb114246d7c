/**
 * The DER entitlements blob (code-signature slot 7, magic 0xfade7172), which macOS enforces since macOS 12.
 *
 * Format (Apple CoreEntitlements `CCDER_ENTITLEMENTS`; rcodesign `plist_der.rs`):
 *   [APPLICATION 16] { version INTEGER (1), value Value }      -- outer tag byte 0x70
 *   Value ::= BOOLEAN | INTEGER | UTF8String | SEQUENCE OF Value | [CONTEXT 16] { SEQUENCE { key UTF8String, value } }
 * rcodesign also accepts a bare universal SET (0x31) of entries as the whole blob; so do we.
 * Hand-written because it is tiny and no maintained library knows this dialect; definite lengths only.
 */
import { InputError } from '../errors';
import { PlistDict, PlistValue } from '../plist';

const MAX_DEPTH = 256;

const TAG = {
  boolean: 0x01,
  integer: 0x02,
  utf8: 0x0c,
  sequence: 0x30,
  set: 0x31,
  entitlements: 0x70,
  dict: 0xb0,
} as const;

interface Tlv {
  tag: number;
  start: number;
  end: number;
}

function readTlv(der: Uint8Array, at: number, limit: number): Tlv {
  if (at + 2 > limit) throw new InputError('DER entitlements are truncated');
  const tag = der[at];
  const first = der[at + 1];
  let start = at + 2;
  let length = first;
  if (first & 0x80) {
    const bytes = first & 0x7f;
    if (bytes === 0) throw new InputError('DER entitlements use an indefinite length');
    if (bytes > 4 || start + bytes > limit) throw new InputError('DER entitlements have an invalid length');
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + der[start + i];
    start += bytes;
  }
  if (start + length > limit) throw new InputError('DER entitlements are truncated');
  return { tag, start, end: start + length };
}

function readInteger(der: Uint8Array, t: Tlv): number | bigint {
  if (t.end === t.start) throw new InputError('DER entitlements hold an empty INTEGER');
  let value = 0n;
  for (let i = t.start; i < t.end; i++) value = (value << 8n) | BigInt(der[i]);
  if (der[t.start] & 0x80) value -= 1n << BigInt(8 * (t.end - t.start)); // two's complement
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

function readEntries(der: Uint8Array, t: Tlv, depth: number): PlistDict {
  const dict = Object.create(null) as PlistDict;
  for (let at = t.start; at < t.end;) {
    const entry = readTlv(der, at, t.end);
    if (entry.tag !== TAG.sequence) throw new InputError('a DER entitlements dictionary entry is not a SEQUENCE');
    const key = readTlv(der, entry.start, entry.end);
    if (key.tag !== TAG.utf8) throw new InputError('a DER entitlements key is not a UTF8String');
    const [value, next] = readValue(der, key.end, entry.end, depth + 1);
    if (next !== entry.end) throw new InputError('a DER entitlements entry has trailing bytes');
    Object.defineProperty(dict, Buffer.from(der.subarray(key.start, key.end)).toString('utf8'), {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
    at = entry.end;
  }
  return dict;
}

function readValue(der: Uint8Array, at: number, limit: number, depth: number): [PlistValue, number] {
  if (depth > MAX_DEPTH) throw new InputError('DER entitlements are nested too deeply');
  const t = readTlv(der, at, limit);
  switch (t.tag) {
    case TAG.boolean:
      if (t.end - t.start !== 1) throw new InputError('a DER entitlements BOOLEAN is not one byte');
      return [der[t.start] !== 0, t.end];
    case TAG.integer:
      return [readInteger(der, t), t.end];
    case TAG.utf8:
      return [Buffer.from(der.subarray(t.start, t.end)).toString('utf8'), t.end];
    case TAG.sequence: {
      const items: PlistValue[] = [];
      for (let p = t.start; p < t.end;) {
        const [item, next] = readValue(der, p, t.end, depth + 1);
        items.push(item);
        p = next;
      }
      return [items, t.end];
    }
    case TAG.dict:
      return [readEntries(der, t, depth), t.end];
    default:
      throw new InputError(`DER entitlements hold an unsupported tag 0x${t.tag.toString(16)}`);
  }
}

export function decodeDerEntitlements(der: Uint8Array): PlistDict {
  const outer = readTlv(der, 0, der.length);
  if (outer.end !== der.length) throw new InputError('DER entitlements have trailing bytes');
  if (outer.tag === TAG.set) return readEntries(der, outer, 0);
  if (outer.tag !== TAG.entitlements)
    throw new InputError(`DER entitlements start with tag 0x${outer.tag.toString(16)}, not 0x70`);
  const version = readTlv(der, outer.start, outer.end);
  if (version.tag !== TAG.integer || readInteger(der, version) !== 1)
    throw new InputError('DER entitlements are not version 1');
  const [value, end] = readValue(der, version.end, outer.end, 1);
  if (end !== outer.end) throw new InputError('DER entitlements have trailing bytes');
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    value instanceof Date ||
    value instanceof Uint8Array
  ) {
    throw new InputError('DER entitlements do not hold a dictionary');
  }
  return value;
}
