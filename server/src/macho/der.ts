/**
 * A small DER/BER reader that keeps byte offsets.
 *
 * Hand-written because verifying a CMS signature needs the exact bytes of its signed attributes, and issuer names
 * compared byte for byte, which ASN.1 libraries that decode into objects throw away. BER's indefinite lengths are
 * accepted (some signers emit them); every length is checked against its container. Errors are InputErrors.
 */
import { InputError } from '../errors';
import { printableString, printableText } from './printable';

export interface Node {
  /** The first tag byte: class (bits 7-6), constructed (bit 5), number (bits 4-0). */
  tag: number;
  /** Offset of the tag byte. */
  start: number;
  contentStart: number;
  contentEnd: number;
  /** One past the last byte of the element, end-of-contents marker included. */
  end: number;
}

export const TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  utf8String: 0x0c,
  printableString: 0x13,
  t61String: 0x14,
  ia5String: 0x16,
  utcTime: 0x17,
  generalizedTime: 0x18,
  bmpString: 0x1e,
  sequence: 0x30,
  set: 0x31,
} as const;

/** Context-specific tag byte `[n]`, constructed or not. */
export function context(n: number, constructed = true): number {
  return 0x80 | (constructed ? 0x20 : 0) | n;
}

const MAX_DEPTH = 64;

export function readNode(buf: Uint8Array, at: number, limit = buf.length, depth = 0): Node {
  if (depth > MAX_DEPTH) throw new InputError('ASN.1 nested too deeply');
  if (at + 2 > limit) throw new InputError('ASN.1 element truncated');
  const tag = buf[at];
  if ((tag & 0x1f) === 0x1f) throw new InputError('ASN.1 high tag numbers are not supported');
  const first = buf[at + 1];
  let contentStart = at + 2;
  if (first === 0x80) {
    if (!(tag & 0x20)) throw new InputError('ASN.1 indefinite length on a primitive element');
    let p = contentStart;
    while (true) {
      if (p + 2 > limit) throw new InputError('ASN.1 indefinite length without an end');
      if (buf[p] === 0 && buf[p + 1] === 0) return { tag, start: at, contentStart, contentEnd: p, end: p + 2 };
      p = readNode(buf, p, limit, depth + 1).end;
    }
  }
  let length = first;
  if (first & 0x80) {
    const bytes = first & 0x7f;
    if (bytes > 4 || contentStart + bytes > limit) throw new InputError('ASN.1 length invalid');
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + buf[contentStart + i];
    contentStart += bytes;
  }
  if (contentStart + length > limit) throw new InputError('ASN.1 element runs past its container');
  return { tag, start: at, contentStart, contentEnd: contentStart + length, end: contentStart + length };
}

export function children(buf: Uint8Array, node: Node): Node[] {
  const out: Node[] = [];
  for (let at = node.contentStart; at < node.contentEnd;) {
    const child = readNode(buf, at, node.contentEnd);
    out.push(child);
    at = child.end;
  }
  return out;
}

/** Reads a node and checks its tag. */
export function expect(node: Node | undefined, tag: number, what: string): Node {
  if (!node || node.tag !== tag)
    throw new InputError(
      `${what}: expected tag 0x${tag.toString(16)}${node ? `, found 0x${node.tag.toString(16)}` : ''}`,
    );
  return node;
}

export function content(buf: Uint8Array, node: Node): Buffer {
  return Buffer.from(buf.buffer, buf.byteOffset + node.contentStart, node.contentEnd - node.contentStart);
}

/** The whole element, header included. */
export function raw(buf: Uint8Array, node: Node): Buffer {
  return Buffer.from(buf.buffer, buf.byteOffset + node.start, node.end - node.start);
}

export function oid(buf: Uint8Array, node: Node): string {
  return oidFromBytes(content(buf, node));
}

/** An OID's content bytes (no tag or length) in dotted form; also how requirements store certificate OIDs. */
export function oidFromBytes(bytes: Uint8Array): string {
  if (bytes.length === 0) throw new InputError('ASN.1 empty object identifier');
  const parts: number[] = [];
  let value = 0;
  for (const byte of bytes) {
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      parts.push(value);
      value = 0;
    }
  }
  const first = parts.shift() ?? 0;
  return [...(first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80]), ...parts].join('.');
}

export function integerHex(buf: Uint8Array, node: Node): string {
  return content(buf, node).toString('hex');
}

/** A string value, with characters that could disguise it when shown (controls, bidi overrides) escaped. */
export function text(buf: Uint8Array, node: Node): string {
  const bytes = content(buf, node);
  if (node.tag === TAG.bmpString) {
    if (bytes.length % 2 !== 0) throw new InputError('ASN.1 BMPString has an odd length');
    return printableString(Buffer.from(bytes).swap16().toString('utf16le')).text;
  }
  if (node.tag === TAG.utf8String) return printableText(bytes).text;
  return printableString(bytes.toString('latin1')).text;
}

/** UTCTime (RFC 5280 two-digit-year rule) or GeneralizedTime (fractions allowed) as ISO 8601. */
export function time(buf: Uint8Array, node: Node): string {
  const s = content(buf, node).toString('latin1');
  const m =
    node.tag === TAG.utcTime
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?Z$/.exec(s)
      : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(\.\d+)?Z$/.exec(s);
  if (!m) throw new InputError(`ASN.1 time ${JSON.stringify(s)} is not understood`);
  let year = Number(m[1]);
  if (node.tag === TAG.utcTime) year += year >= 50 ? 1900 : 2000;
  const ms = m[7] ? Math.round(Number(`0${m[7]}`) * 1000) : 0;
  const date = new Date(
    Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0), ms),
  );
  if (Number.isNaN(date.getTime())) throw new InputError(`ASN.1 time ${JSON.stringify(s)} is invalid`);
  return date.toISOString();
}

const NAME_KEYS: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '0.9.2342.19200300.100.1.1': 'UID',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

export interface Name {
  /** RFC 4514 order (most specific first): "CN=…, OU=…, O=…, C=…". */
  text: string;
  attributes: { oid: string; value: string }[];
}

export function name(buf: Uint8Array, node: Node): Name {
  const attributes: { oid: string; value: string }[] = [];
  for (const rdn of children(buf, expect(node, TAG.sequence, 'Name'))) {
    for (const atv of children(buf, rdn)) {
      const [type, value] = children(buf, atv);
      attributes.push({ oid: oid(buf, expect(type, TAG.oid, 'Name attribute')), value: value ? text(buf, value) : '' });
    }
  }
  const textForm = [...attributes]
    .reverse()
    .map((a) => `${NAME_KEYS[a.oid] ?? a.oid}=${a.value}`)
    .join(', ');
  return { text: textForm, attributes };
}

export function nameAttribute(n: Name, attributeOid: string): string | null {
  return n.attributes.find((a) => a.oid === attributeOid)?.value ?? null;
}
