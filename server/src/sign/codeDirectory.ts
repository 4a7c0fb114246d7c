/**
 * Builds CodeDirectory blobs (magic 0xfade0c02) the way Apple's codesign lays them out (Security `cdbuilder.cpp`).
 *
 * Contract: `buildCodeDirectory(source, spec)` hashes `[0, codeLimit)` of the slice in pages and returns the whole
 * blob; `codeDirectorySize(spec, version)` gives its length without hashing, so the signature space can be sized
 * first. The layout is the fixed header of the chosen version, the identifier, the team ID, the special-slot
 * digests (highest slot first) and the code-page digests; nothing is padded. The version is the lowest one the
 * fields need, as codesign picks it: a runtime version needs 0x20500, an executable segment 0x20400, a code limit
 * above 4 GiB 0x20300, a team ID 0x20200, else 0x20100.
 */
import { createHash } from 'node:crypto';
import {
  CD_SUPPORTS_CODELIMIT64,
  CD_SUPPORTS_EXECSEG,
  CD_SUPPORTS_RUNTIME,
  CD_SUPPORTS_SCATTER,
  CD_SUPPORTS_TEAMID,
  CSMAGIC_CODEDIRECTORY,
} from '../macho/format';
import { hashPages } from '../macho/pageHashes';
import type { Piece } from './layout';
import { ByteSource } from '../macho/source';
import type { HashName } from './types';

/** hashType and digest length of the digests a CodeDirectory can use (cs_blobs.h CS_HASHTYPE_*). */
export const HASHES: Record<HashName, { type: number; size: number }> = {
  sha1: { type: 1, size: 20 },
  sha256: { type: 2, size: 32 },
};

export const CS_ADHOC = 0x2;
export const CS_RUNTIME = 0x10000;
export const CS_EXECSEG_MAIN_BINARY = 0x1;

export interface CodeDirectorySpec {
  identifier: string;
  teamId: string | null;
  hash: HashName;
  /** CodeDirectory flags (adhoc, runtime...). The linker-signed flag is never set by a signer. */
  flags: number;
  /** End of the hashed range: the offset of the signature in the slice. */
  codeLimit: number;
  /** Bytes per code page (4096, as codesign uses for Intel and for arm64 up to Security-61901). */
  pageSize: number;
  /** __TEXT's file offset and size and the executable-segment flags; null when the slice names no platform. */
  execSegment: { base: number; limit: number; flags: number } | null;
  /** Hardened-runtime version (the SDK version, xxxx.yy.zz); 0 for none. */
  runtimeVersion: number;
  /** The bytes each special slot seals (1 Info.plist, 2 requirements, 3 CodeResources, 5 and 7 entitlements). */
  special: Map<number, Buffer>;
}

const UINT32_MAX = 0xffffffff;

/** The lowest version that holds the fields of `spec` (cdbuilder.cpp `build()`). */
export function codeDirectoryVersion(spec: CodeDirectorySpec): number {
  if (spec.runtimeVersion !== 0) return CD_SUPPORTS_RUNTIME;
  if (spec.execSegment && spec.execSegment.limit > 0) return CD_SUPPORTS_EXECSEG;
  if (spec.codeLimit > UINT32_MAX) return CD_SUPPORTS_CODELIMIT64;
  if (spec.teamId) return CD_SUPPORTS_TEAMID;
  return CD_SUPPORTS_SCATTER;
}

/** Where the fixed header of a version ends. */
function fixedSize(version: number): number {
  if (version >= CD_SUPPORTS_RUNTIME) return 0x60;
  if (version >= CD_SUPPORTS_EXECSEG) return 0x58;
  if (version >= CD_SUPPORTS_CODELIMIT64) return 0x40;
  if (version >= CD_SUPPORTS_TEAMID) return 0x34;
  return 0x30;
}

/** codesign seals as many special slots as the highest one that holds data (cdbuilder.cpp `specialSlot`). */
export function specialSlotCount(spec: CodeDirectorySpec): number {
  return Math.max(0, ...spec.special.keys());
}

export function codeSlotCount(codeLimit: number, pageSize: number): number {
  return codeLimit > 0 ? Math.floor((codeLimit - 1) / pageSize) + 1 : 0;
}

/** The blob's length for `version` (codesign sizes its estimate with the current version, 0x20500). */
export function codeDirectorySize(spec: CodeDirectorySpec, version = codeDirectoryVersion(spec)): number {
  const { size } = HASHES[spec.hash];
  return (
    fixedSize(version) +
    Buffer.byteLength(spec.identifier) +
    1 +
    (spec.teamId ? Buffer.byteLength(spec.teamId) + 1 : 0) +
    (specialSlotCount(spec) + codeSlotCount(spec.codeLimit, spec.pageSize)) * size
  );
}

