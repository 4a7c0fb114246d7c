/**
 * Signs one thin Mach-O slice in memory: CodeDirectories, requirements, entitlements, CMS, in the slice's layout.
 *
 * Contract: `signSlice(bytes, request)` returns the new slice; the input is never modified. Errors a user can act on
 * are InputError. What is written follows Apple's codesign (Security `signer.cpp`, `cdbuilder.cpp`,
 * `machorep.cpp`):
 *   - flags: adhoc (0x2) without an identity, runtime (0x10000) when asked; the linker-signed flag is dropped;
 *   - digests: SHA-256, or SHA-1 (slot 0) + SHA-256 (slot 0x1000) when a slice targets macOS below 10.11.4, iOS or
 *     tvOS below 11, or watchOS below 12 (MachORep::prepareForSigning; across all slices of a file, see file.ts);
 *   - page size 4096; the executable segment (__TEXT) when the slice names a platform, MAIN_BINARY for MH_EXECUTE
 *     plus the flags its entitlements imply; the runtime version is the SDK version of LC_BUILD_VERSION;
 *   - special slots: Info.plist (given, or the `__TEXT,__info_plist` section), requirements, CodeResources (given),
 *     XML and DER entitlements (executables only, as codesign does), counted up to the highest one present;
 *   - the CMS from `request.cms` over the final CodeDirectories, primary first; ad hoc an empty wrapper and the
 *     producer is not called.
 * The existing signature space is reused when the new signature fits in it (only the signature bytes change);
 * otherwise the space is sized as codesign sizes it and __LINKEDIT grows (layout.ts). If a CMS turns out larger than
 * the space, the slice is laid out again with room for it and signed once more.
 */
import { InputError } from '../errors';
import { CSSLOT_ALTERNATE_CODEDIRECTORIES, CSSLOT_SIGNATURESLOT, MH_EXECUTE } from '../macho/format';
import {
  buildCodeDirectory,
  cdhashOf,
  codeDirectorySize,
  CodeDirectorySpec,
  CS_ADHOC,
  CS_EXECSEG_MAIN_BINARY,
  CS_RUNTIME,
} from './codeDirectory';
import { entitlementsBlobs, execSegmentFlags } from './entitlements';
import {
  CMS_RESERVE,
  growPlan,
  inMemory,
  keepPlan,
  Piece,
  readHead,
  readSliceLayout,
  signatureSpace,
  SliceLayout,
  SlicePlan,
} from './layout';
import { BufferSource, ByteSource } from '../macho/source';
import { internalRequirements } from './requirements';
import { cmsBlob, embeddedSignature } from './superblob';
import type { CmsProducer, HashName, SignRequest } from './types';

export interface SliceExtras {
  cms: CmsProducer;
  /** Bytes sealed in special slot 1 (a bundle's Contents/Info.plist); default: the `__TEXT,__info_plist` section. */
  infoPlist?: Buffer;
  /** Bytes sealed in special slot 3 (a bundle's _CodeSignature/CodeResources). */
  codeResources?: Buffer;
  /** Digests to use, primary first; default: as codesign chooses for this slice alone. */
  hashes?: HashName[];
  /** Name used in error messages. */
  name?: string;
}

export interface SignedSlice {
  /** The signed slice as pieces laid end to end (ranges of the input where it is unchanged), and its size. */
  pieces: Piece[];
  size: number;
  /** The pieces joined (a copy, made on first use). */
  readonly bytes: Buffer;
  identifier: string;
  /** Each CodeDirectory's digest, primary first, untruncated (the cdhash is its first 20 bytes). */
  cdhashes: { hash: HashName; digest: Buffer }[];
  /** Whether the existing signature space was reused. */
  keptSpace: boolean;
}

const PAGE_SIZE = 4096;
const SPECIAL = { infoPlist: 1, requirements: 2, codeResources: 3, entitlements: 5, derEntitlements: 7 } as const;

/** Below these minimum OS versions codesign keeps SHA-1 next to SHA-256 (Security machorep.cpp). */
const AGILE_BELOW: Record<number, number> = { 1: 0x0a0b04, 2: 0x0b0000, 3: 0x0b0000, 4: 0x0c0000 };

export function needsAgileHashes(layout: Pick<SliceLayout, 'platform' | 'minVersion'>): boolean {
  const limit = AGILE_BELOW[layout.platform];
  return limit !== undefined && layout.minVersion < limit;
}

export function hashesFor(layouts: Pick<SliceLayout, 'platform' | 'minVersion'>[]): HashName[] {
  return layouts.some(needsAgileHashes) ? ['sha1', 'sha256'] : ['sha256'];
}

export async function signSlice(bytes: Buffer | ByteSource, request: SignRequest & SliceExtras): Promise<Buffer> {
  return (await signSliceDetailed(bytes, request)).bytes;
}

