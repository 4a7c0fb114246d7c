/**
 * Verification of one slice's signature: every CodeDirectory's code pages and special slots, and the CMS.
 *
 * Rules follow Security's `SecStaticCode::validateExecutable/validateComponent/verifySignature` and, where the kernel
 * is stricter (`csblob_find_special_slot_blob`: an unsealed blob makes the signature invalid), the kernel. Each failure
 * says exactly what failed: for a page its index, slice offset, segment and section.
 */
import { createHash } from 'node:crypto';
import type { VerificationFailure, VerificationReport } from '../protocol';
import { CodeDirectory, pageSize, slotDigest } from './codeDirectory';
import { BLOB_BACKED_SPECIAL_SLOTS, CS_ADHOC, CSSLOT_INFOSLOT, CSSLOT_RESOURCEDIR, slotName } from './format';
import { locate, MachOImage } from './loadCommands';
import { DIGEST_SIZE } from './pageChunks';
import { hashPages, PageHashAlgorithm, PageRunCounts } from './pageHashes';
import { EmbeddedSignature } from './signature';
import { ByteSource } from './source';
import { findBlob } from './superblob';

/** Data that lives outside the signature but is sealed by it. */
export interface ExternalComponents {
  /** Info.plist bytes: `Contents/Info.plist` of a bundle, or the `__TEXT,__info_plist` section of a bare binary. */
  infoPlist?: Buffer | null;
  /** `_CodeSignature/CodeResources` bytes of a bundle; undefined for a bare binary. */
  codeResources?: Buffer | null;
}

export interface VerifyOptions {
  /** Use worker threads for large files (default true). */
  parallel?: boolean;
  /** Counts where runs of pages were hashed, for callers (tests) that must know the worker threads really ran. */
  pageRuns?: PageRunCounts;
}

export async function verifySignature(
  source: ByteSource,
  image: MachOImage,
  signature: EmbeddedSignature | null,
  external: ExternalComponents,
  options: VerifyOptions = {},
): Promise<VerificationReport> {
  const failures: VerificationFailure[] = [];
  const warnings: string[] = [];
  if (!signature) {
    return {
      valid: false,
      pagesChecked: 0,
      failures: [{ code: 'unsigned', message: 'the file has no code signature (no LC_CODE_SIGNATURE)' }],
      warnings,
    };
  }
  failures.push(...signature.problems);
  warnings.push(...signature.warnings);
  if (signature.codeDirectories.length === 0) {
    failures.push({ code: 'no-codedirectory', message: 'the signature has no CodeDirectory' });
  }

  let pagesChecked = 0;
  for (const cd of signature.codeDirectories) {
    warnings.push(...cd.warnings.map((w) => `${slotName(cd.slot)}: ${w}`));
    if (cd.problems.length > 0) {
      for (const problem of cd.problems)
        failures.push({
          code: 'codedirectory-malformed',
          codeDirectorySlot: cd.slot,
          message: `${slotName(cd.slot)}: ${problem}`,
        });
      continue;
    }
    pagesChecked += await verifyCodePages(source, image, signature, cd, failures, warnings, options);
    verifySpecialSlots(signature, cd, external, failures, warnings);
  }
  verifyCms(signature, failures, warnings);
  return { valid: failures.length === 0, pagesChecked, failures, warnings };
}

async function verifyCodePages(
  source: ByteSource,
  image: MachOImage,
  signature: EmbeddedSignature,
  cd: CodeDirectory,
  failures: VerificationFailure[],
  warnings: string[],
  options: VerifyOptions,
): Promise<number> {
  const where = slotName(cd.slot);
  if (cd.codeLimit > signature.dataOffset) {
    failures.push({
      code: 'code-limit',
      codeDirectorySlot: cd.slot,
      message: `${where}: the code limit ${cd.codeLimit} reaches into the signature at ${signature.dataOffset}`,
    });
    return 0;
  }
  if (cd.codeLimit < signature.dataOffset) {
    warnings.push(
      `${where}: bytes ${cd.codeLimit} to ${signature.dataOffset} before the signature are not covered by any page hash`,
    );
  }
  const size = pageSize(cd);
  const encrypted = encryptedPages(image, size, cd.nCodeSlots);
  if (encrypted.size > 0) {
    warnings.push(
      `${where}: ${encrypted.size} pages are encrypted on disk (LC_ENCRYPTION_INFO); their hashes cannot be checked`,
    );
  }
  if (cd.nCodeSlots === 0) return 0; // nothing signed (code limit 0): no page to hash
  // The signer's path: compute every page's digest, then compare (truncated hash types keep the digest's first bytes).
  const algorithm = cd.hash!.algorithm as PageHashAlgorithm;
  const digests = await hashPages(
    source,
    { algorithm, pageSize: size, codeLimit: cd.codeLimit },
    { parallel: options.parallel, counts: options.pageRuns },
  );
  const full = DIGEST_SIZE[algorithm];
  // The common case, untruncated digests that all match, is one comparison instead of one per page.
  const expectedAll = cd.bytes.subarray(cd.hashOffset, cd.hashOffset + cd.nCodeSlots * cd.hashSize);
  if (full === cd.hashSize && encrypted.size === 0 && digests.equals(expectedAll)) return cd.nCodeSlots;
  for (let page = 0; page < cd.nCodeSlots; page++) {
    if (encrypted.has(page)) continue;
    const expected = slotDigest(cd, page)!;
    if (digests.subarray(page * full, page * full + cd.hashSize).equals(expected)) continue;
    const fileOffset = page * size;
    const { segment, section } = locate(image, fileOffset, Math.min(fileOffset + size, cd.codeLimit));
    const place = [segment, section].filter(Boolean).join(',');
    failures.push({
      code: 'page-mismatch',
      codeDirectorySlot: cd.slot,
      page,
      fileOffset,
      segment,
      section,
      message: `${where}: page ${page} (offset 0x${fileOffset.toString(16)}${place ? `, ${place}` : ''}) does not match its hash: the file was modified after signing`,
    });
  }
  return cd.nCodeSlots - encrypted.size;
}

