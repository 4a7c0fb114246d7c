/**
 * Where the signature of one thin slice goes, and what the load commands must say about it.
 *
 * Contract: `readSliceLayout` reads the header and load commands a signer needs (segments with their command
 * offsets, LC_CODE_SIGNATURE, the platform and SDK, the first section's file offset), bounds-checked, InputError on
 * anything unusable. `keepPlan` reuses the existing signature space when the signature is the last thing in
 * __LINKEDIT and the slice: only the signature bytes will change. `growPlan` does what Apple's codesign_allocate does
 * (cctools misc/codesign_allocate.c): with LC_CODE_SIGNATURE it keeps dataoff and resizes datasize; without one it
 * appends the 16-byte command after the last load command when it fits before the first section's contents, and
 * places the signature at the end of __LINKEDIT rounded up to 16. __LINKEDIT's filesize grows to end with the
 * signature; its vmsize is rounded up to the segment alignment only when the file size outgrows it. Every other byte
 * is unchanged. A plan's `head` is the new slice up to the signature: what the page hashes cover.
 * `signatureSpace` sizes the space as Security's signer does (`SuperBlob::Maker::size` with CodeDirectories sized at
 * version 0x20500 and 18000 bytes reserved for the CMS, even ad hoc), rounded up to 16.
 */
import { InputError } from '../errors';
import { readHeader } from '../macho/loadCommands';
import { BufferSource, ByteSource } from '../macho/source';
import {
  LC_BUILD_VERSION,
  LC_CODE_SIGNATURE,
  LC_SEGMENT,
  LC_SEGMENT_64,
  LC_VERSION_MIN_IPHONEOS,
  LC_VERSION_MIN_MACOSX,
  LC_VERSION_MIN_TVOS,
  LC_VERSION_MIN_WATCHOS,
  MH_MAGIC,
  MH_MAGIC_64,
} from '../macho/format';

export interface SegmentLayout {
  name: string;
  /** Offset of the segment command in the slice. */
  commandOffset: number;
  vmaddr: number;
  vmsize: number;
  fileoff: number;
  filesize: number;
}

export interface SliceLayout {
  name: string;
  size: number;
  is64: boolean;
  littleEndian: boolean;
  fileType: number;
  headerSize: number;
  ncmds: number;
  sizeOfCmds: number;
  /** Where the last of the ncmds load commands ends (sizeofcmds may claim more). */
  commandsEnd: number;
  segments: SegmentLayout[];
  text: SegmentLayout | null;
  linkedit: SegmentLayout | null;
  codeSignature: { commandOffset: number; dataOffset: number; dataSize: number } | null;
  /** Lowest file offset of section contents (or of a section-less segment): where the load commands must end. */
  firstContent: number;
  /** LC_BUILD_VERSION / LC_VERSION_MIN_* platform (1 macOS, 2 iOS, 3 tvOS, 4 watchOS), 0 when none. */
  platform: number;
  minVersion: number;
  sdkVersion: number;
  /** The `__TEXT,__info_plist` section, which codesign seals in special slot 1 for a bare executable. */
  infoPlist: { offset: number; size: number } | null;
  /** Segment alignment as a power of two, guessed from vmaddrs as cctools' get_seg_align does. */
  segAlign: number;
}

/** `length` bytes of `source` from `offset`: a part of a signed file, hashed and written where it lies. */
export interface Piece {
  source: ByteSource;
  offset: number;
  length: number;
}

export function inMemory(bytes: Buffer, name = 'the signature'): Piece {
  return { source: new BufferSource(bytes, name), offset: 0, length: bytes.length };
}

export interface SlicePlan {
  /**
   * The new slice up to the signature, in pieces laid end to end: a small copy of the first pages with the load
   * commands edited (when the space changes), views of the unchanged bytes, and zero padding. Every piece but the last
   * is a whole number of 4 KiB pages, so each is hashed on its own; nothing large is copied, which on most machines
   * costs more (fresh pages faulted in) than hashing it.
   */
  head: Piece[];
  dataOffset: number;
  /** LC_CODE_SIGNATURE datasize: the SuperBlob plus zero padding. */
  space: number;
  kept: boolean;
}

const MAX_LOAD_COMMANDS = 16 * 1024 * 1024;
const S_ZEROFILL = 0x1;
const S_THREAD_LOCAL_ZEROFILL = 0x12;
const SECTION_TYPE = 0xff;
const UINT32_MAX = 0xffffffff;

const alignUp = (n: number, to: number) => Math.ceil(n / to) * to;

