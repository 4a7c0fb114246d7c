/**
 * Binary property lists ("bplist00"), read by hand (no maintained small library exists) with every offset, count and
 * reference checked, reference cycles refused, nesting and the number of objects materialised bounded. Errors are
 * InputErrors with a one-line message. The one place that knows the format, its magic included.
 */
import { InputError } from '../errors';
import { newDict, PlistValue, safeInt, setEntry } from './value';

/** The first eight bytes of every binary plist. */
export const BINARY_MAGIC = 'bplist00';
const MAX_DEPTH = 512;
/** Objects materialised, including shared ones reached twice. */
const MAX_OBJECTS = 1_000_000;
/** CFAbsoluteTime: seconds since 2001-01-01T00:00:00Z. */
const APPLE_EPOCH_MS = Date.UTC(2001, 0, 1);

export function isBinaryPlist(bytes: Uint8Array): boolean {
  return (
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1', 0, BINARY_MAGIC.length) ===
    BINARY_MAGIC
  );
}

interface Trailer {
  /** Where the trailer starts: nothing is read at or past it. */
  end: number;
  offsetSize: number;
  refSize: number;
  count: number;
  top: number;
  table: number;
}

function fail(what: string): never {
  throw new InputError(`binary property list: ${what}`);
}

function readTrailer(b: Buffer): Trailer {
  if (b.length < 8 + 32 || !isBinaryPlist(b)) throw new InputError('not a binary property list');
  const end = b.length - 32;
  const offsetSize = b[end + 6];
  const refSize = b[end + 7];
  const numObjects = b.readBigUInt64BE(end + 8);
  const topObject = b.readBigUInt64BE(end + 16);
  const tableOffset = b.readBigUInt64BE(end + 24);
  if (![1, 2, 4, 8].includes(offsetSize) || ![1, 2, 4, 8].includes(refSize)) fail('bad trailer');
  if (
    numObjects === 0n ||
    numObjects > BigInt(end) ||
    topObject >= numObjects ||
    tableOffset < 8n ||
    tableOffset + numObjects * BigInt(offsetSize) > BigInt(end)
  ) {
    fail('bad trailer');
  }
  return { end, offsetSize, refSize, count: Number(numObjects), top: Number(topObject), table: Number(tableOffset) };
}

/** Reads objects by reference; one instance per plist, holding the cycle check and the object budget. */
class ObjectReader {
  private readonly active = new Set<number>();
  private budget = MAX_OBJECTS;

  constructor(
    private readonly b: Buffer,
    private readonly t: Trailer,
  ) {}

  /** A big-endian unsigned integer of `size` bytes, inside the object area. */
  private uint(at: number, size: number): number {
    if (at + size > this.t.end) fail('read past the end');
    let v = 0;
    for (let i = 0; i < size; i++) v = v * 256 + this.b[at + i];
    return v;
  }

  private offsetOf(ref: number): number {
    if (ref >= this.t.count) fail('object reference out of range');
    const off = this.uint(this.t.table + ref * this.t.offsetSize, this.t.offsetSize);
    if (off < 8 || off >= this.t.table) fail('object offset out of range');
    return off;
  }

  private span(start: number, n: number): void {
    if (n < 0 || start + n > this.t.end) fail('object runs past the end');
  }

  /** The length of a length-prefixed object and where its content starts: a low nibble of 0xF means an int object follows with the real length. */
  private length(at: number): [number, number] {
    const info = this.b[at] & 0x0f;
    if (info !== 0x0f) return [info, at + 1];
    const intMarker = this.b[at + 1];
    if (intMarker >> 4 !== 0x1 || at + 2 > this.t.end) fail('bad length');
    const size = 1 << (intMarker & 0x0f);
    if (size > 8) fail('bad length');
    return [this.uint(at + 2, size), at + 2 + size];
  }

  read(ref: number, depth: number): PlistValue {
    if (depth > MAX_DEPTH) fail('nesting too deep');
    if (this.active.has(ref)) fail('an object contains itself');
    if (--this.budget < 0) fail('too many objects');
    const at = this.offsetOf(ref);
    const type = this.b[at] >> 4;
    if (type === 0xa || type === 0xc || type === 0xd) {
      this.active.add(ref);
      const value = type === 0xd ? this.dict(at, depth) : this.array(at, depth);
      this.active.delete(ref);
      return value;
    }
    return this.scalar(at);
  }

  private scalar(at: number): PlistValue {
    const { b } = this;
    const type = b[at] >> 4;
    const info = b[at] & 0x0f;
    switch (type) {
      case 0x0:
        if (info === 0x8) return false;
        if (info === 0x9) return true;
        return fail('unsupported null or fill object');
      case 0x1: {
        const size = 1 << info;
        this.span(at + 1, size);
        if (size === 16) return safeInt((b.readBigInt64BE(at + 1) << 64n) | b.readBigUInt64BE(at + 9));
        if (size === 8) return safeInt(b.readBigInt64BE(at + 1));
        if (size > 8) fail('bad integer size');
        return this.uint(at + 1, size);
      }
      case 0x2:
        if (info === 2) return (this.span(at + 1, 4), b.readFloatBE(at + 1));
        if (info === 3) return (this.span(at + 1, 8), b.readDoubleBE(at + 1));
        return fail('bad real size');
      case 0x3:
        this.span(at + 1, 8);
        return new Date(APPLE_EPOCH_MS + b.readDoubleBE(at + 1) * 1000);
      case 0x4: {
        const [n, start] = this.length(at);
        this.span(start, n);
        return new Uint8Array(b.subarray(start, start + n));
      }
      case 0x5: {
        const [n, start] = this.length(at);
        this.span(start, n);
        return b.toString('latin1', start, start + n);
      }
      case 0x6: {
        const [n, start] = this.length(at);
        this.span(start, n * 2);
        const swapped = Buffer.from(b.subarray(start, start + n * 2));
        swapped.swap16();
        return swapped.toString('utf16le');
      }
      case 0x8:
        this.span(at + 1, info + 1);
        return this.uint(at + 1, info + 1);
      default:
        return fail(`unknown object type 0x${type.toString(16)}`);
    }
  }

  /** An array (0xA) or a set (0xC), read as an array. */
  private array(at: number, depth: number): PlistValue[] {
    const { refSize } = this.t;
    const [n, start] = this.length(at);
    this.span(start, n * refSize);
    const out: PlistValue[] = [];
    for (let i = 0; i < n; i++) out.push(this.read(this.uint(start + i * refSize, refSize), depth + 1));
    return out;
  }

  private dict(at: number, depth: number): PlistValue {
    const { refSize } = this.t;
    const [n, start] = this.length(at);
    this.span(start, 2 * n * refSize);
    const out = newDict();
    for (let i = 0; i < n; i++) {
      const key = this.read(this.uint(start + i * refSize, refSize), depth + 1);
      if (typeof key !== 'string') fail('a dictionary key is not a string');
      setEntry(out, key, this.read(this.uint(start + (n + i) * refSize, refSize), depth + 1));
    }
    return out;
  }
}

export function parseBinaryPlist(bytes: Uint8Array): PlistValue {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const trailer = readTrailer(b);
  return new ObjectReader(b, trailer).read(trailer.top, 0);
}
