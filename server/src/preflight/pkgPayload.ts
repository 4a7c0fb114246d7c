/**
 * The files inside a flat installer package (.pkg), for the notarization pre-flight: each component's `Payload` (a
 * cpio archive, gzip-compressed as pkgbuild writes it) read from the xar heap (bundle/pkg.ts lists where), inflated
 * in memory within bounds, and walked for regular files.
 *
 * Contract: `pkgPayloadFiles(file, limits)` returns `{ files, skipped }`: every regular file of every Payload as
 * `{ name: "<payload path>/<path in cpio>", bytes }`, and the payloads it could not read with the reason (a pbzx/LZMA
 * payload, an encoding it does not know, one larger than the bounds). Hostile input (offsets past the end, a payload
 * that inflates beyond its bound, a truncated cpio) never reads past the bounds: it is skipped with the reason, or an
 * InputError for the package as a whole (bundle/pkg.ts). Formats: cpio "odc" (070707, what pkgbuild writes) and "newc"
 * (070701/070702).
 */
import { gunzipSync, inflateSync } from 'node:zlib';
import { readPkg } from '../bundle/pkg';
import { FileSource } from '../macho/source';

export interface PkgPayloadLimits {
  /** Stored bytes of one Payload. */
  storedBytes: number;
  /** Bytes of one Payload once inflated (the whole cpio archive is held in memory). */
  inflatedBytes: number;
}

const MB = 1024 * 1024;
export const PKG_PAYLOAD_LIMITS: PkgPayloadLimits = { storedBytes: 1024 * MB, inflatedBytes: 1024 * MB };

export interface PayloadFile {
  name: string;
  bytes: Buffer;
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;

/** The regular files of a cpio archive (odc or newc), in order; throws a plain Error (with the reason) if malformed. */
export function cpioFiles(archive: Buffer): { name: string; bytes: Buffer }[] {
  const files: { name: string; bytes: Buffer }[] = [];
  let at = 0;
  const field = (from: number, length: number, radix: number) => {
    const text = archive.toString('latin1', from, from + length);
    if (!/^[0-9a-fA-F]+$/.test(text)) throw new Error(`a cpio header field at ${from} is not a number`);
    return parseInt(text, radix);
  };
  while (at + 6 <= archive.length) {
    const magic = archive.toString('latin1', at, at + 6);
    let mode: number;
    let nameSize: number;
    let fileSize: number;
    let nameAt: number;
    let dataAt: number;
    if (magic === '070707') {
      if (at + 76 > archive.length) throw new Error('a truncated cpio header');
      mode = field(at + 18, 6, 8);
      nameSize = field(at + 59, 6, 8);
      fileSize = field(at + 65, 11, 8);
      nameAt = at + 76;
      dataAt = nameAt + nameSize;
    } else if (magic === '070701' || magic === '070702') {
      if (at + 110 > archive.length) throw new Error('a truncated cpio header');
      mode = field(at + 14, 8, 16);
      fileSize = field(at + 54, 8, 16);
      nameSize = field(at + 94, 8, 16);
      nameAt = at + 110;
      dataAt = nameAt + nameSize + ((4 - ((110 + nameSize) % 4)) % 4);
    } else throw new Error(`no cpio header at offset ${at}`);
    if (nameSize < 1 || dataAt + fileSize > archive.length) throw new Error('a cpio entry runs past the end');
    const name = archive.toString('utf8', nameAt, nameAt + nameSize - 1);
    if (name === 'TRAILER!!!') break;
    if ((mode & S_IFMT) === S_IFREG)
      files.push({ name: name.replace(/^\.\//, ''), bytes: archive.subarray(dataAt, dataAt + fileSize) });
    at = dataAt + fileSize;
    if (magic !== '070707') at += (4 - (at % 4)) % 4;
  }
  return files;
}

/** The Payload's bytes as a cpio archive: xar's encoding undone, then pkgbuild's gzip; or why it cannot be read. */
function payloadArchive(stored: Buffer, encoding: string, limit: number): Buffer | string {
  let bytes = stored;
  if (encoding === 'application/x-gzip') bytes = inflateSync(stored, { maxOutputLength: limit });
  else if (encoding !== 'application/octet-stream') return `its xar encoding ${encoding} is not read by the pre-flight`;
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes, { maxOutputLength: limit });
  else if (bytes.toString('latin1', 0, 4) === 'pbzx') return 'a pbzx (LZMA) payload is not read by the pre-flight';
  return bytes;
}

/** Every regular file in every Payload of the package at `file`, and the payloads that could not be read. */
export async function pkgPayloadFiles(
  file: string,
  limits: PkgPayloadLimits = PKG_PAYLOAD_LIMITS,
): Promise<{ files: PayloadFile[]; skipped: { path: string; reason: string }[] }> {
  const info = await readPkg(file);
  const files: PayloadFile[] = [];
  const skipped: { path: string; reason: string }[] = [];
  const source = await FileSource.open(file);
  try {
    for (const entry of info.entries.filter((e) => e.path === 'Payload' || e.path.endsWith('/Payload'))) {
      const where = `${file}/${entry.path}`;
      if (entry.length > limits.storedBytes || entry.size > limits.inflatedBytes) {
        skipped.push({ path: where, reason: `larger than the ${limits.inflatedBytes / MB} MB the pre-flight reads` });
        continue;
      }
      if (info.heapOffset + entry.offset + entry.length > info.archiveEnd) {
        skipped.push({ path: where, reason: 'its data lies past the end of the archive' });
        continue;
      }
      try {
        const archive = payloadArchive(
          source.read(info.heapOffset + entry.offset, entry.length),
          entry.encoding,
          limits.inflatedBytes,
        );
        if (typeof archive === 'string') skipped.push({ path: where, reason: archive });
        else for (const f of cpioFiles(archive)) files.push({ name: `${where}/${f.name}`, bytes: f.bytes });
      } catch (error) {
        const why =
          error instanceof RangeError || (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE'
            ? `it inflates to more than ${limits.inflatedBytes / MB} MB`
            : `it cannot be read (${(error as Error).message})`;
        skipped.push({ path: where, reason: why });
      }
    }
  } finally {
    await source.close();
  }
  return { files, skipped };
}