/** Lowest set bit of a vmaddr, clamped to [3 or 2, 15] (cctools libstuff/align.c guess_align). */
function guessAlign(vmaddr: number, min: number): number {
  if (vmaddr === 0) return 15;
  let align = 0;
  while (align < 15 && vmaddr % 2 ** (align + 1) === 0) align++;
  return Math.max(min, Math.min(15, align));
}

/**
 * The layout of a slice of `size` bytes (default: `bytes.length`) from `bytes`, which needs to hold only its header and
 * load commands (see `readHead`).
 */
export function readSliceLayout(bytes: Buffer, name: string, size = bytes.length): SliceLayout {
  const source = new BufferSource(bytes, name);
  const header = readHeader(source);
  const { is64, littleEndian } = header;
  if (header.sizeOfCmds > MAX_LOAD_COMMANDS || header.headerSize + header.sizeOfCmds > bytes.length)
    throw new InputError(`${name}: the load commands (${header.sizeOfCmds} bytes) do not fit in the file`);
  if (header.ncmds > header.sizeOfCmds / 8)
    throw new InputError(`${name}: header claims ${header.ncmds} load commands in ${header.sizeOfCmds} bytes`);
  const u32 = (at: number) => (littleEndian ? bytes.readUInt32LE(at) : bytes.readUInt32BE(at));
  const u64 = (at: number) => {
    const v = littleEndian ? bytes.readBigUInt64LE(at) : bytes.readBigUInt64BE(at);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new InputError(`${name}: a segment field is too large (${v})`);
    return Number(v);
  };
  const layout: SliceLayout = {
    name,
    size,
    is64,
    littleEndian,
    fileType: header.fileType,
    headerSize: header.headerSize,
    ncmds: header.ncmds,
    sizeOfCmds: header.sizeOfCmds,
    commandsEnd: header.headerSize,
    segments: [],
    text: null,
    linkedit: null,
    codeSignature: null,
    firstContent: Number.MAX_SAFE_INTEGER,
    platform: 0,
    minVersion: 0,
    sdkVersion: 0,
    infoPlist: null,
    segAlign: 15,
  };
  const end = header.headerSize + header.sizeOfCmds;
  let versionSeen = false;
  for (let i = 0, at = header.headerSize; i < header.ncmds; i++) {
    if (at + 8 > end) throw new InputError(`${name}: load command ${i} lies past the end of the load commands`);
    const cmd = u32(at);
    const cmdsize = u32(at + 4);
    if (cmdsize < 8 || at + cmdsize > end)
      throw new InputError(`${name}: load command ${i} (0x${cmd.toString(16)}) has an invalid size ${cmdsize}`);
    const need = (min: number, what: string) => {
      if (cmdsize < min) throw new InputError(`${name}: ${what} load command ${i} is too short (${cmdsize} bytes)`);
    };
    if (cmd === LC_SEGMENT_64 || cmd === LC_SEGMENT) {
      const wide = cmd === LC_SEGMENT_64;
      need(wide ? 72 : 56, 'segment');
      const field = (n: number) => (wide ? u64(at + 24 + 8 * n) : u32(at + 24 + 4 * n));
      const segment: SegmentLayout = {
        name: bytes
          .subarray(at + 8, at + 24)
          .toString('latin1')
          .replace(/\0.*$/s, ''),
        commandOffset: at,
        vmaddr: field(0),
        vmsize: field(1),
        fileoff: field(2),
        filesize: field(3),
      };
      const nsects = u32(at + (wide ? 64 : 48));
      const sectSize = wide ? 80 : 68;
      const first = at + (wide ? 72 : 56);
      if (nsects > cmdsize / sectSize || first + nsects * sectSize > at + cmdsize)
        throw new InputError(`${name}: segment ${segment.name} lists ${nsects} sections that do not fit`);
      for (let s = 0; s < nsects; s++) {
        const sa = first + s * sectSize;
        const size = wide ? u64(sa + 40) : u32(sa + 36);
        const offset = u32(sa + (wide ? 48 : 40));
        const type = u32(sa + (wide ? 64 : 56)) & SECTION_TYPE;
        if (size !== 0 && type !== S_ZEROFILL && type !== S_THREAD_LOCAL_ZEROFILL)
          layout.firstContent = Math.min(layout.firstContent, offset);
        const sectname = bytes
          .subarray(sa, sa + 16)
          .toString('latin1')
          .replace(/\0.*$/s, '');
        if (segment.name === '__TEXT' && sectname === '__info_plist') layout.infoPlist = { offset, size };
      }
      if (nsects === 0 && segment.fileoff !== 0 && segment.filesize !== 0)
        layout.firstContent = Math.min(layout.firstContent, segment.fileoff);
      if (header.fileType !== 1) layout.segAlign = Math.min(layout.segAlign, guessAlign(segment.vmaddr, wide ? 3 : 2));
      layout.segments.push(segment);
      if (segment.name === '__TEXT') layout.text ??= segment;
      if (segment.name === '__LINKEDIT') {
        if (layout.linkedit) throw new InputError(`${name}: two __LINKEDIT segments`);
        layout.linkedit = segment;
      }
    } else if (cmd === LC_CODE_SIGNATURE) {
      need(16, 'LC_CODE_SIGNATURE');
      if (layout.codeSignature) throw new InputError(`${name}: two LC_CODE_SIGNATURE load commands`);
      layout.codeSignature = { commandOffset: at, dataOffset: u32(at + 8), dataSize: u32(at + 12) };
    } else if (cmd === LC_BUILD_VERSION && !versionSeen) {
      need(24, 'LC_BUILD_VERSION');
      [layout.platform, layout.minVersion, layout.sdkVersion] = [u32(at + 8), u32(at + 12), u32(at + 16)];
      versionSeen = true;
    } else if (cmd in VERSION_MIN && !versionSeen) {
      need(16, 'LC_VERSION_MIN');
      [layout.platform, layout.minVersion, layout.sdkVersion] = [VERSION_MIN[cmd], u32(at + 8), u32(at + 12)];
      versionSeen = true;
    }
    at += cmdsize;
    layout.commandsEnd = at;
  }
  return layout;
}

