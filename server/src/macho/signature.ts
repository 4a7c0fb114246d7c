/**
 * Reads the embedded code signature of one slice into a typed model: where it is, its blobs, CodeDirectories,
 * requirements, entitlements and CMS. Nothing here decides policy; `verify` and `checks/` read this model.
 *
 * A signature that is damaged (out of bounds, truncated, overlapping blobs) is still returned, with `problems`,
 * because "the signature is broken, and here is how" is the answer the user needs.
 */
import { InputError } from '../errors';
import type { RequirementInfo, VerificationFailure } from '../protocol';
import { isPlistDict, parsePlist, PlistDict, plistEqual, plistToJson, PlistValue } from '../plist';
import { analyzeCms, CmsAnalysis } from './cms';
import { CodeDirectory, parseCodeDirectory } from './codeDirectory';
import { decodeDerEntitlements } from './derEntitlements';
import {
  CSMAGIC_BLOBWRAPPER,
  CSMAGIC_CODEDIRECTORY,
  CSMAGIC_EMBEDDED_DER_ENTITLEMENTS,
  CSMAGIC_EMBEDDED_ENTITLEMENTS,
  CSSLOT_ALTERNATE_CODEDIRECTORIES,
  CSSLOT_ALTERNATE_CODEDIRECTORY_LIMIT,
  CSSLOT_CODEDIRECTORY,
  CSSLOT_DER_ENTITLEMENTS,
  CSSLOT_ENTITLEMENTS,
  CSSLOT_REQUIREMENTS,
  CSSLOT_SIGNATURESLOT,
} from './format';
import { MachOImage } from './loadCommands';
import { parseRequirements } from './requirements';
import { ByteSource } from './source';
import { Blob, findBlob, parseSuperBlob, SuperBlob } from './superblob';

export interface EmbeddedSignature {
  dataOffset: number;
  dataSize: number;
  superBlob: SuperBlob;
  /** Slot 0 first, then alternates in slot order. */
  codeDirectories: CodeDirectory[];
  requirements: RequirementInfo[] | null;
  /** The XML entitlements (slot 5), null when absent or unreadable. */
  entitlements: PlistDict | null;
  /** The DER entitlements (slot 7), null when absent or unreadable. */
  entitlementsDer: PlistDict | null;
  /** Entitlements blobs that are present but cannot be read, and why: never the same as "no entitlements". */
  entitlementsUnreadable: { form: 'XML' | 'DER'; reason: string }[];
  /** The CMS analysis, or null when there is no CMS blob or it is empty (as `codesign -s -` writes). */
  cms: CmsAnalysis | null;
  problems: VerificationFailure[];
  warnings: string[];
}

function isCodeDirectorySlot(slot: number): boolean {
  return (
    slot === CSSLOT_CODEDIRECTORY ||
    (slot >= CSSLOT_ALTERNATE_CODEDIRECTORIES && slot < CSSLOT_ALTERNATE_CODEDIRECTORY_LIMIT)
  );
}

export function readSignature(source: ByteSource, image: MachOImage, now?: Date): EmbeddedSignature | null {
  const location = image.codeSignature;
  if (!location) return null;
  const problems: VerificationFailure[] = [];
  const warnings: string[] = [];
  const fail = (code: string, message: string) => problems.push({ code, message });

  const { dataOffset, dataSize } = location;
  let available = dataSize;
  if (dataOffset >= source.size) {
    fail(
      'signature-out-of-bounds',
      `LC_CODE_SIGNATURE points at offset ${dataOffset}, past the end of the ${source.size}-byte file`,
    );
    available = 0;
  } else if (dataOffset + dataSize > source.size) {
    fail(
      'signature-truncated',
      `the signature is truncated: LC_CODE_SIGNATURE declares ${dataSize} bytes at ${dataOffset} but the file ends after ${source.size - dataOffset}`,
    );
    available = source.size - dataOffset;
  }
  checkPlacement(image, dataOffset, dataSize, warnings);

  const superBlob = parseSuperBlob(available > 0 ? source.read(dataOffset, available) : Buffer.alloc(0));
  for (const problem of superBlob.problems) fail('superblob-malformed', problem);

  const codeDirectories: CodeDirectory[] = [];
  for (const blob of superBlob.blobs.filter((b) => isCodeDirectorySlot(b.slot)).sort((a, b) => a.slot - b.slot)) {
    const cd = blob.magic === CSMAGIC_CODEDIRECTORY ? parseCodeDirectory(blob.bytes, blob.slot) : null;
    if (cd) codeDirectories.push(cd);
    else fail('codedirectory-malformed', `the blob in slot 0x${blob.slot.toString(16)} is not a CodeDirectory`);
  }
  const hashTypes = new Set<number>();
  for (const cd of codeDirectories) {
    // The kernel refuses two CodeDirectories with one hash type ("illegal and suspicious").
    if (hashTypes.has(cd.hashType))
      fail('codedirectory-duplicate', `two CodeDirectories use hash type ${cd.hash?.name ?? cd.hashType}`);
    hashTypes.add(cd.hashType);
  }

  const requirementsBlob = findBlob(superBlob, CSSLOT_REQUIREMENTS);
  const requirements = requirementsBlob ? parseRequirements(requirementsBlob.bytes) : null;
  if (requirementsBlob && !requirements) warnings.push('the requirements blob could not be decoded');

  const xml = readXmlEntitlements(findBlob(superBlob, CSSLOT_ENTITLEMENTS), warnings);
  const der = readDerEntitlements(findBlob(superBlob, CSSLOT_DER_ENTITLEMENTS));
  const entitlementsUnreadable: EmbeddedSignature['entitlementsUnreadable'] = [];
  for (const [form, read] of [
    ['XML', xml],
    ['DER', der],
  ] as const) {
    if (read && 'reason' in read) {
      entitlementsUnreadable.push({ form, reason: read.reason });
      fail('entitlements-malformed', `the ${form} entitlements cannot be read: ${read.reason}`);
    }
  }
  const entitlements = xml && 'value' in xml ? xml.value : null;
  const entitlementsDer = der && 'value' in der ? der.value : null;
  if (entitlements && entitlementsDer && !plistEqual(entitlements, entitlementsDer)) {
    warnings.push(
      `the XML and DER entitlements disagree (${describeDifferences(entitlements, entitlementsDer)}); macOS enforces the DER form`,
    );
  }

  const cms = readCms(findBlob(superBlob, CSSLOT_SIGNATURESLOT), codeDirectories, fail, now);
  return {
    dataOffset,
    dataSize,
    superBlob,
    codeDirectories,
    requirements,
    entitlements,
    entitlementsDer,
    entitlementsUnreadable,
    cms,
    problems,
    warnings,
  };
}

