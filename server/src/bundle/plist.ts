/**
 * Property lists, XML and binary ("bplist00"), read strictly and with bounds.
 *
 * XML is read with saxes, a positional, non-validating parser that never fetches or expands external entities; a
 * document that declares its own entities is refused outright, so "billion laughs" cannot start. Binary plists are
 * read by hand (no maintained small library exists) with every offset, count and reference checked, and reference
 * cycles refused. Errors are InputErrors with a one-line message.
 */
import { SaxesParser } from 'saxes';
import { InputError } from '../errors';
import { LIMITS } from '../fileAccess';

export type PlistValue = string | number | bigint | boolean | Date | Uint8Array | PlistValue[] | PlistDict;
export interface PlistDict {
  [key: string]: PlistValue;
}

/** The same cap as any text file we read whole. */
const MAX_BYTES = LIMITS.text;
const MAX_DEPTH = 512;
/** CFAbsoluteTime: seconds since 2001-01-01T00:00:00Z. */
const APPLE_EPOCH_MS = Date.UTC(2001, 0, 1);

function newDict(): PlistDict {
  return Object.create(null) as PlistDict;
}

export interface ParsedPlist {
  value: PlistValue;
  format: 'xml' | 'binary';
  /** Characters (a byte-order mark, whitespace) before the XML declaration: XML forbids them, CFPropertyList skips them. */
  leading: number;
}

export function parsePlist(bytes: Uint8Array): ParsedPlist {
  if (bytes.length > MAX_BYTES) throw new InputError(`property list is ${bytes.length} bytes, more than ${MAX_BYTES}`);
  const head = Buffer.from(bytes.subarray(0, 8)).toString('latin1');
  if (head === 'bplist00') return { value: parseBinaryPlist(bytes), format: 'binary', leading: 0 };
  const text = Buffer.from(bytes).toString('utf8');
  // Apple's parser reads what macOS enforces, so do as it does: skip them (signed, notarized binaries carry such blobs).
  const leading = /^\uFEFF?[ \t\r\n]*(?=<\?xml[ \t\r\n])/.exec(text)?.[0].length ?? 0;
  return { value: parseXmlPlist(text.slice(leading)), format: 'xml', leading };
}

// ---------------------------------------------------------------- XML

interface Frame {
  kind: 'plist' | 'dict' | 'array';
  value?: PlistValue;
  dict?: PlistDict;
  array?: PlistValue[];
  key?: string | null;
}

const SCALARS = new Set(['key', 'string', 'integer', 'real', 'true', 'false', 'date', 'data']);

