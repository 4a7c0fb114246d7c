/**
 * Flat installer packages (.pkg): xar archives. A 28-byte (or longer) big-endian header, a zlib-compressed XML table of
 * contents (TOC), then the heap; the TOC's checksum (a hash of the compressed TOC) lies in the heap where the TOC's
 * `<checksum>` says, and signatures (`<signature>`, `<x-signature>`) sign that checksum with certificates in the TOC.
 * A stapled notarization ticket is appended after the archive as rcodesign `stapling.rs` documents: a 16-byte
 * little-endian `t8lr` terminator record, the ticket, and a `t8lr` ticket record giving its length.
 *
 * Contract:
 * - `readPkg(path)` reads the header, the TOC, the checksum, the certificates and the trailer through fileAccess.ts,
 *   never the payload. The TOC is inflated only when both its compressed and declared sizes are within TOC_LIMIT,
 *   and the inflater stops at the declared size (a zip bomb is refused, not expanded). Hostile archives (bad magic,
 *   offsets past the end, a TOC that does not inflate or is not XML, a checksum that does not match) are one-line
 *   InputError; memory stays within TOC_LIMIT plus the small reads.
 * - The notarization record of a package is its TOC checksum (first 20 bytes), digest type 1 for SHA-1, 2 for SHA-256.
 * - `pkgTicketTrailer(ticket)` is what stapling appends.
 */
import { createHash } from 'node:crypto';
import { InputError } from '../errors';
import { readCertificateDer } from '../macho/certificate';
import { checkChain } from '../macho/chain';
import { certificateRole } from '../macho/classify';
import { FileSource } from '../macho/source';
import type { CertificateInfo, PackageReport, SignerKind } from '../protocol';

const XAR_MAGIC = 0x78617221; // 'xar!'
const HEADER_MIN = 28;
/** A TOC of a real package is kilobytes to a few hundred; more is refused before inflating. */
export const TOC_LIMIT = 8 * 1024 * 1024;
const TICKET_LIMIT = 16 * 1024 * 1024;
const TRAILER_SIZE = 16;
/** A signature lists its leaf and a few issuers; more are not read (a hostile TOC could list thousands). */
const MAX_CERTIFICATES = 16;
const TRAILER_MAGIC = 't8lr';
const TRAILER_TERMINATOR = 1;
const TRAILER_TICKET = 2;

/** Header checksum algorithms: 0 none, 1 SHA-1, 2 MD5, 3 named in the header (sha256, sha512). */
const HEADER_CHECKSUMS: Record<number, string> = { 0: 'none', 1: 'sha1', 2: 'md5' };
const DIGESTS: Record<string, { algorithm: string; size: number }> = {
  sha1: { algorithm: 'sha1', size: 20 },
  md5: { algorithm: 'md5', size: 16 },
  sha256: { algorithm: 'sha256', size: 32 },
  sha512: { algorithm: 'sha512', size: 64 },
};

export interface PkgSignatureInfo {
  /** `signature` (RSA over the checksum) or `x-signature` (CMS). */
  element: 'signature' | 'x-signature';
  style: string;
  /** Leaf first, as the TOC lists them. */
  certificates: CertificateInfo[];
  /** Whether the certificates chain up to a pinned Apple root (a self-made "Developer ID" certificate does not). */
  chainToAppleRoot: boolean;
  /** The leaf's role when the chain reaches Apple, else `other` (none: no certificate). */
  signer: SignerKind;
}

/** A file stored in a xar heap: where its bytes are, how they are encoded, and how large they become. */
export interface XarEntry {
  /** `/`-separated path in the archive (nested files under their directories). */
  path: string;
  /** From the start of the heap. */
  offset: number;
  /** Stored bytes. */
  length: number;
  /** Bytes once decoded. */
  size: number;
  /** The `<encoding style>`: application/octet-stream (stored), application/x-gzip (zlib), others. */
  encoding: string;
}

