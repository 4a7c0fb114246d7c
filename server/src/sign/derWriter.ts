/**
 * A small DER writer: each function returns the complete encoding of one element, so structures are written as nested
 * calls that read like their ASN.1 definitions.
 *
 * Hand-written (the reader is `macho/der.ts`) because the signer needs only a dozen element types, and because the
 * signed bytes must be exactly what DER prescribes: minimal lengths and integers, and SET OF elements sorted by their
 * encodings (X.690 §11.6), which is how Apple's signer orders the signed attributes and the certificates.
 */

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One element: tag byte, minimal length, content. */
export function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
}

export const sequence = (...items: Buffer[]): Buffer => tlv(0x30, ...items);

/** SET OF in DER order: the elements sorted by their encodings (shorter first where one is a prefix). */
export function setOf(...items: Buffer[]): Buffer {
  return tlv(0x31, ...sortEncodings(items));
}

export function sortEncodings(items: Buffer[]): Buffer[] {
  return [...items].sort(Buffer.compare);
}

/** `[n]` with explicit tagging (a constructed wrapper around whole elements). */
export const explicit = (n: number, ...items: Buffer[]): Buffer => tlv(0xa0 | n, ...items);

/** `[n] IMPLICIT SET OF`: the set's content in DER order under a context tag. */
export const implicitSetOf = (n: number, items: Buffer[]): Buffer => tlv(0xa0 | n, ...sortEncodings(items));

export const octetString = (bytes: Uint8Array): Buffer => tlv(0x04, Buffer.from(bytes));

export const nullValue = (): Buffer => Buffer.from([0x05, 0x00]);

export const boolean = (value: boolean): Buffer => Buffer.from([0x01, 0x01, value ? 0xff : 0x00]);

/** INTEGER from a small non-negative number. */
export function integer(value: number): Buffer {
  const bytes: number[] = [];
  let v = value;
  do {
    bytes.unshift(v & 0xff);
    v = Math.floor(v / 256);
  } while (v > 0);
  return unsignedInteger(Buffer.from(bytes));
}

/** INTEGER from big-endian unsigned magnitude bytes (a serial number, a nonce): minimal, non-negative. */
export function unsignedInteger(magnitude: Uint8Array): Buffer {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  let bytes = Buffer.from(magnitude.subarray(start));
  if (bytes.length === 0) bytes = Buffer.from([0]);
  if (bytes[0] & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return tlv(0x02, bytes);
}

export function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  if (parts.length < 2 || parts.some((p) => !Number.isSafeInteger(p) || p < 0)) throw new Error(`bad OID ${dotted}`);
  const values = [parts[0] * 40 + parts[1], ...parts.slice(2)];
  const bytes: number[] = [];
  for (const value of values) {
    const groups = [value & 0x7f];
    for (let v = Math.floor(value / 128); v > 0; v = Math.floor(v / 128)) groups.unshift(0x80 | (v & 0x7f));
    bytes.push(...groups);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** AlgorithmIdentifier; `nullParameters` writes the explicit NULL that RSA and (as Apple writes them) digests carry. */
export function algorithm(dotted: string, nullParameters: boolean): Buffer {
  return nullParameters ? sequence(oid(dotted), nullValue()) : sequence(oid(dotted));
}

const two = (n: number) => String(n).padStart(2, '0');

/** RFC 5280's rule, which CMS signingTime follows: UTCTime for 1950–2049, GeneralizedTime otherwise; whole seconds. */
export function time(date: Date): Buffer {
  const year = date.getUTCFullYear();
  const rest = `${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}${two(date.getUTCHours())}${two(date.getUTCMinutes())}${two(date.getUTCSeconds())}Z`;
  if (year >= 1950 && year < 2050) return tlv(0x17, Buffer.from(`${two(year % 100)}${rest}`, 'latin1'));
  return tlv(0x18, Buffer.from(`${String(year).padStart(4, '0')}${rest}`, 'latin1'));
}

/** Attribute ::= SEQUENCE { attrType OID, attrValues SET OF AttributeValue } */
export function attribute(dotted: string, ...values: Buffer[]): Buffer {
  return sequence(oid(dotted), setOf(...values));
}
