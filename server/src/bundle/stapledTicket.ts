/**
 * What can carry a stapled notarization ticket, and the ticket it carries: an .app (`Contents/CodeResources`), a disk
 * image (SuperBlob slot 0x10002) or a flat package (a `t8lr` trailer). A bare Mach-O or a zip cannot carry one.
 *
 * Contract: `staplableKind(path)` tells the kind by content (a directory with Contents/Info.plist, the koly trailer,
 * the xar magic), never by name; `readStapledTicket(path)` returns the ticket bytes or null, and throws InputError for
 * what cannot carry a ticket or is malformed.
 */
import { InputError } from '../errors';
import { statKind } from '../fileAccess';
import { sniffMachO } from '../macho/container';
import { ByteSource, FileSource } from '../macho/source';
import { isAppBundle, readAppTicket } from './app';
import { KOLY_SIZE, readDmg } from './dmg';
import { readPkg } from './pkg';

export type StaplableKind = 'app' | 'dmg' | 'pkg';
export type ArtifactContent = StaplableKind | 'binary' | 'zip' | 'other';

/** What a path holds, by content. */
export async function artifactContent(file: string): Promise<ArtifactContent> {
  if (statKind(file) === 'directory') return isAppBundle(file) ? 'app' : 'other';
  const opened = await FileSource.open(file);
  try {
    return fileContent(opened);
  } finally {
    await opened.close();
  }
}

/** What an open regular file holds, from its first bytes and, for a disk image, its koly trailer's magic. */
export function fileContent(file: ByteSource): Exclude<ArtifactContent, 'app'> {
  const head = file.read(0, Math.min(8, file.size));
  if (head.length >= 4 && head.readUInt32BE(0) === 0x78617221) return 'pkg';
  if (head.length >= 4 && head.readUInt32BE(0) === 0x504b0304) return 'zip';
  if (sniffMachO(head)) return 'binary';
  if (file.size < KOLY_SIZE) return 'other';
  return file.read(file.size - KOLY_SIZE, 4).toString('latin1') === 'koly' ? 'dmg' : 'other';
}

/** Why a ticket cannot be stapled to this kind of file (the explanation `staple` has always given). */
export class CannotStaple extends InputError {
  constructor(
    readonly path: string,
    readonly content: 'binary' | 'zip' | 'other',
  ) {
    super(
      content === 'zip'
        ? `${path}: a ticket cannot be stapled to a zip; staple the .app inside it and zip again, or ship the zip as is (Gatekeeper checks online).`
        : content === 'binary'
          ? `${path}: a bare binary cannot carry a stapled ticket; Gatekeeper checks its notarization online at first launch. For offline installs, package it (go-macos-sign package --format pkg or dmg), notarize and staple that.`
          : `${path}: not an .app, .dmg or .pkg, so it cannot carry a stapled ticket.`,
    );
  }
}

/** The kind of a staplable artifact; throws CannotStaple for anything else. */
export async function staplableKind(file: string): Promise<StaplableKind> {
  const content = await artifactContent(file);
  if (content === 'app' || content === 'dmg' || content === 'pkg') return content;
  throw new CannotStaple(file, content);
}

export async function readStapledTicket(file: string): Promise<{ kind: StaplableKind; ticket: Buffer | null }> {
  const kind = await staplableKind(file);
  if (kind === 'app') return { kind, ticket: readAppTicket(file) };
  if (kind === 'dmg') return { kind, ticket: (await readDmg(file)).stapledTicket };
  return { kind, ticket: (await readPkg(file)).stapledTicket };
}
