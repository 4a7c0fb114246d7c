/**
 * Assembles the embedded signature SuperBlob (magic 0xfade0cc0) that LC_CODE_SIGNATURE points at.
 *
 * Contract: `embeddedSignature(blobs)` writes the index sorted by slot (CodeDirectory 0, requirements 2,
 * entitlements 5, DER entitlements 7, alternate CodeDirectories 0x1000+, CMS 0x10000), each blob right after the
 * previous one with no padding, as Security's SuperBlob maker does. `cmsBlob` wraps a CMS in a BlobWrapper
 * (0xfade0b01); an empty CMS gives the 8-byte wrapper codesign writes for ad hoc signatures.
 */
import { CSMAGIC_BLOBWRAPPER, CSMAGIC_EMBEDDED_SIGNATURE } from '../macho/format';
import { blob } from './entitlements';

export function cmsBlob(cms: Buffer): Buffer {
  return blob(CSMAGIC_BLOBWRAPPER, cms);
}

/** Length of the SuperBlob that would hold blobs of these lengths. */
export function superBlobSize(blobLengths: number[]): number {
  return 12 + 8 * blobLengths.length + blobLengths.reduce((a, b) => a + b, 0);
}

export function embeddedSignature(blobs: Map<number, Buffer>): Buffer {
  const slots = [...blobs.keys()].sort((a, b) => a - b);
  const index = Buffer.alloc(12 + 8 * slots.length);
  let offset = index.length;
  slots.forEach((slot, i) => {
    index.writeUInt32BE(slot, 12 + 8 * i);
    index.writeUInt32BE(offset, 16 + 8 * i);
    offset += blobs.get(slot)!.length;
  });
  index.writeUInt32BE(CSMAGIC_EMBEDDED_SIGNATURE, 0);
  index.writeUInt32BE(offset, 4);
  index.writeUInt32BE(slots.length, 8);
  return Buffer.concat([index, ...slots.map((s) => blobs.get(s)!)]);
}