export function parseXmlPlist(text: string): PlistValue {
  if (text.length > MAX_BYTES) throw new InputError('property list is too large');
  if (/<!ENTITY/i.test(text)) throw new InputError('property list declares XML entities, which are not allowed');
  const parser = new SaxesParser({ xmlns: false, position: true });
  const stack: Frame[] = [];
  let root: PlistValue | undefined;
  let rootSeen = false;
  let scalar: { name: string; text: string } | null = null;
  let error: string | null = null;

  const where = () => `${parser.line}:${parser.column}`;
  const fail = (message: string) => {
    if (!error) error = `${message} at ${where()}`;
  };

  const place = (value: PlistValue) => {
    const top = stack[stack.length - 1];
    if (!top) {
      if (rootSeen) return fail('more than one top-level value');
      rootSeen = true;
      root = value;
      return;
    }
    if (top.kind === 'plist') {
      if (top.value !== undefined) return fail('more than one value in <plist>');
      top.value = value;
    } else if (top.kind === 'array') {
      top.array!.push(value);
    } else {
      if (top.key === null || top.key === undefined) return fail('a value in <dict> without a <key>');
      Object.defineProperty(top.dict!, top.key, { value, enumerable: true, writable: true, configurable: true });
      top.key = null;
    }
  };

  parser.on('doctype', (doctype) => {
    if (/\[/.test(doctype)) fail('an internal DTD subset is not allowed');
  });
  parser.on('opentag', (tag) => {
    if (error) return;
    if (stack.length >= MAX_DEPTH) return fail('nesting too deep');
    if (scalar) return fail(`unexpected element <${tag.name}> inside <${scalar.name}>`);
    const name = tag.name;
    if (name === 'plist') {
      if (stack.length > 0 || rootSeen) return fail('unexpected element <plist>');
      stack.push({ kind: 'plist' });
    } else if (name === 'dict') {
      stack.push({ kind: 'dict', dict: newDict(), key: null });
    } else if (name === 'array') {
      stack.push({ kind: 'array', array: [] });
    } else if (SCALARS.has(name)) {
      const top = stack[stack.length - 1];
      if (name === 'key' ? top?.kind !== 'dict' || (top.key !== null && top.key !== undefined) : top?.kind === 'dict' && (top.key === null || top.key === undefined)) {
        return fail(name === 'key' ? 'unexpected <key>' : `a <${name}> in <dict> without a <key>`);
      }
      scalar = { name, text: '' };
    } else {
      fail(`unexpected element <${name}>`);
    }
  });
  parser.on('text', (t) => {
    if (scalar) scalar.text += t;
    else if (t.trim() !== '' && !error) fail('unexpected text');
  });
  parser.on('closetag', (tag) => {
    if (error) return;
    if (scalar) {
      const { name, text: content } = scalar;
      scalar = null;
      if (name === 'key') {
        stack[stack.length - 1].key = content;
        return;
      }
      const value = scalarValue(name, content);
      if (typeof value === 'string' && value.startsWith('\u0000error:')) return fail(value.slice(7));
      return place(value);
    }
    const frame = stack.pop();
    if (!frame) return fail(`unexpected </${tag.name}>`);
    if (frame.kind === 'dict') {
      if (frame.key !== null && frame.key !== undefined) return fail(`<key>${frame.key}</key> has no value`);
      place(frame.dict!);
    } else if (frame.kind === 'array') place(frame.array!);
    else {
      if (frame.value === undefined) return fail('empty <plist>');
      rootSeen = true;
      root = frame.value;
    }
  });
  parser.on('error', (e) => {
    if (!error) error = e.message.replace(/\s+/g, ' ').trim();
  });
  try {
    parser.write(text).close();
  } catch (e) {
    if (!error) error = e instanceof Error ? e.message.replace(/\s+/g, ' ').trim() : String(e);
  }
  if (error) throw new InputError(`not a valid XML property list: ${error}`);
  if (root === undefined) throw new InputError('not a valid XML property list: no value');
  return root;
}

function scalarValue(name: string, text: string): PlistValue {
  const bad = (what: string) => `\u0000error:${what} ${JSON.stringify(text.slice(0, 40))}`;
  switch (name) {
    case 'string':
      return text;
    case 'true':
      return true;
    case 'false':
      return false;
    case 'integer': {
      const t = text.trim();
      if (!/^[+-]?(0x[0-9a-fA-F]+|\d+)$/.test(t)) return bad('invalid <integer>');
      const negative = t.startsWith('-');
      const digits = t.replace(/^[+-]/, '');
      const big = BigInt(digits);
      const value = negative ? -big : big;
      return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
    }
    case 'real': {
      const n = Number(text.trim());
      return Number.isNaN(n) && !/^nan$/i.test(text.trim()) ? bad('invalid <real>') : n;
    }
    case 'date': {
      const d = new Date(text.trim());
      return Number.isNaN(d.getTime()) ? bad('invalid <date>') : d;
    }
    case 'data': {
      const clean = text.replace(/\s+/g, '');
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) return bad('invalid <data>');
      return new Uint8Array(Buffer.from(clean, 'base64'));
    }
    default:
      return bad(`unexpected <${name}>`);
  }
}

// ---------------------------------------------------------------- binary

