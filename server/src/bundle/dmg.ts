/**
 * Disk images (UDIF, .dmg): the 512-byte `koly` trailer at the end of the file and the image's own code signature,
 * which the trailer locates (as codesign and rcodesign `dmg.rs` write it).
 *
 * Contract:
 * - `readDmg(path)` reads only the trailer and the signature it points at (never the image), through fileAccess.ts.
 *   Every offset and length of the trailer is checked against the file before anything is read: a hostile image
 *   (bad magic, offsets past the end, a signature larger than SIGNATURE_LIMIT, a truncated file) is one-line
 *   InputError, in time and memory bounded by the signature limit.
 * - A disk image's CodeDirectory (version 0x20100, page size 1 = "none") has one code slot hashing every byte before
 *   the signature, and a rep-specific special slot hashing the trailer with the signature size zeroed and the
 *   signature offset set to the end of the plist. `verifyDmgSignature` recomputes both.
 * - A stapled notarization ticket is a BlobWrapper in SuperBlob slot 0x10002 (not hashed by the CodeDirectory).
 * - `kolyWithSignature` is the trailer edit that stapling (notary/staple.ts) writes after the new SuperBlob.
 */
import { createHash } from 'node:crypto';
import { InputError } from '../errors';
import { classifySigner } from '../macho/classify';
import { analyzeCms, CmsAnalysis } from '../macho/cms';
import {
  CSMAGIC_BLOBWRAPPER,
  CSMAGIC_CODEDIRECTORY,
  CSSLOT_REP_SPECIFIC,
  CSSLOT_SIGNATURESLOT,
  CSSLOT_TICKETSLOT,
} from '../macho/format';
import { CodeDirectory, parseCodeDirectory, slotDigest } from '../macho/codeDirectory';
import { FileSource } from '../macho/source';
import { findBlob, parseSuperBlob, SuperBlob } from '../macho/superblob';
import type { DiskImageReport } from '../protocol';

export const KOLY_SIZE = 512;
/** A disk image's signature is a few kilobytes (a stapled ticket adds a few more); refuse anything far larger. */
export const SIGNATURE_LIMIT = 16 * 1024 * 1024;

/** Field offsets of the koly trailer (UDIFResourceFile), big-endian. */
const KOLY = {
  version: 4,
  headerSize: 8,
  dataForkOffset: 24,
  dataForkLength: 32,
  rsrcForkOffset: 40,
  rsrcForkLength: 48,
  plistOffset: 216,
  plistLength: 224,
  codeSignatureOffset: 296,
  codeSignatureSize: 304,
  sectorCount: 492,
} as const;

export interface KolyTrailer {
  version: number;
  dataFork: { offset: number; length: number };
  plist: { offset: number; length: number };
  /** null when the image is not signed (offset or size 0). */
  codeSignature: { offset: number; size: number } | null;
  sectorCount: number;
  /** The 512 bytes as read. */
  bytes: Buffer;
}

export interface DmgSignature {
  superBlob: SuperBlob;
  codeDirectories: CodeDirectory[];
  /** Slot numbers present, in index order. */
  slots: number[];
}

export interface DmgInfo {
  path: string;
  size: number;
  koly: KolyTrailer;
  signature: DmgSignature | null;
  /** The record to look the image's notarization up by: its CodeDirectory (SHA-256 when there is one). */
  ticketQuery: { digestType: 1 | 2; cdhash: string } | null;
  stapledTicket: Buffer | null;
}

function u64(bytes: Buffer, at: number, what: string, file: string): number {
  const value = bytes.readBigUInt64BE(at);
  if (value > BigInt(Number.MAX_SAFE_INTEGER))
    throw new InputError(`${file}: not a valid disk image: the ${what} (${value}) is out of range`);
  return Number(value);
}

