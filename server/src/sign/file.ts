/**
 * Signs a Mach-O file on disk, thin or universal, without ever leaving it half-written.
 *
 * Contract: `signFile(path, request, cms, extras)` reads the file through fileAccess.ts, signs each slice on its own
 * (slice.ts), and for a universal file updates each fat_arch's offset and size, keeping the fat header's form (32- or
 * 64-bit) and each slice's alignment (2^align): a slice stays where it was unless the one before it grew past it. The
 * result is written to a temporary file next to the target with the target's permission bits, then renamed over
 * it; on any error the temporary file is removed and the target is untouched. The digest choice (SHA-1 + SHA-256 or
 * SHA-256 alone) is made once for all slices, as codesign does. The default identifier is the embedded Info.plist's
 * CFBundleIdentifier, else the file name the way Security's `canonicalIdentifier` makes it (last extension dropped
 * unless numeric, version-like suffixes trimmed).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../errors';
import { filePermissions, linkKind, readFileBounded, writeNewFile } from '../fileAccess';
import { parseFatArchs, sniffMachO } from '../macho/container';
import { archName, FAT_MAGIC_64 } from '../macho/format';
import { BufferSource } from '../macho/source';
import { isPlistDict, parsePlist } from '../plist';
import { readSliceLayout } from './layout';
import { hashesFor, signSliceDetailed } from './slice';
import type { CmsProducer, HashName, SignRequest } from './types';

export interface SignFileExtras {
  infoPlist?: Buffer;
  codeResources?: Buffer;
}

export interface SignedFile {
  /** Each slice's cdhash (20 bytes of its primary CodeDirectory's digest, hex), in fat-header order. */
  cdhashes: string[];
  slices: {
    arch: string;
    identifier: string;
    /** The cdhash codesign shows (first 20 bytes of the primary CodeDirectory's digest), hex. */
    cdhash: string;
    /** Every CodeDirectory's full digest, primary first, hex. */
    cdhashes: { hash: HashName; digest: string }[];
    keptSpace: boolean;
  }[];
}

/** Security's DiskRep::canonicalIdentifier: the default identifier codesign derives from a file name. */
export function canonicalIdentifier(file: string): string {
  let s = path.basename(file);
  const dot = s.lastIndexOf('.');
  if (dot >= 0 && !/[0-9]/.test(s[dot + 1] ?? '')) s = s.slice(0, dot);
  if (s === '' || /^[0-9.]/.test(s)) return s;
  let p = s.length - 1;
  while (p >= 0 && /[0-9.]/.test(s[p])) p--;
  p++;
  if (s[p] === '.') p++;
  while (p < s.length && /[0-9]/.test(s[p])) p++;
  return s.slice(0, p);
}

const alignUp = (n: number, to: number) => Math.ceil(n / to) * to;

/**
 * The identifier codesign takes from a bare executable's embedded Info.plist (`__TEXT,__info_plist`), as Security's
 * MachORep::explicitIdentifier does: its CFBundleIdentifier, which must be a string.
 */
export function embeddedBundleIdentifier(slice: Buffer, name: string): string | null {
  const section = readSliceLayout(slice, name).infoPlist;
  if (!section || section.size === 0 || section.offset + section.size > slice.length) return null;
  const { value } = parsePlist(slice.subarray(section.offset, section.offset + section.size));
  if (!isPlistDict(value)) throw new InputError(`${name}: the embedded Info.plist is not a dictionary`);
  const id = value.CFBundleIdentifier;
  if (id !== undefined && typeof id !== 'string')
    throw new InputError(`${name}: CFBundleIdentifier in the embedded Info.plist is not a string`);
  return id ?? null;
}