export function parseBinaryPlist(bytes: Uint8Array): PlistValue {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < 8 + 32 || b.toString('latin1', 0, 8) !== 'bplist00') throw new InputError('not a binary property list');
  const trailer = b.length - 32;
  const offsetSize = b[trailer + 6];
  const refSize = b[trailer + 7];
  const numObjects = b.readBigUInt64BE(trailer + 8);
  const topObject = b.readBigUInt64BE(trailer + 16);
  const tableOffset = b.readBigUInt64BE(trailer + 24);
  if (![1, 2, 4, 8].includes(offsetSize) || ![1, 2, 4, 8].includes(refSize)) throw new InputError('binary property list: bad trailer');
  if (numObjects === 0n || numObjects > BigInt(trailer) || topObject >= numObjects || tableOffset < 8n || tableOffset + numObjects * BigInt(offsetSize) > BigInt(trailer)) {
    throw new InputError('binary property list: bad trailer');
  }
  const count = Number(numObjects);
  const table = Number(tableOffset);
  const uint = (at: number, size: number): number => {
    if (at + size > trailer) throw new InputError('binary property list: read past the end');
    let v = 0;
    for (let i = 0; i < size; i++) v = v * 256 + b[at + i];
    return v;
  };
  const offsetOf = (ref: number): number => {
    if (ref >= count) throw new InputError('binary property list: object reference out of range');
    const off = uint(table + ref * offsetSize, offsetSize);
    if (off < 8 || off >= table) throw new InputError('binary property list: object offset out of range');
    return off;
  };
  const active = new Set<number>();
  let budget = 1_000_000; // objects materialised, including shared ones reached twice

  const read = (ref: number, depth: number): PlistValue => {
    if (depth > MAX_DEPTH) throw new InputError('binary property list: nesting too deep');
    if (active.has(ref)) throw new InputError('binary property list: an object contains itself');
    if (--budget < 0) throw new InputError('binary property list: too many objects');
    const at = offsetOf(ref);
    const marker = b[at];
    const type = marker >> 4;
    const info = marker & 0x0f;
    // Length-prefixed objects: a low nibble of 0xF means an int object follows with the real length.
    const length = (): [number, number] => {
      if (info !== 0x0f) return [info, at + 1];
      const intMarker = b[at + 1];
      if (intMarker >> 4 !== 0x1 || at + 2 > trailer) throw new InputError('binary property list: bad length');
      const size = 1 << (intMarker & 0x0f);
      if (size > 8) throw new InputError('binary property list: bad length');
      return [uint(at + 2, size), at + 2 + size];
    };
    const span = (start: number, n: number) => {
      if (n < 0 || start + n > trailer) throw new InputError('binary property list: object runs past the end');
    };
    switch (type) {
      case 0x0:
        if (info === 0x8) return false;
        if (info === 0x9) return true;
        throw new InputError('binary property list: unsupported null or fill object');
      case 0x1: {
        const size = 1 << info;
        span(at + 1, size);
        if (size === 16) {
          const v = (b.readBigInt64BE(at + 1) << 64n) | b.readBigUInt64BE(at + 9);
          return safeInt(v);
        }
        if (size === 8) return safeInt(b.readBigInt64BE(at + 1));
        if (size > 8) throw new InputError('binary property list: bad integer size');
        return uint(at + 1, size);
      }
      case 0x2:
        if (info === 2) return (span(at + 1, 4), b.readFloatBE(at + 1));
        if (info === 3) return (span(at + 1, 8), b.readDoubleBE(at + 1));
        throw new InputError('binary property list: bad real size');
      case 0x3:
        span(at + 1, 8);
        return new Date(APPLE_EPOCH_MS + b.readDoubleBE(at + 1) * 1000);
      case 0x4: {
        const [n, start] = length();
        span(start, n);
        return new Uint8Array(b.subarray(start, start + n));
      }
      case 0x5: {
        const [n, start] = length();
        span(start, n);
        return b.toString('latin1', start, start + n);
      }
      case 0x6: {
        const [n, start] = length();
        span(start, n * 2);
        const swapped = Buffer.from(b.subarray(start, start + n * 2));
        swapped.swap16();
        return swapped.toString('utf16le');
      }
      case 0x8:
        span(at + 1, info + 1);
        return uint(at + 1, info + 1);
      case 0xa:
      case 0xc: {
        const [n, start] = length();
        span(start, n * refSize);
        active.add(ref);
        const out: PlistValue[] = [];
        for (let i = 0; i < n; i++) out.push(read(uint(start + i * refSize, refSize), depth + 1));
        active.delete(ref);
        return out;
      }
      case 0xd: {
        const [n, start] = length();
        span(start, 2 * n * refSize);
        active.add(ref);
        const out = newDict();
        for (let i = 0; i < n; i++) {
          const key = read(uint(start + i * refSize, refSize), depth + 1);
          if (typeof key !== 'string') throw new InputError('binary property list: a dictionary key is not a string');
          const value = read(uint(start + (n + i) * refSize, refSize), depth + 1);
          Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
        }
        active.delete(ref);
        return out;
      }
      default:
        throw new InputError(`binary property list: unknown object type 0x${type.toString(16)}`);
    }
  };
  return read(Number(topObject), 0);
}

function safeInt(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

// ---------------------------------------------------------------- helpers

export function isPlistDict(value: PlistValue | undefined): value is PlistDict {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date) && !(value instanceof Uint8Array);
}

export function plistEqual(a: PlistValue, b: PlistValue): boolean {
  if (typeof a === 'number' || typeof a === 'bigint') {
    if (typeof b !== 'number' && typeof b !== 'bigint') return false;
    // Integers may come as number or bigint depending on size; reals are only ever numbers.
    if (typeof a === 'number' && typeof b === 'number') return a === b;
    return Number.isInteger(Number(a)) && Number.isInteger(Number(b)) && BigInt(a) === BigInt(b);
  }
  if (a instanceof Date) return b instanceof Date && a.getTime() === b.getTime();
  if (a instanceof Uint8Array) return b instanceof Uint8Array && Buffer.from(a).equals(Buffer.from(b));
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => plistEqual(x, b[i]));
  if (isPlistDict(a)) {
    if (!isPlistDict(b)) return false;
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && plistEqual(a[k], b[k]));
  }
  return a === b;
}

export function plistToJson(value: PlistValue): unknown {
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return { $data: Buffer.from(value).toString('base64') };
  if (typeof value === 'bigint') return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
  if (Array.isArray(value)) return value.map(plistToJson);
  if (isPlistDict(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) Object.defineProperty(out, k, { value: plistToJson(v), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return value;
}