export async function buildCodeDirectory(source: ByteSource | Piece[], spec: CodeDirectorySpec): Promise<Buffer> {
  if (spec.identifier.includes('\0')) throw new RangeError('an identifier cannot contain NUL');
  const version = codeDirectoryVersion(spec);
  const { type, size } = HASHES[spec.hash];
  const nSpecial = specialSlotCount(spec);
  const nCode = codeSlotCount(spec.codeLimit, spec.pageSize);
  const length = codeDirectorySize(spec, version);
  const pageShift = Math.log2(spec.pageSize);
  if (!Number.isInteger(pageShift)) throw new RangeError(`page size ${spec.pageSize} is not a power of two`);

  const cd = Buffer.alloc(length);
  cd.writeUInt32BE(CSMAGIC_CODEDIRECTORY, 0);
  cd.writeUInt32BE(length, 4);
  cd.writeUInt32BE(version, 8);
  cd.writeUInt32BE(spec.flags >>> 0, 12);
  cd.writeUInt32BE(nSpecial, 24);
  cd.writeUInt32BE(nCode, 28);
  // Above 4 GiB codesign writes UINT32_MAX in the 32-bit field and the real limit in codeLimit64.
  cd.writeUInt32BE(spec.codeLimit > UINT32_MAX ? UINT32_MAX : spec.codeLimit, 32);
  cd[36] = size;
  cd[37] = type;
  cd[38] = 0; // platform: only Apple's own platform binaries set it
  cd[39] = pageShift;
  if (version >= CD_SUPPORTS_CODELIMIT64 && spec.codeLimit > UINT32_MAX)
    cd.writeBigUInt64BE(BigInt(spec.codeLimit), 0x38);
  if (version >= CD_SUPPORTS_EXECSEG && spec.execSegment) {
    cd.writeBigUInt64BE(BigInt(spec.execSegment.base), 0x40);
    cd.writeBigUInt64BE(BigInt(spec.execSegment.limit), 0x48);
    cd.writeBigUInt64BE(BigInt(spec.execSegment.flags), 0x50);
  }
  if (version >= CD_SUPPORTS_RUNTIME) cd.writeUInt32BE(spec.runtimeVersion >>> 0, 0x58);

  let at = fixedSize(version);
  cd.writeUInt32BE(at, 20); // identOffset
  at += cd.write(spec.identifier, at, 'utf8') + 1;
  if (spec.teamId) {
    cd.writeUInt32BE(at, 0x30);
    at += cd.write(spec.teamId, at, 'utf8') + 1;
  }
  const hashOffset = at + nSpecial * size;
  cd.writeUInt32BE(hashOffset, 16);
  for (const [slot, bytes] of spec.special) {
    createHash(spec.hash)
      .update(bytes)
      .digest()
      .copy(cd, hashOffset - slot * size);
  }
  const pages = Array.isArray(source)
    ? await hashPieces(source, spec)
    : await hashPages(source, { algorithm: spec.hash, pageSize: spec.pageSize, codeLimit: spec.codeLimit });
  pages.copy(cd, hashOffset);
  return cd;
}

/**
 * The page digests of a slice given as pieces laid end to end, each but the last a whole number of pages: each piece
 * is hashed where it lies (a large file range on several threads, as verification does).
 */
async function hashPieces(pieces: Piece[], spec: CodeDirectorySpec): Promise<Buffer> {
  const digests: Buffer[] = [];
  let offset = 0;
  for (const piece of pieces) {
    const length = Math.min(piece.length, spec.codeLimit - offset);
    if (length <= 0) break;
    if (length % spec.pageSize !== 0 && offset + length < spec.codeLimit)
      throw new RangeError('a piece of the slice that is not the last must be a whole number of pages');
    const source = piece.source.slice(piece.offset, length, piece.source.name);
    digests.push(await hashPages(source, { algorithm: spec.hash, pageSize: spec.pageSize, codeLimit: length }));
    offset += length;
  }
  return Buffer.concat(digests);
}

/** cdhash: the CodeDirectory's digest with its own algorithm, in full (the CMS attributes truncate it to 20). */
export function cdhashOf(blob: Buffer, hash: HashName): Buffer {
  return createHash(hash).update(blob).digest();
}
