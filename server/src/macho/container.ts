/**
 * File level: is this a thin Mach-O, a universal ("fat") file, or neither, and where are its slices?
 *
 * The fat header and its entries are always big-endian (fat.h). Java class files share the 0xcafebabe magic; like
 * LLVM's Magic.cpp we only call it universal when the entry count is small.
 */
import { InputError } from '../errors';
import {
  clampU64,
  FAT_CIGAM,
  FAT_CIGAM_64,
  FAT_MAGIC,
  FAT_MAGIC_64,
  FAT_MAX_ARCHS,
  MH_CIGAM,
  MH_CIGAM_64,
  MH_MAGIC,
  MH_MAGIC_64,
} from './format';
import { ByteSource, readChecked } from './source';

export interface FatArch {
  cputype: number;
  cpusubtype: number;
  offset: number;
  size: number;
  align: number;
}

export type ContainerKind = 'macho' | 'universal';

/** Classifies the first bytes of a file; null when it is neither a Mach-O nor a universal file. */
export function sniffMachO(head: Uint8Array): ContainerKind | null {
  if (head.length < 8) return null;
  const magic = ((head[0] << 24) | (head[1] << 16) | (head[2] << 8) | head[3]) >>> 0;
  if (magic === MH_MAGIC || magic === MH_MAGIC_64 || magic === MH_CIGAM || magic === MH_CIGAM_64) return 'macho';
  if (
    (magic === FAT_MAGIC || magic === FAT_MAGIC_64) &&
    head[4] === 0 &&
    head[5] === 0 &&
    head[6] === 0 &&
    head[7] <= FAT_MAX_ARCHS
  ) {
    return 'universal';
  }
  return null;
}

/** Reads the fat header; every slice must lie inside the file, and slices must not overlap. */
export function parseFatArchs(source: ByteSource): FatArch[] {
  const header = readChecked(source, 0, 8, 'fat header');
  const magic = header.readUInt32BE(0);
  if (magic === FAT_CIGAM || magic === FAT_CIGAM_64) {
    throw new InputError(`${source.name}: byte-swapped universal header (fat headers are always big-endian)`);
  }
  const is64 = magic === FAT_MAGIC_64;
  const count = header.readUInt32BE(4);
  if (count === 0) throw new InputError(`${source.name}: universal file with no architectures`);
  if (count > FAT_MAX_ARCHS) throw new InputError(`${source.name}: universal header claims ${count} architectures`);
  const entrySize = is64 ? 32 : 20;
  const table = readChecked(source, 8, count * entrySize, 'fat architecture table');
  const archs: FatArch[] = [];
  for (let i = 0; i < count; i++) {
    const at = i * entrySize;
    const offset = is64 ? clampU64(table.readBigUInt64BE(at + 8)) : table.readUInt32BE(at + 8);
    const size = is64 ? clampU64(table.readBigUInt64BE(at + 16)) : table.readUInt32BE(at + 12);
    const arch: FatArch = {
      cputype: table.readInt32BE(at),
      cpusubtype: table.readUInt32BE(at + 4),
      offset,
      size,
      align: table.readUInt32BE(at + (is64 ? 24 : 16)),
    };
    const headerEnd = 8 + count * entrySize;
    if (offset < headerEnd) {
      throw new InputError(
        `${source.name}: architecture ${i} of the universal file (offset ${offset}) overlaps the fat header, which ends at ${headerEnd}`,
      );
    }
    if (!Number.isSafeInteger(offset + size) || offset + size > source.size) {
      throw new InputError(
        `${source.name}: architecture ${i} of the universal file lies outside the file (offset ${offset}, size ${size}, file ${source.size})`,
      );
    }
    archs.push(arch);
  }
  const sorted = [...archs].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].offset < sorted[i - 1].offset + sorted[i - 1].size) {
      throw new InputError(`${source.name}: slices of the universal file overlap`);
    }
  }
  return archs;
}