/** Parses a koly trailer of a file of `size` bytes; every range must lie before the trailer. */
export function parseKoly(bytes: Buffer, size: number, file: string): KolyTrailer {
  if (bytes.length !== KOLY_SIZE || bytes.toString('latin1', 0, 4) !== 'koly')
    throw new InputError(`${file}: not a disk image (no UDIF "koly" trailer at the end)`);
  const headerSize = bytes.readUInt32BE(KOLY.headerSize);
  if (headerSize !== KOLY_SIZE)
    throw new InputError(`${file}: not a valid disk image: the koly trailer says it is ${headerSize} bytes, not 512`);
  const end = size - KOLY_SIZE;
  const range = (offsetAt: number, lengthAt: number, what: string) => {
    const offset = u64(bytes, offsetAt, `${what} offset`, file);
    const length = u64(bytes, lengthAt, `${what} length`, file);
    if (offset + length > end)
      throw new InputError(
        `${file}: not a valid disk image: the ${what} (${length} bytes at ${offset}) runs past the end of the image (${end} bytes before the trailer)`,
      );
    return { offset, length };
  };
  const dataFork = range(KOLY.dataForkOffset, KOLY.dataForkLength, 'data fork');
  range(KOLY.rsrcForkOffset, KOLY.rsrcForkLength, 'resource fork');
  const plist = range(KOLY.plistOffset, KOLY.plistLength, 'plist');
  const signature = range(KOLY.codeSignatureOffset, KOLY.codeSignatureSize, 'code signature');
  if (signature.length > SIGNATURE_LIMIT)
    throw new InputError(
      `${file}: the disk image's code signature claims ${signature.length} bytes, more than any signature`,
    );
  return {
    version: bytes.readUInt32BE(KOLY.version),
    dataFork,
    plist,
    codeSignature:
      signature.offset !== 0 && signature.length !== 0 ? { offset: signature.offset, size: signature.length } : null,
    sectorCount: u64(bytes, KOLY.sectorCount, 'sector count', file),
    bytes,
  };
}

function readSignatureBlob(superBlob: SuperBlob): DmgSignature {
  const codeDirectories: CodeDirectory[] = [];
  for (const blob of superBlob.blobs) {
    const isCd = blob.slot === 0 || (blob.slot >= 0x1000 && blob.slot < 0x1005);
    if (!isCd) continue;
    const cd = blob.magic === CSMAGIC_CODEDIRECTORY ? parseCodeDirectory(blob.bytes, blob.slot) : null;
    if (cd) codeDirectories.push(cd);
    else superBlob.problems.push(`the blob in slot 0x${blob.slot.toString(16)} is not a CodeDirectory`);
  }
  return { superBlob, codeDirectories, slots: superBlob.blobs.map((b) => b.slot) };
}

/** A BlobWrapper's payload (a stapled ticket), or null. */
function wrapperPayload(superBlob: SuperBlob, slot: number): Buffer | null {
  const blob = findBlob(superBlob, slot);
  return blob && blob.magic === CSMAGIC_BLOBWRAPPER ? Buffer.from(blob.bytes.subarray(8)) : null;
}

function ticketQuery(cds: CodeDirectory[]): DmgInfo['ticketQuery'] {
  const cd = cds.find((c) => c.hashType === 2) ?? cds.find((c) => c.hashType === 1);
  if (!cd || cd.cdhash.length !== 20) return null;
  return { digestType: cd.hashType as 1 | 2, cdhash: cd.cdhash.toString('hex') };
}

/** Opens the file, reads trailer and signature, and hands the open source to `use` (verification reads the image). */
async function withDmg<T>(file: string, use: (info: DmgInfo, source: FileSource) => Promise<T>): Promise<T> {
  const source = await FileSource.open(file);
  try {
    if (source.size < KOLY_SIZE) throw new InputError(`${file}: not a disk image (shorter than a koly trailer)`);
    const koly = parseKoly(source.read(source.size - KOLY_SIZE, KOLY_SIZE), source.size, file);
    let signature: DmgSignature | null = null;
    if (koly.codeSignature) {
      const superBlob = parseSuperBlob(source.read(koly.codeSignature.offset, koly.codeSignature.size));
      if (superBlob.blobs.length === 0 && superBlob.problems.length > 0)
        throw new InputError(`${file}: the disk image's code signature is malformed: ${superBlob.problems[0]}`);
      signature = readSignatureBlob(superBlob);
    }
    const info: DmgInfo = {
      path: file,
      size: source.size,
      koly,
      signature,
      ticketQuery: signature ? ticketQuery(signature.codeDirectories) : null,
      stapledTicket: signature ? wrapperPayload(signature.superBlob, CSSLOT_TICKETSLOT) : null,
    };
    return await use(info, source);
  } finally {
    await source.close();
  }
}

export function readDmg(file: string): Promise<DmgInfo> {
  return withDmg(file, async (info) => info);
}

/** The trailer as the CodeDirectory's rep-specific slot hashes it: signature size 0, offset at the plist's end. */
export function kolyForDigest(koly: KolyTrailer): Buffer {
  return kolyWithSignature(koly, koly.plist.offset + koly.plist.length, 0);
}

