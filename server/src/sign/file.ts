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
import { createNewFile, filePermissions, linkKind } from '../fileAccess';
import { parseFatArchs, sniffMachO } from '../macho/container';
import { archName, FAT_MAGIC_64 } from '../macho/format';
import { BufferSource, ByteSource, FileSource } from '../macho/source';
import { isPlistDict, parsePlist } from '../plist';
import { inMemory, Piece, readHead, readSliceLayout } from './layout';
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
export function embeddedBundleIdentifier(slice: ByteSource, name: string): string | null {
  const section = readSliceLayout(readHead(slice), name, slice.size).infoPlist;
  if (!section || section.size === 0 || section.offset + section.size > slice.size) return null;
  const { value } = parsePlist(slice.read(section.offset, section.size));
  if (!isPlistDict(value)) throw new InputError(`${name}: the embedded Info.plist is not a dictionary`);
  const id = value.CFBundleIdentifier;
  if (id !== undefined && typeof id !== 'string')
    throw new InputError(`${name}: CFBundleIdentifier in the embedded Info.plist is not a string`);
  return id ?? null;
}

/**
 * Signs every slice of `source` (a thin or universal Mach-O). Returns the signed file as pieces laid end to end:
 * small buffers (headers, signatures, padding) and ranges of `source` where its bytes stay as they are, so a large
 * file is never held in memory or copied whole.
 */
export async function signSource(
  source: ByteSource,
  name: string,
  request: SignRequest,
  cms: CmsProducer,
  extras: SignFileExtras = {},
): Promise<{ pieces: Piece[]; size: number; result: SignedFile }> {
  const kind = sniffMachO(source.read(0, Math.min(8, source.size)));
  if (!kind) throw new InputError(`${name}: not a Mach-O file`);
  const archs = kind === 'macho' ? null : parseFatArchs(source);
  const slices = archs ? archs.map((a) => source.slice(a.offset, a.size, name)) : [source];
  const names = archs ? archs.map((a) => `${name} (${archName(a.cputype, a.cpusubtype)})`) : [name];
  const identifier = request.identifier ?? embeddedBundleIdentifier(slices[0], name) ?? canonicalIdentifier(name);
  const layouts = slices.map((slice, i) => readSliceLayout(readHead(slice), names[i], slice.size));
  const hashes = hashesFor(layouts);
  const signed: { pieces: Piece[]; size: number; info: SignedFile['slices'][number] }[] = [];
  for (let i = 0; i < slices.length; i++) {
    const sliceName = names[i];
    const one = await signSliceDetailed(slices[i], { ...request, ...extras, identifier, cms, hashes, name: sliceName });
    // The signer kept the header: the architecture is the input slice's.
    const header = slices[i].read(4, 8);
    const [cputype, cpusubtype] = layouts[i].littleEndian
      ? [header.readInt32LE(0), header.readUInt32LE(4)]
      : [header.readInt32BE(0), header.readUInt32BE(4)];
    signed.push({
      pieces: one.pieces,
      size: one.size,
      info: {
        arch: archName(cputype, cpusubtype),
        identifier,
        cdhash: one.cdhashes[0].digest.subarray(0, 20).toString('hex'),
        cdhashes: one.cdhashes.map((c) => ({ hash: c.hash, digest: c.digest.toString('hex') })),
        keptSpace: one.keptSpace,
      },
    });
  }
  const result = { cdhashes: signed.map((s) => s.info.cdhash), slices: signed.map((s) => s.info) };
  if (!archs) return { pieces: signed[0].pieces, size: signed[0].size, result };

  const is64 = source.read(0, 4).readUInt32BE(0) === FAT_MAGIC_64;
  const entrySize = is64 ? 32 : 20;
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
  // The fat header (with the gap up to the first slice) is copied and edited; the gaps between slices are zeros.
  const header = source.read(0, Math.min(source.size, archs[order[0]].offset));
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
  const pieces: Piece[] = [inMemory(header)];
  let at = header.length;
  for (const i of order) {
    if (offsets[i] > at) pieces.push(inMemory(Buffer.alloc(offsets[i] - at)));
    pieces.push(...signed[i].pieces);
    at = offsets[i] + signed[i].size;
  }
  return { pieces, size: end, result };
}

/** Signs every slice of `bytes` (a thin or universal Mach-O) in memory; returns the signed file. */
export async function signBytes(
  bytes: Buffer,
  name: string,
  request: SignRequest,
  cms: CmsProducer,
  extras: SignFileExtras = {},
): Promise<{ bytes: Buffer; result: SignedFile }> {
  const { pieces, result } = await signSource(new BufferSource(bytes, name), name, request, cms, extras);
  return { bytes: Buffer.concat(pieces.map((p) => p.source.read(p.offset, p.length))), result };
}

/** Writes pieces end to end into a new file, reading large ranges through one reused buffer. */
async function writePieces(file: string, pieces: Piece[], mode: number): Promise<void> {
  const out = createNewFile(file, mode);
  const scratch = Buffer.allocUnsafe(1024 * 1024);
  try {
    for (const piece of pieces) {
      for (let done = 0; done < piece.length;) {
        const length = Math.min(scratch.length, piece.length - done);
        out.write(await piece.source.chunk(piece.offset + done, length, scratch));
        done += length;
      }
    }
  } finally {
    out.close();
  }
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
  const mode = filePermissions(file);
  // Read where it lies: pages are hashed from the file (on several threads, as verification does) and copied from it.
  const source = await FileSource.open(file);
  const temporary = path.join(
    path.dirname(file),
    `.${path.basename(file)}.signing-${process.pid}-${Math.random().toString(36).slice(2)}`,
  );
  let result: SignedFile;
  try {
    const signed = await signSource(source, file, request, cms, extras);
    result = signed.result;
    await writePieces(temporary, signed.pieces, mode);
    // The mode given to open() passes through the umask; the signed file keeps exactly the target's permission bits.
    fs.chmodSync(temporary, mode);
    fs.renameSync(temporary, file);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code === 'string') throw new InputError(`${file}: cannot write the signed file (${code})`);
    throw error;
  } finally {
    await source.close();
  }
  return result;
}
