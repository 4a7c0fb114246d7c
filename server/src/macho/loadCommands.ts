/**
 * The Mach-O header and the load commands our checks need, read in the slice's own byte order.
 *
 * Hand-written: the npm Mach-O readers are unmaintained and miss LC_BUILD_VERSION and fat64 (see the format notes).
 * Every command is bounds-checked against `sizeofcmds` and the slice; a header or load-command table that does not
 * fit is an InputError (the file is unusable), while odd but readable values are kept for the checks to judge.
 */
import { InputError } from '../errors';
import {
  archName,
  clampU64,
  DYLIB_LOAD_COMMANDS,
  FILE_TYPES,
  flagNames,
  formatVersion,
  HEADER_FLAGS,
  LC_BUILD_VERSION,
  LC_CODE_SIGNATURE,
  LC_ENCRYPTION_INFO,
  LC_ENCRYPTION_INFO_64,
  LC_MAIN,
  LC_SEGMENT,
  LC_SEGMENT_64,
  LC_UNIXTHREAD,
  LC_UUID,
  MH_CIGAM,
  MH_CIGAM_64,
  MH_MAGIC,
  MH_MAGIC_64,
  PLATFORMS,
  VERSION_MIN_PLATFORMS,
} from './format';
import { ByteSource, readChecked } from './source';

export interface Section {
  name: string;
  segment: string;
  fileOffset: number;
  size: number;
}

export interface Segment {
  name: string;
  fileOffset: number;
  fileSize: number;
  sections: Section[];
}

export interface MachOHeader {
  is64: boolean;
  littleEndian: boolean;
  cputype: number;
  cpusubtype: number;
  arch: string;
  fileType: number;
  fileTypeName: string;
  flags: number;
  flagNames: string[];
  headerSize: number;
  ncmds: number;
  sizeOfCmds: number;
}

export interface MachOImage {
  header: MachOHeader;
  segments: Segment[];
  platform: string | null;
  minOS: string | null;
  sdk: string | null;
  /** Raw SDK version (u32 xxxx.yy.zz), for comparisons. */
  sdkValue: number | null;
  uuid: string | null;
  dylibs: string[];
  entryPoint: 'LC_MAIN' | 'LC_UNIXTHREAD' | null;
  codeSignature: { dataOffset: number; dataSize: number } | null;
  /** Slice ranges that LC_ENCRYPTION_INFO says are encrypted on disk (cryptid != 0): cryptoff and cryptsize. */
  encryptedRanges: { offset: number; size: number }[];
  /** Non-fatal oddities in the load commands. */
  warnings: string[];
}

const MAX_LOAD_COMMANDS_SIZE = 16 * 1024 * 1024;

export function readHeader(source: ByteSource): MachOHeader {
  const head = readChecked(source, 0, 28, 'Mach-O header');
  const magicBE = head.readUInt32BE(0);
  let is64: boolean;
  let littleEndian: boolean;
  switch (magicBE) {
    case MH_CIGAM_64:
      [is64, littleEndian] = [true, true];
      break;
    case MH_CIGAM:
      [is64, littleEndian] = [false, true];
      break;
    case MH_MAGIC_64:
      [is64, littleEndian] = [true, false];
      break;
    case MH_MAGIC:
      [is64, littleEndian] = [false, false];
      break;
    default:
      throw new InputError(`${source.name}: not a Mach-O file (magic 0x${magicBE.toString(16).padStart(8, '0')})`);
  }
  const u32 = (at: number) => (littleEndian ? head.readUInt32LE(at) : head.readUInt32BE(at));
  const cputype = u32(4) | 0;
  const cpusubtype = u32(8);
  const fileType = u32(12);
  const flags = u32(24);
  return {
    is64,
    littleEndian,
    cputype,
    cpusubtype,
    arch: archName(cputype, cpusubtype),
    fileType,
    fileTypeName: FILE_TYPES[fileType] ?? `0x${fileType.toString(16)}`,
    flags,
    flagNames: flagNames(flags, HEADER_FLAGS),
    headerSize: is64 ? 32 : 28,
    ncmds: u32(16),
    sizeOfCmds: u32(20),
  };
}