const VERSION_MIN: Record<number, number> = {
  [LC_VERSION_MIN_MACOSX]: 1,
  [LC_VERSION_MIN_IPHONEOS]: 2,
  [LC_VERSION_MIN_TVOS]: 3,
  [LC_VERSION_MIN_WATCHOS]: 4,
};

/** The signature is the last thing in __LINKEDIT and in the slice: the shape ld64, Go and codesign leave. */
function signatureIsLast(layout: SliceLayout): boolean {
  const { codeSignature: cs, linkedit } = layout;
  if (!cs || !linkedit) return false;
  const end = cs.dataOffset + cs.dataSize;
  return cs.dataOffset >= linkedit.fileoff && end === linkedit.fileoff + linkedit.filesize && end === layout.size;
}

/**
 * The header and load commands of a slice: all of it the signer reads into memory (the pages are hashed and copied
 * from where they are). Short when the slice is; `readSliceLayout` then says what is wrong.
 */
export function readHead(source: ByteSource): Buffer {
  const first = source.read(0, Math.min(source.size, 32));
  if (first.length < 28) return first;
  const little = first.readUInt32LE(0) === MH_MAGIC || first.readUInt32LE(0) === MH_MAGIC_64;
  const big = first.readUInt32BE(0) === MH_MAGIC || first.readUInt32BE(0) === MH_MAGIC_64;
  if (!little && !big) return first;
  const wide = (little ? first.readUInt32LE(0) : first.readUInt32BE(0)) === MH_MAGIC_64;
  const sizeOfCmds = little ? first.readUInt32LE(20) : first.readUInt32BE(20);
  if (sizeOfCmds > MAX_LOAD_COMMANDS) return first;
  return source.read(0, Math.min(source.size, (wide ? 32 : 28) + sizeOfCmds));
}

/** Reuse the existing signature space: the slice up to it stays byte for byte. */
export function keepPlan(source: ByteSource, layout: SliceLayout): SlicePlan | null {
  if (!signatureIsLast(layout)) return null;
  const { dataOffset, dataSize } = layout.codeSignature!;
  return { head: [{ source, offset: 0, length: dataOffset }], dataOffset, space: dataSize, kept: true };
}

