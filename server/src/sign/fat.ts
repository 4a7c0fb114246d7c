/**
 * The builtin `lipo -create`: writes a universal ("fat") file from Mach-O inputs, byte for byte as `llvm-lipo -create`
 * writes it, so a release made without Apple's tools is the same file a Mac would make.
 *
 * Contract (llvm's MachOUniversalWriter and llvm-lipo, which follow cctools lipo):
 * - Thin inputs become one slice each. Universal inputs are flattened, as llvm-lipo does: each of their Mach-O slices
 *   becomes a slice, keeping the alignment its fat entry gave it. Anything else (not Mach-O, a static library inside a
 *   universal file) is an InputError naming the file.
 * - Two slices with the same cputype and cpusubtype are refused: the loader could only ever pick one.
 * - A slice's alignment (log2) is the page size of its architecture: 2^12 for i386, x86_64, ppc, ppc64; 2^14 for arm,
 *   arm64, arm64_32. For any other CPU it is the smallest alignment of its segments' addresses (for an object file:
 *   the largest alignment of its sections), between 2^2 and 2^15.
 * - Slices are ordered as llvm-lipo orders them (a stable sort): by cpusubtype within one cputype; arm64 after every
 *   other cputype; otherwise by alignment, smallest first. Each slice starts at the next multiple of its alignment
 *   after the fat header and the previous slice; the gaps are zeros; nothing follows the last slice.
 * - The header is FAT_MAGIC (32-bit entries) as llvm-lipo writes it; FAT_MAGIC_64 only when an offset or a size does
 *   not fit in 32 bits (where llvm-lipo would fail).
 * - Inputs are read through fileAccess.ts and copied in pieces (memory stays at one piece whatever their size). The
 *   output is written to a temporary file next to it and renamed, so no half-written file is ever left at `output`;
 *   it is executable when an input is, as llvm-lipo does.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { InputError } from '../errors';
import { isExecutableFile } from '../fileAccess';
import { parseFatArchs, sniffMachO } from '../macho/container';
import {
  CPU_TYPE_ARM,
  CPU_TYPE_ARM64,
  CPU_TYPE_ARM64_32,
  CPU_TYPE_POWERPC,
  CPU_TYPE_POWERPC64,
  CPU_TYPE_X86,
  CPU_TYPE_X86_64,
  FAT_MAGIC,
  FAT_MAGIC_64,
  LC_SEGMENT,
  LC_SEGMENT_64,
} from '../macho/format';
import { MachOHeader, parseMachO } from '../macho/loadCommands';
import { ByteSource, FileSource, readChecked } from '../macho/source';

/** llvm's MachOUniversalBinary::MaxSectionAlignment: 2^15. */
const MAX_P2_ALIGN = 15;
const MH_OBJECT = 0x1;
const UINT32_MAX = 0xffffffff;
/** Slices are copied in pieces of this size. */
const PIECE = 1024 * 1024;

/** One slice of the output: where its bytes come from and what its fat entry says. */
export interface SliceInput {
  /** The input file it comes from, for messages. */
  file: string;
  /** Where the slice's bytes start in that file (0 for a thin input) and how many there are. */
  inputOffset: number;
  size: number;
  /** Unsigned, as the fat entry stores them. */
  cputype: number;
  cpusubtype: number;
  /** log2 of the alignment. */
  align: number;
  /** The architecture's name as lipo prints it. */
  arch: string;
}

export interface FatEntry extends SliceInput {
  /** Where the slice starts in the universal file. */
  offset: number;
}

export interface FatLayout {
  magic: typeof FAT_MAGIC | typeof FAT_MAGIC_64;
  entries: FatEntry[];
  /** The header and the entry table, as written at offset 0. */
  header: Buffer;
  /** The size of the whole universal file. */
  size: number;
}