/** ld64 and Go put the signature last in __LINKEDIT, which is the last segment; anything else is unusual. */
function checkPlacement(image: MachOImage, dataOffset: number, dataSize: number, warnings: string[]): void {
  const linkedit = image.segments.find((s) => s.name === '__LINKEDIT');
  if (!linkedit) {
    warnings.push('there is no __LINKEDIT segment to hold the signature');
    return;
  }
  if (dataOffset < linkedit.fileOffset || dataOffset + dataSize > linkedit.fileOffset + linkedit.fileSize) {
    warnings.push('the signature does not lie inside __LINKEDIT');
  }
  if (dataOffset % 16 !== 0) warnings.push(`the signature offset ${dataOffset} is not 16-byte aligned`);
}

type Fail = (code: string, message: string) => void;

/** What an entitlements blob says: its dictionary, or why it cannot be read; undefined when there is no blob. */
type EntitlementsRead = { value: PlistDict } | { reason: string } | undefined;

function readXmlEntitlements(blob: Blob | undefined, warnings: string[]): EntitlementsRead {
  if (!blob) return undefined;
  if (blob.magic !== CSMAGIC_EMBEDDED_ENTITLEMENTS)
    return { reason: 'the entitlements slot does not hold an entitlements blob' };
  try {
    const { value, leading } = parsePlist(blob.bytes.subarray(8));
    if (leading > 0)
      warnings.push(
        `the XML entitlements start with ${leading} characters of whitespace before <?xml, which macOS accepts`,
      );
    return isPlistDict(value) ? { value } : { reason: 'they are not a dictionary' };
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    return { reason: error.message };
  }
}

function readDerEntitlements(blob: Blob | undefined): EntitlementsRead {
  if (!blob) return undefined;
  if (blob.magic !== CSMAGIC_EMBEDDED_DER_ENTITLEMENTS)
    return { reason: 'the DER entitlements slot does not hold a DER entitlements blob' };
  try {
    return { value: decodeDerEntitlements(blob.bytes.subarray(8)) };
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    return { reason: error.message };
  }
}

/** "key: XML true, DER absent; …" for the keys whose values differ, so the user sees what each form says. */
function describeDifferences(xml: PlistDict, der: PlistDict): string {
  const show = (v: PlistValue | undefined) => (v === undefined ? 'absent' : JSON.stringify(plistToJson(v)));
  return [...new Set([...Object.keys(xml), ...Object.keys(der)])]
    .filter((key) => xml[key] === undefined || der[key] === undefined || !plistEqual(xml[key], der[key]))
    .map((key) => `${key}: XML ${show(xml[key])}, DER ${show(der[key])}`)
    .join('; ');
}

function readCms(blob: Blob | undefined, cds: CodeDirectory[], fail: Fail, now?: Date): CmsAnalysis | null {
  if (!blob) return null;
  if (blob.magic !== CSMAGIC_BLOBWRAPPER) {
    fail('cms-malformed', 'the signature slot does not hold a blob wrapper');
    return null;
  }
  const payload = blob.bytes.subarray(8);
  // An empty wrapper is what `codesign -s -` writes: no CMS at all (Security: "a null signer generates a null signature blob").
  if (payload.length === 0) return null;
  const primary = cds.find((cd) => cd.slot === CSSLOT_CODEDIRECTORY);
  if (!primary) {
    fail('cms-no-codedirectory', 'there is a CMS signature but no primary CodeDirectory for it to sign');
    return null;
  }
  const digests = cds
    .filter((cd) => cd.hash)
    .map((cd) => ({ slot: cd.slot, hashType: cd.hashType, cdhashFull: cd.cdhashFull }));
  return analyzeCms(payload, primary.bytes, digests, now);
}
