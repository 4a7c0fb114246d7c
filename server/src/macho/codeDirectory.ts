/**
 * CodeDirectory blobs (magic 0xfade0c02), versions 0x20001 to 0x20600 and forward-compatible ones below 0x2F000.
 *
 * A field is read only if the blob's version has it and it lies inside the blob. The integrity rules are those of
 * Security's `CodeDirectory::checkIntegrity` and the kernel's `cs_validate_codedirectory`; a CodeDirectory that
 * breaks them is returned with `problems` so verification can report exactly which rule failed.
 */
import { createHash } from 'node:crypto';
import {
  CD_FLAGS,
  CD_SUPPORTS_CODELIMIT64,
  CD_SUPPORTS_EXECSEG,
  CD_SUPPORTS_LINKAGE,
  CD_SUPPORTS_RUNTIME,
  CD_SUPPORTS_SCATTER,
  CD_SUPPORTS_TEAMID,
  CD_VERSION_COMPATIBILITY_LIMIT,
  CD_VERSION_EARLIEST,
  CDHASH_LEN,
  clampU64,
  CSMAGIC_CODEDIRECTORY,
  EXEC_SEG_FLAGS,
  flagNames,
  formatVersion,
  HASH_TYPES,
  HashTypeInfo,
  KERNEL_PAGE_SHIFTS,
} from './format';
import { printableText } from './printable';

export interface CodeDirectory {
  slot: number;
  bytes: Buffer;
  version: number;
  flags: number;
  hashOffset: number;
  identOffset: number;
  nSpecialSlots: number;
  nCodeSlots: number;
  /** The signing limit: codeLimit64 when set, else codeLimit. */
  codeLimit: number;
  hashSize: number;
  hashType: number;
  hash: HashTypeInfo | null;
  platform: number;
  pageShift: number;
  identifier: string;
  teamId: string | null;
  scatterOffset: number;
  execSegment: { base: number; limit: number; flags: number } | null;
  runtime: number | null;
  /** Fatal problems: hashes cannot be trusted or located. */
  problems: string[];
  /** Legal but unusual: the kernel would refuse to load it, unknown future version... */
  warnings: string[];
  cdhashFull: Buffer;
  cdhash: Buffer;
}

/** End of the fixed header for a version (Security `cdbuilder.cpp` fixedSize). */
function fixedHeaderEnd(version: number): number {
  if (version >= CD_SUPPORTS_LINKAGE) return 0x6c;
  if (version >= CD_SUPPORTS_RUNTIME) return 0x60;
  if (version >= CD_SUPPORTS_EXECSEG) return 0x58;
  if (version >= CD_SUPPORTS_CODELIMIT64) return 0x40;
  if (version >= CD_SUPPORTS_TEAMID) return 0x34;
  if (version >= CD_SUPPORTS_SCATTER) return 0x30;
  return 0x2c;
}

function safeU64(bytes: Buffer, at: number): number {
  return clampU64(bytes.readBigUInt64BE(at));
}

/** A NUL-terminated name inside the CodeDirectory, shown escaped when it holds non-printable bytes (flagged). */
function cString(bytes: Buffer, at: number, what: string, warnings: string[]): string | null {
  if (at <= 0 || at >= bytes.length) return null;
  const end = bytes.indexOf(0, at);
  if (end < 0) return null;
  const { text, printable } = printableText(bytes.subarray(at, end));
  if (!printable) warnings.push(`the ${what} "${text}" contains bytes that are not printable text (shown escaped)`);
  return text;
}