/** Signs one slice, given in memory or as a range of a file (read only where it must be: header, load commands). */
export async function signSliceDetailed(
  input: Buffer | ByteSource,
  request: SignRequest & SliceExtras,
): Promise<SignedSlice> {
  const name = request.name ?? 'the Mach-O slice';
  const source = Buffer.isBuffer(input) ? new BufferSource(input, name) : input;
  const identifier = request.identifier;
  if (!identifier) throw new InputError(`${name}: an identifier is needed to sign`);
  if (identifier.includes('\0')) throw new InputError(`${name}: the identifier contains a NUL character`);
  const layout = readSliceLayout(readHead(source), name, source.size);
  const identity = request.identity;
  const mainBinary = layout.fileType === MH_EXECUTE;

  // Components that do not depend on where the signature goes.
  const components = new Map<number, Buffer>();
  const special = new Map<number, Buffer>();
  const infoPlist = request.infoPlist ?? infoPlistSection(source, layout);
  if (infoPlist) special.set(SPECIAL.infoPlist, infoPlist);
  const requirements = internalRequirements(identifier, identity);
  components.set(SPECIAL.requirements, requirements);
  special.set(SPECIAL.requirements, requirements);
  if (request.codeResources) special.set(SPECIAL.codeResources, request.codeResources);
  let extraExecFlags = 0;
  if (request.entitlements && mainBinary) {
    const entitlements = entitlementsBlobs(request.entitlements);
    for (const [slot, blob] of [
      [SPECIAL.entitlements, entitlements.xml],
      [SPECIAL.derEntitlements, entitlements.der],
    ] as const) {
      components.set(slot, blob);
      special.set(slot, blob);
    }
    extraExecFlags = execSegmentFlags(entitlements.dict);
  }

  const hashes = request.hashes ?? hashesFor([layout]);
  const spec = (hash: HashName, codeLimit: number): CodeDirectorySpec => ({
    identifier,
    // codesign takes the team ID from Apple developer certificates only (CodeSigner.cpp getTeamIDFromSigner).
    teamId: identity && identity.kind !== 'other' ? identity.teamId : null,
    hash,
    flags: (identity ? 0 : CS_ADHOC) | (request.runtime ? CS_RUNTIME : 0),
    codeLimit,
    pageSize: PAGE_SIZE,
    execSegment:
      layout.platform !== 0 && layout.text
        ? {
            base: layout.text.fileoff,
            limit: layout.text.filesize,
            flags: (mainBinary ? CS_EXECSEG_MAIN_BINARY : 0) | (mainBinary ? extraExecFlags : 0),
          }
        : null,
    runtimeVersion: request.runtime ? layout.sdkVersion : 0,
    special,
  });

  const componentLengths = [...components.values()].map((b) => b.length);
  /** codesign's estimate, from the code the slice signs today (its current signature offset, else its size). */
  const estimate = (cmsReserve: number) => {
    const extent = layout.codeSignature ? Math.min(layout.codeSignature.dataOffset, source.size) : source.size;
    const cdLengths = hashes.map((h) => codeDirectorySize(spec(h, extent), 0x20500));
    return signatureSpace(componentLengths, cdLengths, cmsReserve);
  };

  const attempt = async (plan: SlicePlan) => {
    const cds: Buffer[] = [];
    for (const hash of hashes) cds.push(await buildCodeDirectory(plan.head, spec(hash, plan.dataOffset)));
    const cms = identity ? await request.cms(cds.map((blob, i) => ({ blob, hash: hashes[i] }))) : Buffer.alloc(0);
    const blobs = new Map(components);
    cds.forEach((cd, i) => blobs.set(i === 0 ? 0 : CSSLOT_ALTERNATE_CODEDIRECTORIES + i - 1, cd));
    blobs.set(CSSLOT_SIGNATURESLOT, cmsBlob(cms));
    const signature = embeddedSignature(blobs);
    const cdhashes = cds.map((cd, i) => ({ hash: hashes[i], digest: cdhashOf(cd, hashes[i]) }));
    return { signature, cms, cdhashes };
  };

  // Reuse the existing space when even a small CMS leaves room (ad hoc the CMS is 8 bytes, exactly).
  let plan: SlicePlan | null = keepPlan(source, layout);
  if (plan) {
    const dataOffset = plan.dataOffset;
    const certificates = identity ? [identity.certificate, ...identity.chain].reduce((n, c) => n + c.length, 0) : 0;
    const cdLengths = hashes.map((h) => codeDirectorySize(spec(h, dataOffset)));
    const smallest = 12 + 8 * (components.size + hashes.length + 1) + sum(componentLengths) + sum(cdLengths);
    if (smallest + 8 + certificates > plan.space) plan = null;
  }
  plan ??= growPlan(source, layout, estimate(CMS_RESERVE));
  let result = await attempt(plan);
  if (result.signature.length > plan.space) {
    // The CMS (a long chain, a large timestamp token) outgrew the space: lay out again with room for it.
    const reserve = Math.max(CMS_RESERVE, result.cms.length + 8 + 1024);
    plan = growPlan(source, layout, Math.max(estimate(reserve), alignUp16(result.signature.length + 1024)));
    result = await attempt(plan);
    if (result.signature.length > plan.space)
      throw new InputError(`${name}: the signature (${result.signature.length} bytes) does not fit its space`);
  }
  const padding = Buffer.alloc(plan.space - result.signature.length);
  const pieces = [...plan.head, inMemory(Buffer.concat([result.signature, padding]))];
  let joined: Buffer | undefined;
  return {
    pieces,
    size: plan.dataOffset + plan.space,
    // Joined only when asked: the file signer writes the pieces as they are.
    get bytes() {
      return (joined ??= Buffer.concat(pieces.map((p) => p.source.read(p.offset, p.length))));
    },
    identifier,
    cdhashes: result.cdhashes,
    keptSpace: plan.kept,
  };
}

const alignUp16 = (n: number) => Math.ceil(n / 16) * 16;
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

function infoPlistSection(source: ByteSource, layout: SliceLayout): Buffer | null {
  const section = layout.infoPlist;
  if (!section || section.size === 0) return null;
  if (section.offset + section.size > source.size)
    throw new InputError(`${layout.name}: the __TEXT,__info_plist section lies outside the file`);
  return source.read(section.offset, section.size);
}