/** Signs every slice of `bytes` (a thin or universal Mach-O); pure, for callers that hold the bytes already. */
export async function signBytes(
  bytes: Buffer,
  name: string,
  request: SignRequest,
  cms: CmsProducer,
  extras: SignFileExtras = {},
): Promise<{ pieces: Buffer[]; result: SignedFile }> {
  const kind = sniffMachO(bytes.subarray(0, 8));
  if (!kind) throw new InputError(`${name}: not a Mach-O file`);
  const firstSlice = kind === 'macho' ? bytes : bytes.subarray(parseFatArchs(new BufferSource(bytes, name))[0].offset);
  const identifier = request.identifier ?? embeddedBundleIdentifier(firstSlice, name) ?? canonicalIdentifier(name);
  const sign = async (slice: Buffer, sliceName: string, hashes: HashName[]) => {
    const signed = await signSliceDetailed(slice, { ...request, ...extras, identifier, cms, hashes, name: sliceName });
    // The signer kept the header: the architecture is the input slice's.
    const layout = readSliceLayout(slice, sliceName);
    const header = new BufferSource(slice, sliceName).read(4, 8);
    const [cputype, cpusubtype] = layout.littleEndian
      ? [header.readInt32LE(0), header.readUInt32LE(4)]
      : [header.readInt32BE(0), header.readUInt32BE(4)];
    return {
      pieces: signed.pieces,
      size: signed.size,
      info: {
        arch: archName(cputype, cpusubtype),
        identifier,
        cdhash: signed.cdhashes[0].digest.subarray(0, 20).toString('hex'),
        cdhashes: signed.cdhashes.map((c) => ({ hash: c.hash, digest: c.digest.toString('hex') })),
        keptSpace: signed.keptSpace,
      },
    };
  };

  if (kind === 'macho') {
    const one = await sign(bytes, name, hashesFor([readSliceLayout(bytes, name)]));
    return { pieces: one.pieces, result: { cdhashes: [one.info.cdhash], slices: [one.info] } };
  }

  const source = new BufferSource(bytes, name);
  const archs = parseFatArchs(source);
  const is64 = bytes.readUInt32BE(0) === FAT_MAGIC_64;
  const entrySize = is64 ? 32 : 20;
  const sliceBytes = archs.map((a) => bytes.subarray(a.offset, a.offset + a.size));
  const names = archs.map((a) => `${name} (${archName(a.cputype, a.cpusubtype)})`);
  const hashes = hashesFor(sliceBytes.map((b, i) => readSliceLayout(b, names[i])));
  const signed: Awaited<ReturnType<typeof sign>>[] = [];
  for (let i = 0; i < archs.length; i++) signed.push(await sign(sliceBytes[i], names[i], hashes));

  // Lay the slices out again in their file order, each at its old offset unless the previous one grew past it.
  const order = archs.map((_, i) => i).sort((a, b) => archs[a].offset - archs[b].offset);
  const offsets: number[] = new Array(archs.length);
  let end = 8 + entrySize * archs.length;
  for (const i of order) {
    if (archs[i].align > 30) throw new InputError(`${names[i]}: alignment 2^${archs[i].align} is not plausible`);
    offsets[i] = Math.max(archs[i].offset, alignUp(end, 2 ** archs[i].align));
    end = offsets[i] + signed[i].size;
  }
  if (!is64 && end > 0xffffffff)
    throw new InputError(
      `${name}: the signed universal file would exceed 4 GiB, which a 32-bit fat header cannot describe`,
    );
  // The fat header (with the gap up to the first slice) is copied and edited; slices and the gaps between them are
  // pieces, so nothing large is copied.
  const header = Buffer.from(bytes.subarray(0, Math.min(bytes.length, archs[order[0]].offset)));
  archs.forEach((_, i) => {
    const at = 8 + i * entrySize;
    if (is64) {
      header.writeBigUInt64BE(BigInt(offsets[i]), at + 8);
      header.writeBigUInt64BE(BigInt(signed[i].size), at + 16);
    } else {
      header.writeUInt32BE(offsets[i], at + 8);
      header.writeUInt32BE(signed[i].size, at + 12);
    }
  });
  const pieces: Buffer[] = [header];
  let at = header.length;
  for (const i of order) {
    if (offsets[i] > at) pieces.push(Buffer.alloc(offsets[i] - at));
    pieces.push(...signed[i].pieces);
    at = offsets[i] + signed[i].size;
  }
  return { pieces, result: { cdhashes: signed.map((s) => s.info.cdhash), slices: signed.map((s) => s.info) } };
}

/** Signs the file at `file` in place (through a temporary file and a rename). */
export async function signFile(
  file: string,
  request: SignRequest,
  cms: CmsProducer,
  extras: SignFileExtras = {},
): Promise<SignedFile> {
  // Renaming over a symbolic link would replace the link, not sign what it points to.
  if (linkKind(file) === 'symlink') throw new InputError(`${file}: is a symbolic link; sign the file it points to`);
  // In shared memory, so that page-hashing worker threads read the slices in place.
  const bytes = readFileBounded(file, 'binary', { shared: true });
  const mode = filePermissions(file);
  const { pieces, result } = await signBytes(bytes, file, request, cms, extras);
  const temporary = path.join(
    path.dirname(file),
    `.${path.basename(file)}.signing-${process.pid}-${Math.random().toString(36).slice(2)}`,
  );
  try {
    writeNewFile(temporary, pieces, mode);
    // The mode given to open() passes through the umask; the signed file keeps exactly the target's permission bits.
    fs.chmodSync(temporary, mode);
    fs.renameSync(temporary, file);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code === 'string') throw new InputError(`${file}: cannot write the signed file (${code})`);
    throw error;
  }
  return result;
}