/** log2 alignment from the slice's own segments (llvm's calculateFileAlignment), for CPUs with no fixed page size. */
function segmentAlignment(source: ByteSource, header: MachOHeader): number {
  const le = header.littleEndian;
  const bytes = readChecked(source, header.headerSize, header.sizeOfCmds, 'load commands');
  const u32 = (at: number) => (le ? bytes.readUInt32LE(at) : bytes.readUInt32BE(at));
  const u64 = (at: number) => (le ? bytes.readBigUInt64LE(at) : bytes.readBigUInt64BE(at));
  const trailingZeros = (value: bigint, bits: number) => {
    let n = 0;
    while (n < bits && (value & (1n << BigInt(n))) === 0n) n++;
    return n;
  };
  const segmentCommand = header.is64 ? LC_SEGMENT_64 : LC_SEGMENT;
  let min = MAX_P2_ALIGN;
  // parseMachO has already checked that every command and its sections fit.
  for (let i = 0, at = 0; i < header.ncmds; i++, at += u32(at + 4)) {
    if (u32(at) !== segmentCommand) continue;
    let current: number;
    if (header.fileType === MH_OBJECT) {
      const nsects = u32(at + (header.is64 ? 64 : 48));
      const first = at + (header.is64 ? 72 : 56);
      const sectionSize = header.is64 ? 80 : 68;
      current = nsects > 0 ? 2 : MAX_P2_ALIGN;
      for (let s = 0; s < nsects; s++)
        current = Math.max(current, u32(first + s * sectionSize + (header.is64 ? 52 : 44)));
    } else {
      current = header.is64 ? trailingZeros(u64(at + 24), 64) : trailingZeros(BigInt(u32(at + 24)), 32);
    }
    min = Math.min(min, current);
  }
  return Math.max(2, Math.min(min, MAX_P2_ALIGN));
}

/** log2 alignment of a thin slice, as llvm-lipo computes it. */
export function sliceAlignment(source: ByteSource, header: MachOHeader): number {
  switch (header.cputype) {
    case CPU_TYPE_X86:
    case CPU_TYPE_X86_64:
    case CPU_TYPE_POWERPC:
    case CPU_TYPE_POWERPC64:
      return 12; // 4 KB pages
    case CPU_TYPE_ARM:
    case CPU_TYPE_ARM64:
    case CPU_TYPE_ARM64_32:
      return 14; // 16 KB pages on Darwin ARM
    default:
      return segmentAlignment(source, header);
  }
}

/** Reads a thin Mach-O slice's header (checking its load commands) into a SliceInput. */
function thinSlice(source: ByteSource, file: string, inputOffset: number, align: number | null): SliceInput {
  const { header } = parseMachO(source);
  return {
    file,
    inputOffset,
    size: source.size,
    cputype: header.cputype >>> 0,
    cpusubtype: header.cpusubtype >>> 0,
    align: align ?? sliceAlignment(source, header),
    arch: header.arch,
  };
}

/** The slices one input contributes: itself when thin, each of its Mach-O slices when universal. */
export function slicesOf(source: ByteSource, file: string): SliceInput[] {
  const kind = sniffMachO(source.read(0, Math.min(8, source.size)));
  if (kind === 'macho') return [thinSlice(source, file, 0, null)];
  if (kind !== 'universal') throw new InputError(`${file}: not a Mach-O file`);
  return parseFatArchs(source).map((arch, i) => {
    const slice = source.slice(arch.offset, arch.size, `${file} (slice ${i})`);
    if (sniffMachO(slice.read(0, Math.min(8, slice.size))) !== 'macho')
      throw new InputError(`${file}: slice ${i} of the universal file is not a Mach-O file`);
    return thinSlice(slice, file, arch.offset, arch.align);
  });
}

/** llvm-lipo's slice order (Slice::operator<, cctools' order), as a strict "comes before". */
function before(a: SliceInput, b: SliceInput): boolean {
  if (a.cputype === b.cputype) return a.cpusubtype < b.cpusubtype;
  if (a.cputype === CPU_TYPE_ARM64) return false;
  if (b.cputype === CPU_TYPE_ARM64) return true;
  return a.align < b.align;
}

/**
 * llvm-lipo sorts with std::stable_sort, which for the handful of slices a universal file has (up to 7) is this
 * insertion sort. The order is not a strict weak ordering (arm64 is special-cased), so the exact algorithm decides
 * ties like (ppc, x86_64, i386) and is reproduced rather than left to Array.prototype.sort.
 */
function stableSort(slices: SliceInput[]): SliceInput[] {
  const out = [...slices];
  for (let i = 1; i < out.length; i++) {
    const value = out[i];
    let j = i;
    if (before(value, out[0])) j = 0;
    else while (before(value, out[j - 1])) j--;
    out.splice(i, 1);
    out.splice(j, 0, value);
  }
  return out;
}

function place(slices: SliceInput[], wide: boolean): FatEntry[] | null {
  let offset = 8 + slices.length * (wide ? 32 : 20);
  const entries: FatEntry[] = [];
  for (const slice of slices) {
    const unit = 2 ** slice.align;
    offset = Math.ceil(offset / unit) * unit;
    if (!wide && (offset > UINT32_MAX || slice.size > UINT32_MAX)) return null;
    entries.push({ ...slice, offset });
    offset += slice.size;
  }
  return entries;
}

