/**
 * The entitlements blobs of a signature: XML (slot 5, magic 0xfade7171) and DER (slot 7, magic 0xfade7172).
 *
 * Contract: `entitlementsBlobs(xml)` wraps the user's bytes unchanged in the XML blob (codesign embeds the file as
 * given) and encodes the same dictionary as Apple's CoreEntitlements does (`CESerializeCFDictionary`, called by
 * Security's `cookEntitlements`):
 *   [APPLICATION 16] { INTEGER 1, value }   value ::= BOOLEAN | INTEGER | UTF8String | SEQUENCE OF value
 *                                                   | [CONTEXT 16] { SEQUENCE { UTF8String key, value } ... }
 * with dictionary keys sorted by their UTF-8 bytes (CoreEntitlements looks keys up by binary search; rcodesign sorts
 * the same way), minimal two's-complement INTEGERs and definite DER lengths. Reals, dates and data have no DER form:
 * codesign refuses such entitlements, and so do we, naming the key.
 * `execSegmentFlags` gives the CodeDirectory executable-segment flags codesign derives from boolean entitlements.
 */
import { InputError } from '../errors';
import { CSMAGIC_EMBEDDED_DER_ENTITLEMENTS, CSMAGIC_EMBEDDED_ENTITLEMENTS } from '../macho/format';
import { isPlistDict, parsePlist, PlistDict, PlistValue } from '../plist';

export function blob(magic: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(magic, 0);
  header.writeUInt32BE(8 + payload.length, 4);
  return Buffer.concat([header, payload]);
}

function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), derLength(content.length), content]);
}

/** Minimal two's-complement big-endian bytes of an integer. */
function integerBytes(value: bigint): Buffer {
  const bytes: number[] = [];
  let v = value;
  for (;;) {
    const byte = Number(v & 0xffn);
    bytes.unshift(byte);
    v >>= 8n;
    if ((v === 0n && (byte & 0x80) === 0) || (v === -1n && (byte & 0x80) !== 0)) break;
  }
  return Buffer.from(bytes);
}

const compareUtf8 = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

function encodeValue(value: PlistValue, path: string): Buffer {
  if (typeof value === 'boolean') return tlv(0x01, Buffer.from([value ? 0xff : 0x00]));
  if (typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value) && !Object.is(value, -0)))
    return tlv(0x02, integerBytes(BigInt(value)));
  if (typeof value === 'string') return tlv(0x0c, Buffer.from(value, 'utf8'));
  if (Array.isArray(value)) return tlv(0x30, Buffer.concat(value.map((v, i) => encodeValue(v, `${path}[${i}]`))));
  if (isPlistDict(value)) return encodeDict(value, path);
  const kind = typeof value === 'number' ? 'a real number' : value instanceof Date ? 'a date' : 'data';
  throw new InputError(`entitlement ${path} is ${kind}, which has no DER form (codesign refuses it too)`);
}

function encodeDict(dict: PlistDict, path: string): Buffer {
  const entries = Object.keys(dict)
    .sort(compareUtf8)
    .map((key) => {
      const where = path ? `${path}.${key}` : key;
      return tlv(0x30, Buffer.concat([tlv(0x0c, Buffer.from(key, 'utf8')), encodeValue(dict[key], where)]));
    });
  return tlv(0xb0, Buffer.concat(entries));
}

/** The DER entitlements payload (without the blob header) of a dictionary. */
export function encodeDerEntitlements(dict: PlistDict): Buffer {
  return tlv(0x70, Buffer.concat([tlv(0x02, Buffer.from([1])), encodeDict(dict, '')]));
}

/** Reads the user's entitlements file: an XML property list holding a dictionary. */
export function parseEntitlements(xml: Buffer): PlistDict {
  const parsed = parsePlist(xml);
  if (parsed.format !== 'xml') throw new InputError('the entitlements must be an XML property list, not binary');
  if (!isPlistDict(parsed.value)) throw new InputError('the entitlements property list is not a dictionary');
  // The reader gives a <real> holding a whole number as a number, like an <integer>; DER cannot encode reals.
  if (/<real[\s/>]/.test(xml.toString('utf8')))
    throw new InputError('the entitlements hold a <real> value, which has no DER form (codesign refuses it too)');
  return parsed.value;
}

export interface EntitlementsBlobs {
  dict: PlistDict;
  xml: Buffer;
  der: Buffer;
}

export function entitlementsBlobs(xml: Buffer): EntitlementsBlobs {
  const dict = parseEntitlements(xml);
  return {
    dict,
    xml: blob(CSMAGIC_EMBEDDED_ENTITLEMENTS, xml),
    der: blob(CSMAGIC_EMBEDDED_DER_ENTITLEMENTS, encodeDerEntitlements(dict)),
  };
}

/** Executable-segment flags codesign sets from boolean entitlements (Security `cookEntitlements`). */
export function execSegmentFlags(dict: PlistDict): number {
  const on = (key: string) => dict[key] === true;
  let flags = 0;
  if (on('get-task-allow') || on('run-unsigned-code')) flags |= 0x10; // ALLOW_UNSIGNED
  if (on('com.apple.private.cs.debugger')) flags |= 0x20; // DEBUGGER
  if (on('dynamic-codesigning')) flags |= 0x40; // JIT
  if (on('com.apple.private.skip-library-validation')) flags |= 0x80; // SKIP_LV
  if (on('com.apple.private.amfi.can-load-cdhash')) flags |= 0x100; // CAN_LOAD_CDHASH
  if (on('com.apple.private.amfi.can-execute-cdhash')) flags |= 0x200; // CAN_EXEC_CDHASH
  return flags;
}