/** A reader over the load-command bytes in the slice's byte order. */
class Reader {
  constructor(
    readonly bytes: Buffer,
    private readonly le: boolean,
  ) {}
  u32(at: number): number {
    return this.le ? this.bytes.readUInt32LE(at) : this.bytes.readUInt32BE(at);
  }
  u64(at: number): number {
    return clampU64(this.le ? this.bytes.readBigUInt64LE(at) : this.bytes.readBigUInt64BE(at));
  }
  /** A fixed-size, NUL-padded name such as segname[16]. */
  name(at: number, length: number): string {
    const raw = this.bytes.subarray(at, at + length);
    const end = raw.indexOf(0);
    return raw.subarray(0, end < 0 ? length : end).toString('latin1');
  }
  /** A NUL-terminated string that must end inside [at, limit). */
  cString(at: number, limit: number): string | null {
    if (at >= limit) return null;
    const end = this.bytes.indexOf(0, at);
    if (end < 0 || end >= limit) return null;
    return this.bytes.subarray(at, end).toString('utf8');
  }
}

export function parseMachO(source: ByteSource): MachOImage {
  const header = readHeader(source);
  const { ncmds } = header;
  if (header.sizeOfCmds > MAX_LOAD_COMMANDS_SIZE) {
    throw new InputError(`${source.name}: load commands claim ${header.sizeOfCmds} bytes`);
  }
  const bytes = readChecked(source, header.headerSize, header.sizeOfCmds, 'load commands');
  const r = new Reader(bytes, header.littleEndian);
  const image: MachOImage = {
    header,
    segments: [],
    platform: null,
    minOS: null,
    sdk: null,
    sdkValue: null,
    uuid: null,
    dylibs: [],
    entryPoint: null,
    codeSignature: null,
    encryptedRanges: [],
    warnings: [],
  };
  // Every load command is at least 8 bytes, so ncmds cannot exceed sizeofcmds/8 in a well-formed file.
  if (ncmds > header.sizeOfCmds / 8) {
    throw new InputError(`${source.name}: header claims ${ncmds} load commands in ${header.sizeOfCmds} bytes`);
  }
  let at = 0;
  for (let i = 0; i < ncmds; i++) {
    if (at + 8 > bytes.length)
      throw new InputError(`${source.name}: load command ${i} lies past the end of the load commands`);
    const cmd = r.u32(at);
    const cmdsize = r.u32(at + 4);
    if (cmdsize < 8 || at + cmdsize > bytes.length) {
      throw new InputError(`${source.name}: load command ${i} (0x${cmd.toString(16)}) has an invalid size ${cmdsize}`);
    }
    if (cmdsize % (header.is64 ? 8 : 4) !== 0) {
      image.warnings.push(`load command ${i} (0x${cmd.toString(16)}) size ${cmdsize} is not aligned`);
    }
    readCommand(r, at, cmd, cmdsize, image, source.name);
    at += cmdsize;
  }
  checkTrailingBytes(image, source.size);
  return image;
}

/**
 * Bytes after everything the load commands describe (segments, the signature) belong to no part of the image, and no
 * signature covers them: data appended to a binary, as installers and droppers do. The loader never maps them.
 */
function checkTrailingBytes(image: MachOImage, size: number): void {
  const ends = image.segments.map((s) => s.fileOffset + s.fileSize);
  if (image.codeSignature) ends.push(image.codeSignature.dataOffset + image.codeSignature.dataSize);
  const end = Math.max(image.header.headerSize + image.header.sizeOfCmds, ...ends);
  if (end < size)
    image.warnings.push(
      `${size - end} bytes follow the end of the Mach-O image (offset ${end}): they belong to no segment and no signature covers them`,
    );
}

function need(cmdsize: number, min: number, what: string, file: string): void {
  if (cmdsize < min) throw new InputError(`${file}: ${what} load command is too short (${cmdsize} bytes)`);
}