export interface PkgInfo {
  path: string;
  size: number;
  tocCompressedLength: number;
  tocLength: number;
  /** The checksum style (sha1, sha256...) and its value, hex; checked against the compressed TOC. */
  checksum: { style: string; value: string };
  heapOffset: number;
  /** File names in the TOC (top-level and nested, as listed). */
  files: string[];
  /** The TOC's files that have data in the heap, by their path in the archive (`tool.pkg/Payload`). */
  entries: XarEntry[];
  signatures: PkgSignatureInfo[];
  ticketQuery: { digestType: 1 | 2; cdhash: string } | null;
  stapledTicket: Buffer | null;
  /** Where the archive ends: the start of a stapled trailer, or the file size. */
  archiveEnd: number;
}

function u64(bytes: Buffer, at: number, what: string, file: string): number {
  const value = bytes.readBigUInt64BE(at);
  if (value > BigInt(Number.MAX_SAFE_INTEGER))
    throw new InputError(`${file}: not a valid xar archive: ${what} is out of range`);
  return Number(value);
}

/**
 * node:zlib, loaded when a package is read: loading it costs a few milliseconds, which every `verify` and `inspect`
 * of a Mach-O file would otherwise pay.
 */
const zlib = () => require('node:zlib') as typeof import('node:zlib');

