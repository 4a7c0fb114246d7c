/**
 * The builtin signer's one entry point: signs a Mach-O file (thin or universal) or a bundle, with a Developer ID
 * identity or ad hoc, the way Apple's codesign does, on any OS.
 *
 * Contract: the identity is checked first (validity, and that its kind may sign an application), so a wrong
 * certificate stops with one InputError before any byte is written. Each file is written through a temporary file
 * and a rename (file.ts); a bundle's resource seal only after its main executable is signed (bundle.ts). The result
 * says what was signed and how, for the CLI's text and `--json`.
 */
import { pathKind } from '../fileAccess';
import { decompile } from '../macho/requirements';
import { signBundle } from './bundle';
import { createCmsProducer } from './cms';
import { SignedFile, signFile } from './file';
import { requireApplicationSigning } from './identity';
import { designatedRequirement } from './requirements';
import type { SignedArtifact } from '../protocol';
import type { CmsProducer, SignRequest } from './types';

export type { SigningIdentity, SignRequest } from './types';
export type { SignedArtifact };
export { loadP12File, loadPemFiles } from './identity';
export { timestampUrlFromEnv } from './timestamp';
export { writeUniversal } from './fat';

/**
 * The cdhash the system uses for a slice: from its SHA-256 CodeDirectory when it has one (an old minimum OS adds a
 * SHA-1 primary), truncated to 20 bytes. Notarization tickets, `codesign -d` and `inspect` all name this one.
 */
function bestCdhash(slice: SignedFile['slices'][number]): string {
  const sha256 = slice.cdhashes.find((c) => c.hash === 'sha256');
  return sha256 ? sha256.digest.slice(0, 40) : slice.cdhash;
}

/** Ad hoc signatures carry an empty CMS blob: the slice signer never asks for one. */
const NO_CMS: CmsProducer = async () => {
  throw new Error('an ad hoc signature has no CMS');
};

export async function signArtifact(target: string, request: SignRequest, now = new Date()): Promise<SignedArtifact> {
  const { identity } = request;
  const warnings: string[] = [];
  if (identity) {
    requireApplicationSigning(identity, now);
    if (identity.kind === 'other') {
      warnings.push(
        `"${identity.commonName}" is not a Developer ID Application certificate issued by Apple: the signature is valid, but Gatekeeper and notarization accept only Apple's Developer ID`,
      );
    }
  }
  const cms = identity ? createCmsProducer(identity, { timestampUrl: request.timestampUrl }) : NO_CMS;
  const signed = (result: SignedFile): SignedArtifact => ({
    path: target,
    kind: 'binary',
    slices: result.slices.map((s) => ({ arch: s.arch, identifier: s.identifier, cdhash: bestCdhash(s) })),
    signer: identity?.commonName ?? null,
    teamId: identity && identity.kind !== 'other' ? identity.teamId : null,
    runtime: request.runtime,
    timestamped: identity !== null && request.timestampUrl !== null,
    warnings,
  });
  if (pathKind(target) !== 'directory') return signed(await signFile(target, request, cms));

  // The bundle's main executable is signed last: the last file signed is the one the result describes.
  let last: SignedFile | null = null;
  await signBundle(target, request, {
    signFile: async (file, fileRequest, extras) => {
      last = await signFile(file, fileRequest, cms, extras);
      const first = last.slices[0];
      const cdhash = bestCdhash(first);
      const requirement = identity
        ? decompile(designatedRequirement(first.identifier, identity).subarray(12))
        : `cdhash H"${cdhash}"`;
      return { cdhash: Buffer.from(cdhash, 'hex'), requirement: requirement ?? undefined };
    },
  });
  return { ...signed(last!), kind: 'bundle' };
}

/** One line per signed artifact, as the CLI prints it. */
export function describeSigned(s: SignedArtifact): string {
  const how = s.signer
    ? `${s.signer}${s.runtime ? ', hardened runtime' : ''}${s.timestamped ? ', secure timestamp' : ', no timestamp'}`
    : `ad hoc${s.runtime ? ', hardened runtime' : ''}`;
  const slices = s.slices.map((x) => `${x.arch} ${x.identifier} cdhash ${x.cdhash}`).join('; ');
  return `signed ${s.path} (${how}): ${slices}`;
}
