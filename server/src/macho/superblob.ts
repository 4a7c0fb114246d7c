/**
 * The embedded signature SuperBlob (LC_CODE_SIGNATURE data): an index of typed blobs, all big-endian.
 *
 * Blob order and contiguity are not assumed (llvm-strip puts the CodeDirectory at offset 24); every index entry and
 * blob length is checked against the SuperBlob (kernel `cs_validate_csblob`). Problems are returned as findings,
 * because a broken signature is a fact about the file to report, not a reason to refuse the file.
 */
import { CSMAGIC_EMBEDDED_SIGNATURE, slotName } from './format';

export interface Blob {
  slot: number;
  /** Offset of the blob inside the SuperBlob. */
  offset: number;
  magic: number;
  /** The whole blob, header included: the bytes a special slot hashes. */
  bytes: Buffer;
}

export interface SuperBlob {
  length: number;
  blobs: Blob[];
  problems: string[];
}

export function parseSuperBlob(data: Buffer): SuperBlob {
  const problems: string[] = [];
  if (data.length < 12)
    return { length: 0, blobs: [], problems: [`the signature is ${data.length} bytes, too short for a SuperBlob`] };
  const magic = data.readUInt32BE(0);
  if (magic !== CSMAGIC_EMBEDDED_SIGNATURE) {
    return {
      length: 0,
      blobs: [],
      problems: [`the signature does not start with the embedded-signature magic (found 0x${magic.toString(16)})`],
    };
  }
  const length = data.readUInt32BE(4);
  const count = data.readUInt32BE(8);
  if (length > data.length) {
    problems.push(`the SuperBlob claims ${length} bytes but LC_CODE_SIGNATURE gives ${data.length}`);
    return { length, blobs: [], problems };
  }
  if (length < 12 || count > (length - 12) / 8) {
    problems.push(`the SuperBlob index (${count} entries) does not fit in its ${length} bytes`);
    return { length, blobs: [], problems };
  }
  const blobs: Blob[] = [];
  const seen = new Set<number>();
  for (let i = 0; i < count; i++) {
    const slot = data.readUInt32BE(12 + i * 8);
    const offset = data.readUInt32BE(16 + i * 8);
    if (offset < 12 + count * 8 || offset + 8 > length) {
      problems.push(`${slotName(slot)} blob offset ${offset} lies outside the SuperBlob`);
      continue;
    }
    const blobMagic = data.readUInt32BE(offset);
    const blobLength = data.readUInt32BE(offset + 4);
    if (blobLength < 8 || offset + blobLength > length) {
      problems.push(
        `${slotName(slot)} blob at offset ${offset} has length ${blobLength}, which runs past the SuperBlob`,
      );
      continue;
    }
    if (seen.has(slot)) {
      // The kernel rejects repeated entitlement blobs ("multiple entitlements blobs"); any repeat is suspicious.
      problems.push(`${slotName(slot)} appears more than once in the SuperBlob`);
      continue;
    }
    seen.add(slot);
    blobs.push({ slot, offset, magic: blobMagic, bytes: data.subarray(offset, offset + blobLength) });
  }
  checkOverlaps(blobs, problems);
  return { length, blobs, problems };
}

function checkOverlaps(blobs: Blob[], problems: string[]): void {
  const sorted = [...blobs].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    if (sorted[i].offset < prev.offset + prev.bytes.length) {
      problems.push(`${slotName(sorted[i].slot)} blob overlaps ${slotName(prev.slot)} blob`);
    }
  }
}

export function findBlob(superBlob: SuperBlob, slot: number): Blob | undefined {
  return superBlob.blobs.find((b) => b.slot === slot);
}