function inflateToc(compressed: Buffer, declared: number, file: string): string {
  try {
    const xml = zlib().inflateSync(compressed, { maxOutputLength: declared });
    return xml.toString('utf8');
  } catch (error) {
    if (
      error instanceof RangeError ||
      (error as { code?: string }).code?.startsWith('Z_') ||
      (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE'
    )
      throw new InputError(
        `${file}: not a valid xar archive: the table of contents does not inflate to its declared ${declared} bytes`,
      );
    throw error;
  }
}

const unescape = (s: string) =>
  s.replace(/&(lt|gt|amp|quot|apos);/g, (_, e: string) => ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" })[e]!);

/** The first `<name ...>...</name>` element directly after `from`, with its attributes and body; null if absent. */
function element(xml: string, name: string, from = 0): { attributes: string; body: string; end: number } | null {
  const open = new RegExp(`<${name}(\\s[^>]*)?>`, 'g');
  open.lastIndex = from;
  const m = open.exec(xml);
  if (!m) return null;
  const close = xml.indexOf(`</${name}>`, open.lastIndex);
  if (close < 0) return null;
  return { attributes: m[1] ?? '', body: xml.slice(open.lastIndex, close), end: close + name.length + 3 };
}

function attribute(attributes: string, name: string): string | null {
  const m = new RegExp(`\\b${name}="([^"]*)"`).exec(attributes);
  return m ? unescape(m[1]) : null;
}

function integer(body: string, name: string, what: string, file: string): number {
  const m = new RegExp(`<${name}>\\s*(\\d{1,15})\\s*</${name}>`).exec(body);
  if (!m) throw new InputError(`${file}: not a valid xar archive: the ${what} has no ${name}`);
  return Number(m[1]);
}

/** The certificates a signature element lists (leaf first), whether they reach Apple's root, and the signer's role. */
function certificates(
  body: string,
  file: string,
): Pick<PkgSignatureInfo, 'certificates' | 'chainToAppleRoot' | 'signer'> {
  const read = [...body.matchAll(/<X509Certificate>([^<]*)<\/X509Certificate>/g)]
    .slice(0, MAX_CERTIFICATES)
    .map((m) =>
      readCertificateDer(Buffer.from(m[1].replace(/\s+/g, ''), 'base64'), `${file}: a signature certificate`),
    );
  if (read.length === 0) return { certificates: [], chainToAppleRoot: false, signer: 'none' };
  const chain = checkChain(read, read[0]);
  const chainToAppleRoot = chain.anchor !== null && chain.damaged.length === 0;
  return {
    certificates: read.map((c) => c.info),
    chainToAppleRoot,
    signer: chainToAppleRoot ? certificateRole(read[0].info) : 'other',
  };
}

/** The stapled ticket at the end of the file, if the last 16 bytes are a `t8lr` ticket record. */
function readTrailer(source: FileSource, heapOffset: number): { ticket: Buffer; start: number } | null {
  if (source.size < heapOffset + 2 * TRAILER_SIZE) return null;
  const last = source.read(source.size - TRAILER_SIZE, TRAILER_SIZE);
  if (last.toString('latin1', 0, 4) !== TRAILER_MAGIC || last.readUInt16LE(6) !== TRAILER_TICKET) return null;
  const length = last.readUInt32LE(8);
  const start = source.size - 2 * TRAILER_SIZE - length;
  if (length === 0 || length > TICKET_LIMIT || start < heapOffset)
    throw new InputError(
      `${source.name}: the stapled ticket trailer claims ${length} bytes, which do not fit the file`,
    );
  const terminator = source.read(start, TRAILER_SIZE);
  if (terminator.toString('latin1', 0, 4) !== TRAILER_MAGIC || terminator.readUInt16LE(6) !== TRAILER_TERMINATOR)
    throw new InputError(`${source.name}: the stapled ticket trailer has no terminator record before the ticket`);
  return { ticket: source.read(start + TRAILER_SIZE, length), start };
}

export async function readPkg(file: string): Promise<PkgInfo> {
  const source = await FileSource.open(file);
  try {
    if (source.size < HEADER_MIN) throw new InputError(`${file}: not a xar archive (shorter than its header)`);
    const head = source.read(0, HEADER_MIN);
    if (head.readUInt32BE(0) !== XAR_MAGIC) throw new InputError(`${file}: not a xar archive (.pkg): no "xar!" magic`);
    const headerSize = head.readUInt16BE(4);
    const tocCompressedLength = u64(head, 8, 'the TOC length', file);
    const tocLength = u64(head, 16, 'the TOC length', file);
    const checksumAlgorithm = head.readUInt32BE(24);
    if (headerSize < HEADER_MIN || headerSize > 4096 || headerSize > source.size)
      throw new InputError(`${file}: not a valid xar archive: header size ${headerSize}`);
    if (tocCompressedLength > TOC_LIMIT || tocLength > TOC_LIMIT)
      throw new InputError(
        `${file}: the xar table of contents claims ${Math.max(tocLength, tocCompressedLength)} bytes, more than the ${TOC_LIMIT / 1024 / 1024} MB a package's needs: refused`,
      );
    const heapOffset = headerSize + tocCompressedLength;
    if (heapOffset > source.size)
      throw new InputError(`${file}: truncated xar archive: the table of contents runs past the end of the file`);
    let headerChecksum = HEADER_CHECKSUMS[checksumAlgorithm];
    if (checksumAlgorithm === 3 && headerSize > HEADER_MIN) {
      const name = source.read(HEADER_MIN, headerSize - HEADER_MIN);
      headerChecksum = name.toString('latin1', 0, Math.max(0, name.indexOf(0))).toLowerCase();
    }
    const compressed = source.read(headerSize, tocCompressedLength);
    const xml = inflateToc(compressed, tocLength, file);
    if (!/^\s*<\?xml[^>]*>\s*<xar\b/.test(xml))
      throw new InputError(`${file}: not a valid xar archive: the table of contents is not xar XML`);
    const toc = element(xml, 'toc');
    if (!toc) throw new InputError(`${file}: not a valid xar archive: the table of contents has no <toc>`);

    const cks = element(toc.body, 'checksum');
    if (!cks)
      throw new InputError(`${file}: the xar table of contents has no checksum, so nothing can be signed or notarized`);
    const style = (attribute(cks.attributes, 'style') ?? '').toLowerCase();
    const digest = DIGESTS[style];
    if (!digest)
      throw new InputError(`${file}: the xar checksum style ${JSON.stringify(style)} is not one this tool knows`);
    if (headerChecksum && headerChecksum !== style)
      throw new InputError(
        `${file}: the xar header says the checksum is ${headerChecksum}, the table of contents ${style}`,
      );
    const offset = integer(cks.body, 'offset', 'checksum', file);
    const size = integer(cks.body, 'size', 'checksum', file);
    if (size !== digest.size || heapOffset + offset + size > source.size)
      throw new InputError(`${file}: the xar checksum (${size} bytes at heap offset ${offset}) does not fit the file`);
    const stored = source.read(heapOffset + offset, size);
    const actual = createHash(digest.algorithm).update(compressed).digest();
    if (!actual.equals(stored))
      throw new InputError(
        `${file}: the xar table of contents does not match its ${style} checksum (modified or corrupt)`,
      );

    const signatures: PkgSignatureInfo[] = [];
    for (const name of ['signature', 'x-signature'] as const) {
      const found = element(toc.body, name);
      if (found)
        signatures.push({
          element: name,
          style: attribute(found.attributes, 'style') ?? '',
          ...certificates(found.body, file),
        });
    }
    const files = [...toc.body.matchAll(/<name>([^<]*)<\/name>/g)].map((m) => unescape(m[1]));
    const entries = heapEntries(toc.body);
    const trailer = readTrailer(source, heapOffset);
    return {
      path: file,
      size: source.size,
      tocCompressedLength,
      tocLength,
      checksum: { style, value: stored.toString('hex') },
      heapOffset,
      files,
      entries,
      signatures,
      ticketQuery:
        style === 'sha1' || style === 'sha256'
          ? { digestType: style === 'sha1' ? 1 : 2, cdhash: stored.subarray(0, 20).toString('hex') }
          : null,
      stapledTicket: trailer?.ticket ?? null,
      archiveEnd: trailer?.start ?? source.size,
    };
  } finally {
    await source.close();
  }
}

/**
 * The files with heap data, walking `<file>` elements with a stack (they nest: a product archive holds component
 * packages as directories). A file's own `<name>` and `<data>` are those before its first nested `<file>`.
 */
function heapEntries(toc: string): XarEntry[] {
  const entries: XarEntry[] = [];
  const stack: { name: string | null; data: string | null }[] = [];
  const tag = /<(\/?)file\b[^>]*>|<name>([^<]*)<\/name>|<data>([\s\S]*?)<\/data>/g;
  const number = (body: string, name: string) => {
    const m = new RegExp(`<${name}>\\s*(\\d{1,15})\\s*</${name}>`).exec(body);
    return m ? Number(m[1]) : null;
  };
  for (let m = tag.exec(toc); m; m = tag.exec(toc)) {
    const top = stack[stack.length - 1];
    if (m[0].startsWith('<file')) stack.push({ name: null, data: null });
    else if (m[1] === '/') {
      const done = stack.pop();
      if (!done?.data || done.name === null) continue;
      const offset = number(done.data, 'offset');
      const length = number(done.data, 'length');
      const size = number(done.data, 'size');
      const encoding = /<encoding\s+style="([^"]*)"/.exec(done.data)?.[1] ?? 'application/octet-stream';
      if (offset === null || length === null || size === null) continue;
      const names = [...stack.map((f) => f.name ?? ''), done.name];
      entries.push({ path: names.join('/'), offset, length, size, encoding });
    } else if (top && m[2] !== undefined && top.name === null) top.name = unescape(m[2]);
    else if (top && m[3] !== undefined && top.data === null) top.data = m[3];
  }
  return entries;
}

function trailerRecord(type: number, length: number): Buffer {
  const record = Buffer.alloc(TRAILER_SIZE);
  record.write(TRAILER_MAGIC, 0, 'latin1');
  record.writeUInt16LE(1, 4); // version
  record.writeUInt16LE(type, 6);
  record.writeUInt32LE(length, 8);
  return record;
}

/** What stapling appends to the archive: terminator record, ticket, ticket record. */
export function pkgTicketTrailer(ticket: Buffer): Buffer {
  return Buffer.concat([trailerRecord(TRAILER_TERMINATOR, 0), ticket, trailerRecord(TRAILER_TICKET, ticket.length)]);
}

/** What `inspect --json` prints about a flat package. */
export type PkgSummary = PackageReport;

export function pkgSummary(info: PkgInfo): PkgSummary {
  return {
    kind: 'pkg',
    checksum: info.checksum,
    files: info.files,
    signatures: info.signatures,
    ticketRecord: info.ticketQuery ? `2/${info.ticketQuery.digestType}/${info.ticketQuery.cdhash}` : null,
    stapledTicket: info.stapledTicket !== null,
  };
}