/**
 * Where each slice goes and the header that says so (pure). Refuses duplicate architectures; sorts as llvm-lipo does.
 */
export function planUniversal(slices: SliceInput[]): FatLayout {
  if (slices.length === 0) throw new InputError('a universal file needs at least one input');
  const seen = new Map<string, SliceInput>();
  for (const slice of slices) {
    const key = `${slice.cputype}/${slice.cpusubtype}`;
    const first = seen.get(key);
    if (first)
      throw new InputError(
        `${first.file} and ${slice.file} have the same architecture ${slice.arch}, and a universal file can hold only one`,
      );
    seen.set(key, slice);
  }
  const sorted = stableSort(slices);
  const narrow = place(sorted, false);
  const wide = narrow === null;
  const entries = narrow ?? place(sorted, true)!;
  if (entries.some((e) => !Number.isSafeInteger(e.offset + e.size)))
    throw new InputError('the universal file would be too large');
  const header = Buffer.alloc(8 + entries.length * (wide ? 32 : 20));
  header.writeUInt32BE(wide ? FAT_MAGIC_64 : FAT_MAGIC, 0);
  header.writeUInt32BE(entries.length, 4);
  entries.forEach((e, i) => {
    const at = 8 + i * (wide ? 32 : 20);
    header.writeUInt32BE(e.cputype, at);
    header.writeUInt32BE(e.cpusubtype, at + 4);
    if (wide) {
      header.writeBigUInt64BE(BigInt(e.offset), at + 8);
      header.writeBigUInt64BE(BigInt(e.size), at + 16);
      header.writeUInt32BE(e.align, at + 24); // then 4 reserved bytes, zero
    } else {
      header.writeUInt32BE(e.offset, at + 8);
      header.writeUInt32BE(e.size, at + 12);
      header.writeUInt32BE(e.align, at + 16);
    }
  });
  const last = entries[entries.length - 1];
  return { magic: wide ? FAT_MAGIC_64 : FAT_MAGIC, entries, header, size: last.offset + last.size };
}

/** The message for a failure to write `output` (a system error): one line, no stack. */
function writeError(output: string, error: unknown): InputError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== 'string') throw error;
  return new InputError(`${output}: cannot write the universal file (${code})`);
}

/**
 * Writes the universal file made of `inputs` to `output` (replacing it) and returns its layout. Throws InputError
 * (one line) for an unusable input or an output that cannot be written; `output` is then left as it was.
 */
export async function writeUniversal(inputs: string[], output: string): Promise<FatLayout> {
  const sources = new Map<string, FileSource>();
  const temporary = path.join(
    path.dirname(output),
    `.${path.basename(output)}.universal-${randomBytes(6).toString('hex')}`,
  );
  let created = false;
  try {
    const slices: SliceInput[] = [];
    for (const input of inputs) {
      const source = sources.get(input) ?? (await FileSource.open(input));
      sources.set(input, source);
      slices.push(...slicesOf(source, input));
    }
    const layout = planUniversal(slices);
    const executable = inputs.some((input) => isExecutableFile(input));
    // Writes go through writeFileSync (create, then append piece by piece): this module never opens a file to read.
    const append = (bytes: Buffer) => {
      try {
        fs.writeFileSync(temporary, bytes, { flag: 'a' });
      } catch (error) {
        throw writeError(output, error);
      }
    };
    try {
      fs.writeFileSync(temporary, layout.header, { flag: 'wx', mode: executable ? 0o777 : 0o666 });
    } catch (error) {
      throw writeError(output, error);
    }
    created = true;
    let written = layout.header.length;
    const scratch = Buffer.alloc(PIECE);
    for (const entry of layout.entries) {
      if (entry.offset > written) append(Buffer.alloc(entry.offset - written));
      const source = sources.get(entry.file)!;
      for (let done = 0; done < entry.size;) {
        const length = Math.min(PIECE, entry.size - done);
        append(await source.chunk(entry.inputOffset + done, length, scratch));
        done += length;
      }
      written = entry.offset + entry.size;
    }
    try {
      fs.renameSync(temporary, output);
    } catch (error) {
      throw writeError(output, error);
    }
    created = false;
    return layout;
  } finally {
    if (created) fs.rmSync(temporary, { force: true });
    for (const source of sources.values()) await source.close();
  }
}