/** Recomputes the image's code hash and the trailer hash of every CodeDirectory; the problems found (empty: valid). */
export function verifyDmgSignature(file: string): Promise<{ info: DmgInfo; problems: string[] }> {
  return withDmg(file, async (info, source) => {
    const problems: string[] = [];
    if (!info.signature) return { info, problems: ['the disk image is not signed'] };
    problems.push(...info.signature.superBlob.problems);
    if (info.signature.codeDirectories.length === 0) problems.push('the signature has no CodeDirectory');
    for (const cd of info.signature.codeDirectories) {
      problems.push(...cd.problems);
      if (!cd.hash || cd.problems.length > 0) continue;
      const name = `the ${cd.hash.name} CodeDirectory`;
      if (cd.codeLimit > info.koly.codeSignature!.offset)
        problems.push(`${name} covers ${cd.codeLimit} bytes, past the signature at ${info.koly.codeSignature!.offset}`);
      else if (cd.nCodeSlots === 1 && cd.pageShift === 0) {
        const hash = createHash(cd.hash.algorithm);
        const scratch = Buffer.alloc(1024 * 1024);
        for (let at = 0; at < cd.codeLimit; at += scratch.length)
          hash.update(await source.chunk(at, Math.min(scratch.length, cd.codeLimit - at), scratch));
        if (!hash.digest().subarray(0, cd.hashSize).equals(slotDigest(cd, 0)!))
          problems.push(`${name}: the image's bytes do not match the signed hash (modified after signing)`);
      } else problems.push(`${name} is not a disk image's (one code slot, page size none expected)`);
      const rep = slotDigest(cd, -CSSLOT_REP_SPECIFIC);
      const koly = createHash(cd.hash.algorithm).update(kolyForDigest(info.koly)).digest().subarray(0, cd.hashSize);
      if (!rep || !rep.equals(koly)) problems.push(`${name}: the koly trailer does not match the signed hash`);
    }
    return { info, problems };
  });
}

/** The trailer with the signature's offset and size set (what signing and stapling write). */
export function kolyWithSignature(koly: KolyTrailer, offset: number, size: number): Buffer {
  const copy = Buffer.from(koly.bytes);
  copy.writeBigUInt64BE(BigInt(offset), KOLY.codeSignatureOffset);
  copy.writeBigUInt64BE(BigInt(size), KOLY.codeSignatureSize);
  return copy;
}

/** What `inspect --json` prints about a disk image. */
export type DmgSummary = DiskImageReport;

/** Who signed the image, from its CMS blob (slot 0x10000): none for an empty wrapper (ad hoc). */
function readImageCms(sig: DmgSignature, problems: string[]): CmsAnalysis | null {
  const blob = findBlob(sig.superBlob, CSSLOT_SIGNATURESLOT);
  if (!blob || blob.magic !== CSMAGIC_BLOBWRAPPER || blob.bytes.length <= 8) return null;
  const primary = sig.codeDirectories.find((cd) => cd.slot === 0);
  if (!primary) {
    problems.push('there is a CMS signature but no primary CodeDirectory for it to sign');
    return null;
  }
  const digests = sig.codeDirectories
    .filter((cd) => cd.hash)
    .map((cd) => ({ slot: cd.slot, hashType: cd.hashType, cdhashFull: cd.cdhashFull }));
  const cms = analyzeCms(blob.bytes.subarray(8), primary.bytes, digests);
  problems.push(...cms.failures.map((f) => f.message));
  return cms;
}

/** The report of a disk image; `problems` are what `verifyDmgSignature` found (empty: not verified, or valid). */
export function dmgSummary(info: DmgInfo, problems: string[] = []): DmgSummary {
  const sig = info.signature;
  let signature: DmgSummary['signature'] = null;
  if (sig && info.koly.codeSignature) {
    const found = [...problems];
    const cms = readImageCms(sig, found);
    const primary = sig.codeDirectories.find((cd) => cd.slot === 0) ?? sig.codeDirectories[0];
    signature = {
      ...info.koly.codeSignature,
      slots: sig.slots.map((s) => `0x${s.toString(16)}`),
      codeDirectories: sig.codeDirectories.map((cd) => ({
        identifier: cd.identifier,
        version: `0x${cd.version.toString(16)}`,
        hashType: cd.hash?.name ?? String(cd.hashType),
        cdhash: cd.cdhash.toString('hex'),
        flags: cd.flags,
      })),
      problems: found,
      signer: primary
        ? classifySigner(primary.flags, cms?.signer ?? cms?.certificates[0] ?? null, cms?.chainToAppleRoot ?? false)
        : 'none',
      certificates: cms?.certificates ?? [],
      chainToAppleRoot: cms?.chainToAppleRoot ?? false,
      timestamp: cms?.timestamp?.time ?? null,
    };
  }
  return {
    kind: 'dmg',
    koly: { version: info.koly.version, dataFork: info.koly.dataFork, plist: info.koly.plist },
    signature,
    ticketRecord: info.ticketQuery ? `2/${info.ticketQuery.digestType}/${info.ticketQuery.cdhash}` : null,
    stapledTicket: info.stapledTicket !== null,
  };
}