function readCommand(r: Reader, at: number, cmd: number, cmdsize: number, image: MachOImage, file: string): void {
  const end = at + cmdsize;
  switch (cmd) {
    case LC_SEGMENT_64:
    case LC_SEGMENT: {
      const is64 = cmd === LC_SEGMENT_64;
      need(cmdsize, is64 ? 72 : 56, 'segment', file);
      const nsects = r.u32(at + (is64 ? 64 : 48));
      const sectSize = is64 ? 80 : 68;
      const first = at + (is64 ? 72 : 56);
      if (first + nsects * sectSize > end)
        throw new InputError(`${file}: segment command lists ${nsects} sections that do not fit`);
      const segment: Segment = {
        name: r.name(at + 8, 16),
        fileOffset: is64 ? r.u64(at + 40) : r.u32(at + 32),
        fileSize: is64 ? r.u64(at + 48) : r.u32(at + 36),
        sections: [],
      };
      for (let s = 0; s < nsects; s++) {
        const sa = first + s * sectSize;
        segment.sections.push({
          name: r.name(sa, 16),
          segment: r.name(sa + 16, 16),
          size: is64 ? r.u64(sa + 40) : r.u32(sa + 36),
          fileOffset: r.u32(sa + (is64 ? 48 : 40)),
        });
      }
      image.segments.push(segment);
      break;
    }
    case LC_CODE_SIGNATURE:
      need(cmdsize, 16, 'LC_CODE_SIGNATURE', file);
      if (image.codeSignature) image.warnings.push('more than one LC_CODE_SIGNATURE; the first one is used');
      else image.codeSignature = { dataOffset: r.u32(at + 8), dataSize: r.u32(at + 12) };
      break;
    case LC_BUILD_VERSION:
      need(cmdsize, 24, 'LC_BUILD_VERSION', file);
      if (image.platform === null) {
        const platform = r.u32(at + 8);
        image.platform = PLATFORMS[platform] ?? `platform-${platform}`;
        image.minOS = formatVersion(r.u32(at + 12));
        image.sdkValue = r.u32(at + 16);
        image.sdk = formatVersion(image.sdkValue);
      }
      break;
    case LC_UUID:
      need(cmdsize, 24, 'LC_UUID', file);
      image.uuid = formatUuid(r.bytes.subarray(at + 8, at + 24));
      break;
    case LC_MAIN:
      image.entryPoint = 'LC_MAIN';
      break;
    case LC_UNIXTHREAD:
      image.entryPoint ??= 'LC_UNIXTHREAD';
      break;
    case LC_ENCRYPTION_INFO:
    case LC_ENCRYPTION_INFO_64:
      need(cmdsize, 20, 'LC_ENCRYPTION_INFO', file);
      if (r.u32(at + 16) !== 0) image.encryptedRanges.push({ offset: r.u32(at + 8), size: r.u32(at + 12) });
      break;
    default:
      if (cmd in VERSION_MIN_PLATFORMS) {
        need(cmdsize, 16, 'LC_VERSION_MIN', file);
        // LC_BUILD_VERSION wins when both are present; it is the newer, more precise command.
        if (image.platform === null) {
          image.platform = VERSION_MIN_PLATFORMS[cmd];
          image.minOS = formatVersion(r.u32(at + 8));
          image.sdkValue = r.u32(at + 12);
          image.sdk = formatVersion(image.sdkValue);
        }
      } else if (DYLIB_LOAD_COMMANDS.has(cmd)) {
        need(cmdsize, 24, 'dylib', file);
        const name = r.cString(at + r.u32(at + 8), end);
        image.dylibs.push(name ?? '(unterminated name)');
      }
  }
}

function formatUuid(b: Buffer): string {
  const h = b.toString('hex').toUpperCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * The segment and section(s) that bytes [start, end) of the slice fall in, for messages about a failing page.
 * A page can straddle sections; all of them are named.
 */
export function locate(image: MachOImage, start: number, end: number): { segment?: string; section?: string } {
  const commandsEnd = image.header.headerSize + image.header.sizeOfCmds;
  for (const segment of image.segments) {
    if (start < segment.fileOffset || start >= segment.fileOffset + segment.fileSize) continue;
    const names = segment.sections
      .filter((s) => s.fileOffset !== 0 && s.size > 0 && s.fileOffset < end && s.fileOffset + s.size > start)
      .map((s) => s.name);
    if (start < commandsEnd) names.unshift('(Mach-O header and load commands)');
    return { segment: segment.name, section: names.length > 0 ? names.join('+') : undefined };
  }
  return start < commandsEnd ? { section: '(Mach-O header and load commands)' } : {};
}