/** A new layout with `space` bytes of signature at the end of __LINKEDIT (codesign_allocate's). */
export function growPlan(source: ByteSource, layout: SliceLayout, space: number): SlicePlan {
  const { name, linkedit } = layout;
  if (space % 16 !== 0) throw new RangeError('the signature space must be a multiple of 16');
  if (!linkedit) throw new InputError(`${name}: there is no __LINKEDIT segment to hold a signature`);
  const linkeditEnd = linkedit.fileoff + linkedit.filesize;
  const after = layout.segments.find(
    (s) => s !== linkedit && s.filesize > 0 && s.fileoff + s.filesize > linkedit.fileoff,
  );
  if (after)
    throw new InputError(
      `${name}: segment ${after.name} lies after __LINKEDIT in the file, so __LINKEDIT cannot grow to hold the signature`,
    );
  if (linkeditEnd > layout.size)
    throw new InputError(`${name}: __LINKEDIT ends at ${linkeditEnd}, past the end of the file (${layout.size})`);

  let dataOffset: number;
  const cs = layout.codeSignature;
  if (cs) {
    if (cs.dataOffset < linkedit.fileoff || cs.dataOffset + cs.dataSize !== linkeditEnd)
      throw new InputError(`${name}: the existing signature is not at the end of __LINKEDIT, where a signer puts it`);
    dataOffset = cs.dataOffset;
  } else {
    const commandsEnd = layout.headerSize + layout.sizeOfCmds;
    if (layout.commandsEnd !== commandsEnd)
      throw new InputError(
        `${name}: the load commands end at ${layout.commandsEnd} but the header says ${commandsEnd}, so a new one cannot be added`,
      );
    if (commandsEnd + 16 > layout.firstContent)
      throw new InputError(
        `${name}: no room for LC_CODE_SIGNATURE: the load commands end at ${commandsEnd} and the first section starts at ${layout.firstContent} (relink with a larger -headerpad)`,
      );
    dataOffset = alignUp(linkeditEnd, 16);
  }
  if (layout.size > linkeditEnd)
    throw new InputError(
      `${name}: ${layout.size - linkeditEnd} bytes follow __LINKEDIT at the end of the file; signing would lose them`,
    );
  const filesize = dataOffset + space - linkedit.fileoff;
  const vmsize = filesize > linkedit.vmsize ? alignUp(filesize, 2 ** layout.segAlign) : linkedit.vmsize;
  const overlap = layout.segments.find(
    (s) => s !== linkedit && s.vmsize > 0 && s.vmaddr < linkedit.vmaddr + vmsize && s.vmaddr >= linkedit.vmaddr,
  );
  if (overlap && vmsize > linkedit.vmsize)
    throw new InputError(`${name}: growing __LINKEDIT would overlap segment ${overlap.name} in memory`);
  if (!layout.is64 && (dataOffset + space > UINT32_MAX || vmsize > UINT32_MAX))
    throw new InputError(`${name}: the signed file would exceed 4 GiB`);
  if (dataOffset + space > UINT32_MAX) throw new InputError(`${name}: LC_CODE_SIGNATURE cannot point past 4 GiB`);

  // The edited load commands lie in the first pages; the rest of the slice is a view, then zeros up to the signature.
  const kept = Math.min(source.size, dataOffset);
  const edited = Math.min(alignUp(layout.headerSize + layout.sizeOfCmds + 16, PIECE_ALIGN), kept);
  const unchanged = Math.max(edited, kept - (kept % PIECE_ALIGN));
  const head = source.read(0, edited);
  const tail = Buffer.alloc(dataOffset - unchanged);
  source.read(unchanged, kept - unchanged).copy(tail);
  const w32 = (at: number, v: number) => (layout.littleEndian ? head.writeUInt32LE(v, at) : head.writeUInt32BE(v, at));
  const w64 = (at: number, v: number) =>
    layout.littleEndian ? head.writeBigUInt64LE(BigInt(v), at) : head.writeBigUInt64BE(BigInt(v), at);
  if (layout.is64) {
    w64(linkedit.commandOffset + 32, vmsize);
    w64(linkedit.commandOffset + 48, filesize);
  } else {
    w32(linkedit.commandOffset + 28, vmsize);
    w32(linkedit.commandOffset + 36, filesize);
  }
  if (cs) {
    w32(cs.commandOffset + 12, space);
  } else {
    const at = layout.headerSize + layout.sizeOfCmds;
    w32(at, LC_CODE_SIGNATURE);
    w32(at + 4, 16);
    w32(at + 8, dataOffset);
    w32(at + 12, space);
    w32(16, layout.ncmds + 1);
    w32(20, layout.sizeOfCmds + 16);
  }
  const pieces = [inMemory(head), { source, offset: edited, length: unchanged - edited }, inMemory(tail)];
  return { head: pieces.filter((piece) => piece.length > 0), dataOffset, space, kept: false };
}

/** Pieces of a plan's head start on this boundary: a multiple of every page size a CodeDirectory uses (4 KiB). */
const PIECE_ALIGN = 4096;

/** CMS reserve of Security's signer (`CodeSigner.cpp`: "big enough for now, not forever"). */
export const CMS_RESERVE = 18000;

/**
 * codesign's signature-space estimate: a SuperBlob with the component blobs, the CodeDirectories (sized at the
 * current version 0x20500) and a CMS of `cmsReserve` bytes, rounded up to 16 (codesign_allocate's unit).
 */
export function signatureSpace(
  componentLengths: number[],
  codeDirectoryLengths: number[],
  cmsReserve = CMS_RESERVE,
): number {
  const count = componentLengths.length + codeDirectoryLengths.length + 1;
  const total = [...componentLengths, ...codeDirectoryLengths].reduce((a, b) => a + b, 0) + cmsReserve;
  return alignUp(12 + 8 * count + total, 16);
}