/** Parses a CodeDirectory blob; returns null only when the bytes are too short to have a header at all. */
export function parseCodeDirectory(blob: Buffer, slot: number): CodeDirectory | null {
  if (blob.length < 0x2c || blob.readUInt32BE(0) !== CSMAGIC_CODEDIRECTORY) return null;
  const problems: string[] = [];
  const warnings: string[] = [];
  const length = Math.min(blob.readUInt32BE(4), blob.length);
  const bytes = blob.subarray(0, length);
  const version = bytes.readUInt32BE(8);
  const hasField = (min: number, end: number) => version >= min && end <= length;

  const hashType = bytes[0x25];
  const hashSize = bytes[0x24];
  const hash = HASH_TYPES[hashType] ?? null;
  const codeLimit32 = bytes.readUInt32BE(0x20);
  const codeLimit64 = hasField(CD_SUPPORTS_CODELIMIT64, 0x40) ? safeU64(bytes, 0x38) : 0;
  const cd: CodeDirectory = {
    slot,
    bytes,
    version,
    flags: bytes.readUInt32BE(0x0c),
    hashOffset: bytes.readUInt32BE(0x10),
    identOffset: bytes.readUInt32BE(0x14),
    nSpecialSlots: bytes.readUInt32BE(0x18),
    nCodeSlots: bytes.readUInt32BE(0x1c),
    codeLimit: codeLimit64 !== 0 ? codeLimit64 : codeLimit32,
    hashSize,
    hashType,
    hash,
    platform: bytes[0x26],
    pageShift: bytes[0x27],
    identifier: '',
    teamId: null,
    scatterOffset: hasField(CD_SUPPORTS_SCATTER, 0x30) ? bytes.readUInt32BE(0x2c) : 0,
    execSegment: hasField(CD_SUPPORTS_EXECSEG, 0x58)
      ? {
          base: safeU64(bytes, 0x40),
          limit: safeU64(bytes, 0x48),
          flags: Number(bytes.readBigUInt64BE(0x50) & 0xffffffffn),
        }
      : null,
    runtime: hasField(CD_SUPPORTS_RUNTIME, 0x5c) ? bytes.readUInt32BE(0x58) : null,
    problems,
    warnings,
    cdhashFull: Buffer.alloc(0),
    cdhash: Buffer.alloc(0),
  };

  if (version < CD_VERSION_EARLIEST || version > CD_VERSION_COMPATIBILITY_LIMIT) {
    problems.push(`unsupported CodeDirectory version 0x${version.toString(16)}`);
  } else if (version > CD_SUPPORTS_LINKAGE) {
    warnings.push(`CodeDirectory version 0x${version.toString(16)} is newer than this tool knows; read as 0x20600`);
  }
  if (!hash) problems.push(`unknown hash type ${hashType}`);
  else if (hash.size !== hashSize)
    problems.push(`hash size ${hashSize} does not match hash type ${hash.name} (${hash.size})`);

  const ident = cString(bytes, cd.identOffset, 'identifier', warnings);
  if (ident === null) problems.push('the identifier is not a NUL-terminated string inside the CodeDirectory');
  cd.identifier = ident ?? '';
  if (hasField(CD_SUPPORTS_TEAMID, 0x34)) {
    const teamOffset = bytes.readUInt32BE(0x30);
    if (teamOffset !== 0) {
      cd.teamId = cString(bytes, teamOffset, 'team ID', warnings);
      if (cd.teamId === null) problems.push('the team ID is not a NUL-terminated string inside the CodeDirectory');
    }
  }

  checkHashArray(cd, length);

  if (hash) {
    cd.cdhashFull = createHash(hash.algorithm).update(bytes).digest();
    cd.cdhash = cd.cdhashFull.subarray(0, CDHASH_LEN);
  }
  return cd;
}

/** Where the hash array lies and whether it covers the code limit in pages the kernel can load. */
function checkHashArray(cd: CodeDirectory, length: number): void {
  // Hash array bounds, in plain Number arithmetic: every operand is below 2^32, so no overflow is possible.
  const specialStart = cd.hashOffset - cd.nSpecialSlots * cd.hashSize;
  const codeEnd = cd.hashOffset + cd.nCodeSlots * cd.hashSize;
  if (specialStart < fixedHeaderEnd(cd.version) || codeEnd > length) {
    cd.problems.push(
      `the hash array (${cd.nSpecialSlots} special + ${cd.nCodeSlots} code slots at offset ${cd.hashOffset}) does not fit in the CodeDirectory`,
    );
  }
  if (cd.scatterOffset !== 0) cd.problems.push('scatter vectors are not supported for Mach-O signatures');

  const expectedSlots =
    cd.pageShift === 0
      ? cd.codeLimit > 0
        ? 1
        : 0
      : cd.codeLimit > 0
        ? Math.floor((cd.codeLimit - 1) / 2 ** cd.pageShift) + 1
        : 0;
  if (cd.pageShift > 30) cd.problems.push(`page size 2^${cd.pageShift} is not plausible`);
  else if (cd.nCodeSlots !== expectedSlots) {
    cd.problems.push(
      `${cd.nCodeSlots} code slots do not cover the code limit ${cd.codeLimit} (expected ${expectedSlots})`,
    );
  }
  if (!KERNEL_PAGE_SHIFTS.includes(cd.pageShift)) {
    cd.warnings.push(
      `page size ${cd.pageShift === 0 ? 'infinite (0)' : 2 ** cd.pageShift} is not loadable by macOS (4096 or 16384 expected)`,
    );
  }
}

/** Code slot `i` (i >= 0) or special slot `-k` (k >= 1) digest, or null if outside the array. */
export function slotDigest(cd: CodeDirectory, index: number): Buffer | null {
  if (index < 0 && -index > cd.nSpecialSlots) return null;
  if (index >= cd.nCodeSlots) return null;
  const at = cd.hashOffset + index * cd.hashSize;
  if (at < 0 || at + cd.hashSize > cd.bytes.length) return null;
  return cd.bytes.subarray(at, at + cd.hashSize);
}

export function pageSize(cd: CodeDirectory): number {
  return cd.pageShift === 0 ? cd.codeLimit : 2 ** cd.pageShift;
}

export function describeFlags(cd: CodeDirectory): string[] {
  return flagNames(cd.flags, CD_FLAGS);
}

export function describeExecSegFlags(flags: number): string[] {
  return flagNames(flags, EXEC_SEG_FLAGS);
}

export function runtimeVersion(cd: CodeDirectory): string | null {
  return cd.runtime === null || cd.runtime === 0 ? null : formatVersion(cd.runtime);
}

/** Security's preference among several CodeDirectories: SHA-384 > SHA-256 > truncated SHA-256 > SHA-1. */
export function preferredCodeDirectory(cds: CodeDirectory[]): CodeDirectory | undefined {
  return [...cds].sort((a, b) => (b.hash?.rank ?? 0) - (a.hash?.rank ?? 0))[0];
}