/**
 * Pages inside an encrypted range, whose on-disk bytes cannot match hashes of the clear text. The pages holding the
 * header and load commands are never among them: the loader reads those in the clear, so a range claiming them
 * (a flipped load command can make one) cannot hide a change there.
 */
function encryptedPages(image: MachOImage, size: number, pageCount: number): Set<number> {
  const pages = new Set<number>();
  const clearEnd = image.header.headerSize + image.header.sizeOfCmds;
  for (const range of image.encryptedRanges) {
    const end = Math.min(Math.ceil((range.offset + range.size) / size), pageCount);
    for (let page = Math.ceil(Math.max(range.offset, clearEnd) / size); page < end; page++) pages.add(page);
  }
  return pages;
}

function hashOf(cd: CodeDirectory, bytes: Buffer): Buffer {
  return createHash(cd.hash!.algorithm).update(bytes).digest().subarray(0, cd.hashSize);
}

function isZero(digest: Buffer): boolean {
  return digest.every((b) => b === 0);
}

function verifySpecialSlots(
  signature: EmbeddedSignature,
  cd: CodeDirectory,
  external: ExternalComponents,
  failures: VerificationFailure[],
  warnings: string[],
): void {
  const where = slotName(cd.slot);
  const fail = (code: string, slot: number, message: string) =>
    failures.push({ code, codeDirectorySlot: cd.slot, specialSlot: slotName(slot), message: `${where}: ${message}` });

  for (const slot of BLOB_BACKED_SPECIAL_SLOTS) {
    const blob = findBlob(signature.superBlob, slot);
    const digest = slotDigest(cd, -slot);
    if (!digest) {
      if (blob)
        fail(
          'unsealed-blob',
          slot,
          `the ${slotName(slot)} blob is not sealed by the CodeDirectory (only ${cd.nSpecialSlots} special slots)`,
        );
      continue;
    }
    if (!blob) {
      if (!isZero(digest)) fail('special-slot-missing', slot, `the ${slotName(slot)} blob is sealed but missing`);
      continue;
    }
    if (!hashOf(cd, blob.bytes).equals(digest))
      fail('special-slot-mismatch', slot, `the ${slotName(slot)} blob does not match its hash`);
  }

  checkExternal(cd, CSSLOT_INFOSLOT, external.infoPlist, 'Info.plist', fail, warnings);
  if (external.codeResources === undefined) {
    const digest = slotDigest(cd, -CSSLOT_RESOURCEDIR);
    if (digest && !isZero(digest))
      warnings.push(`${where}: resources are sealed but this is not a bundle, so they cannot be checked`);
  } else {
    checkExternal(cd, CSSLOT_RESOURCEDIR, external.codeResources, '_CodeSignature/CodeResources', fail, warnings);
  }
}

function checkExternal(
  cd: CodeDirectory,
  slot: number,
  data: Buffer | null | undefined,
  label: string,
  fail: (code: string, slot: number, message: string) => void,
  warnings: string[],
): void {
  const digest = slotDigest(cd, -slot);
  if (!digest || isZero(digest)) {
    if (data && slot === CSSLOT_RESOURCEDIR)
      warnings.push(`${slotName(cd.slot)}: ${label} exists but the signature does not seal it`);
    return;
  }
  if (!data) fail('special-slot-missing', slot, `${label} is sealed by the signature but missing`);
  else if (!hashOf(cd, data).equals(digest))
    fail('special-slot-mismatch', slot, `${label} does not match its hash: it was changed after signing`);
}

function verifyCms(signature: EmbeddedSignature, failures: VerificationFailure[], warnings: string[]): void {
  const primary = signature.codeDirectories[0];
  if (!primary) return;
  const adhoc = (primary.flags & CS_ADHOC) !== 0;
  if (!signature.cms) {
    if (!adhoc)
      failures.push({
        code: 'cms-missing',
        message: 'the CodeDirectory claims a signing identity (not ad-hoc) but there is no CMS signature',
      });
    return;
  }
  if (adhoc) warnings.push('an ad-hoc signature carries a CMS blob, which macOS ignores');
  failures.push(...signature.cms.failures);
  warnings.push(...signature.cms.warnings);
}
