/**
 * The value a property list holds, the same whichever format it was read from, and what the engine does with one:
 * compare two, test for a dictionary, turn one into JSON. Dictionaries have no prototype and keys are defined, never
 * assigned, so a key named `__proto__` stays data.
 */

export type PlistValue = string | number | bigint | boolean | Date | Uint8Array | PlistValue[] | PlistDict;
export interface PlistDict {
  [key: string]: PlistValue;
}

export function newDict(): PlistDict {
  return Object.create(null) as PlistDict;
}

/** Sets `key` as data, whatever its name (`__proto__` included); a repeated key keeps the last value, as Apple's parser does. */
export function setEntry(dict: PlistDict, key: string, value: PlistValue): void {
  Object.defineProperty(dict, key, { value, enumerable: true, writable: true, configurable: true });
}

/** An integer as a number when it is exactly one, else as a bigint. */
export function safeInt(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

export function isPlistDict(value: PlistValue | undefined): value is PlistDict {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Date) &&
    !(value instanceof Uint8Array)
  );
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
    return (
      ka.length === Object.keys(b).length &&
      ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && plistEqual(a[k], b[k]))
    );
  }
  return a === b;
}

export function plistToJson(value: PlistValue): unknown {
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return { $data: Buffer.from(value).toString('base64') };
  if (typeof value === 'bigint')
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  if (Array.isArray(value)) return value.map(plistToJson);
  if (isPlistDict(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      Object.defineProperty(out, k, { value: plistToJson(v), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return value;
}
