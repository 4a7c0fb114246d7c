/**
 * One Mach-O file (thin or universal) in, one SliceReport per architecture out: the model that the CLI prints,
 * the language server returns and the readiness checks judge.
 */
import { InputError } from '../errors';
import type { SignatureReport, SliceReport } from '../protocol';
import { PlistDict, plistToJson } from '../plist';
import { classifySigner } from './classify';
import { describeExecSegFlags, describeFlags, preferredCodeDirectory, runtimeVersion } from './codeDirectory';
import { ContainerKind, parseFatArchs, sniffMachO } from './container';
import { CS_RUNTIME, slotName } from './format';
import { MachOImage, parseMachO } from './loadCommands';
import { EmbeddedSignature, readSignature } from './signature';
import { ByteSource } from './source';
import { ExternalComponents, verifySignature, VerifyOptions } from './verify';

export interface InspectOptions extends VerifyOptions {
  /** Reference time for certificate validity when there is no secure timestamp (tests pin it). */
  now?: Date;
}

export interface MachOInspection {
  kind: ContainerKind;
  slices: SliceReport[];
}

export async function inspectMachO(
  file: ByteSource,
  external: ExternalComponents = {},
  options: InspectOptions = {},
): Promise<MachOInspection> {
  const kind = sniffMachO(file.read(0, Math.min(8, file.size)));
  if (!kind) throw new InputError(`${file.name}: not a Mach-O or universal binary`);
  if (kind === 'macho') return { kind, slices: [await inspectSlice(file, 0, external, options)] };
  const slices: SliceReport[] = [];
  for (const arch of parseFatArchs(file)) {
    const slice = file.slice(arch.offset, arch.size, file.name);
    if (sniffMachO(slice.read(0, Math.min(8, slice.size))) !== 'macho') {
      throw new InputError(`${file.name}: the slice at offset ${arch.offset} is not a Mach-O file`);
    }
    slices.push(await inspectSlice(slice, arch.offset, external, options));
  }
  return { kind, slices };
}

async function inspectSlice(
  source: ByteSource,
  offset: number,
  external: ExternalComponents,
  options: InspectOptions,
): Promise<SliceReport> {
  const image = parseMachO(source);
  const signature = readSignature(source, image, options.now);
  const components: ExternalComponents = {
    infoPlist: external.infoPlist ?? embeddedInfoPlist(source, image),
    codeResources: external.codeResources,
  };
  const verification = await verifySignature(source, image, signature, components, options);
  verification.warnings.push(...image.warnings);
  return {
    arch: image.header.arch,
    cpuType: image.header.cputype,
    cpuSubtype: image.header.cpusubtype,
    offset,
    size: source.size,
    fileType: image.header.fileTypeName,
    headerFlags: image.header.flagNames,
    platform: image.platform,
    minOS: image.minOS,
    sdk: image.sdk,
    uuid: image.uuid,
    dylibs: image.dylibs,
    entryPoint: image.entryPoint,
    segments: image.segments.map((s) => ({
      name: s.name,
      fileOffset: s.fileOffset,
      fileSize: s.fileSize,
      sections: s.sections.map((x) => x.name),
    })),
    signature: signature ? signatureReport(signature) : null,
    verification,
  };
}

/** A bare executable can seal an Info.plist embedded as section `__TEXT,__info_plist` (Security `MachORep::infoPlist`). */
function embeddedInfoPlist(source: ByteSource, image: MachOImage): Buffer | null {
  const text = image.segments.find((s) => s.name === '__TEXT');
  const section = text?.sections.find((s) => s.name === '__info_plist');
  if (!section || section.fileOffset + section.size > source.size) return null;
  return source.read(section.fileOffset, section.size);
}

function signatureReport(signature: EmbeddedSignature): SignatureReport {
  const primary = signature.codeDirectories.find((cd) => cd.slot === 0) ?? signature.codeDirectories[0];
  const preferred = preferredCodeDirectory(signature.codeDirectories);
  const cms = signature.cms;
  const leaf = cms?.signer ?? null;
  const json = (dict: PlistDict | null) => (dict ? (plistToJson(dict) as Record<string, unknown>) : null);
  return {
    kind: classifySigner(primary ? primary.flags : null, leaf, cms?.chainToAppleRoot ?? false),
    identifier: primary?.identifier ?? '',
    teamId: primary?.teamId ?? null,
    flags: primary ? describeFlags(primary) : [],
    hardenedRuntime: primary ? (primary.flags & CS_RUNTIME) !== 0 : false,
    cdhash: preferred?.cdhash.toString('hex') ?? '',
    codeDirectoryVersion: primary ? `0x${primary.version.toString(16)}` : '',
    hashType: preferred?.hash?.name ?? '',
    codeDirectories: signature.codeDirectories.map((cd) => ({
      slot: cd.slot,
      version: `0x${cd.version.toString(16)}`,
      flags: describeFlags(cd),
      flagsValue: cd.flags,
      hashType: cd.hash?.name ?? String(cd.hashType),
      hashSize: cd.hashSize,
      pageSize: cd.pageShift === 0 ? 0 : 2 ** cd.pageShift,
      codeLimit: cd.codeLimit,
      nCodeSlots: cd.nCodeSlots,
      nSpecialSlots: cd.nSpecialSlots,
      identifier: cd.identifier,
      teamId: cd.teamId,
      platform: cd.platform,
      execSegment: cd.execSegment
        ? { base: cd.execSegment.base, limit: cd.execSegment.limit, flags: describeExecSegFlags(cd.execSegment.flags) }
        : null,
      runtimeVersion: runtimeVersion(cd),
      cdhash: cd.cdhash.toString('hex'),
      cdhashFull: cd.cdhashFull.toString('hex'),
    })),
    blobs: signature.superBlob.blobs.map((b) => slotName(b.slot)),
    requirements: signature.requirements,
    certificates: cms?.certificates ?? [],
    chainToAppleRoot: cms?.chainToAppleRoot ?? false,
    signingTime: cms?.signingTime ?? null,
    timestamp: cms?.timestamp ?? null,
    entitlements: json(signature.entitlements ?? signature.entitlementsDer),
    entitlementsXml: json(signature.entitlements),
    entitlementsDer: json(signature.entitlementsDer),
    entitlementsUnreadable: signature.entitlementsUnreadable,
  };
}
