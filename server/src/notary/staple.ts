/**
 * The builtin stapler: attaches a notarization ticket where Apple's `stapler` puts it, on any OS.
 *
 * Contract:
 * - `stapleApp(app, ticket)`: the raw ticket bytes become `Contents/CodeResources`.
 * - `stapleDmg(dmg, ticket)`: the image's SuperBlob is rewritten with every blob it had plus the ticket in a
 *   BlobWrapper in slot 0x10002 (not hashed by the CodeDirectory, so the signature stays valid; a former ticket is
 *   replaced), followed by the koly trailer with the signature's new size. The image bytes before the signature are
 *   copied unchanged. An unsigned image is refused.
 * - `staplePkg(pkg, ticket)`: the archive (less any former ticket trailer) followed by the `t8lr` trailer.
 * - Every write goes to a new temporary file beside the target, then is renamed over it (permission bits kept), so
 *   an interruption never leaves a half-stapled artifact.
 * - `stapleQuery(path)` is the record to look the ticket up by: an .app's main executable's first slice, a disk
 *   image's own CodeDirectory (SHA-256 when present), a package's TOC checksum.
 * - `stapleBuiltin(path, options)` looks the ticket up and staples it; a missing or withdrawn ticket, or no answer,
 *   is `stapled: false` with a sentence saying why. A bare Mach-O or a zip is CannotStaple (an InputError).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { InputError } from '../errors';
import { createNewFile, filePermissions, RegularFile } from '../fileAccess';
import { appExecutable, stapledTicketPath } from '../bundle/app';
import { kolyWithSignature, readDmg } from '../bundle/dmg';
import { pkgTicketTrailer, readPkg } from '../bundle/pkg';
import { staplableKind, StaplableKind } from '../bundle/stapledTicket';
import { CSMAGIC_BLOBWRAPPER, CSSLOT_TICKETSLOT } from '../macho/format';
import { parseFatArchs, sniffMachO } from '../macho/container';
import { parseMachO } from '../macho/loadCommands';
import { readSignature } from '../macho/signature';
import { FileSource } from '../macho/source';
import { embeddedSignature } from '../sign/superblob';
import type { StapleResult } from '../protocol';
import { LookupOptions, lookupTickets, recordName, TICKET_MAGIC, TicketQuery } from './ticketLookup';

const PIECE = 1024 * 1024;

function checkTicket(target: string, ticket: Buffer): void {
  if (ticket.length < 8 || ticket.toString('latin1', 0, 4) !== TICKET_MAGIC)
    throw new InputError(`${target}: refusing to staple bytes that are not a notarization ticket (no "s8ch" magic)`);
}

/** A new file beside `target` that replaces it once complete (same permission bits); removed if anything fails. */
function replaceFile(target: string, mode: number, write: (out: { write(bytes: Uint8Array): void }) => void): void {
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.staple-${randomBytes(6).toString('hex')}`);
  let created = false;
  try {
    const out = createNewFile(temp, 0o600);
    created = true;
    try {
      write(out);
    } finally {
      out.close();
    }
    fs.chmodSync(temp, mode);
    fs.renameSync(temp, target);
  } catch (error) {
    if (created) fs.rmSync(temp, { force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && !(error instanceof InputError))
      throw new InputError(`${target}: cannot write the stapled file (${code})`);
    throw error;
  }
}

/** Replaces `target` with its first `keep` bytes followed by `tail`, copying in pieces. */
async function rewriteTail(target: string, keep: number, tail: Buffer): Promise<void> {
  const mode = filePermissions(target);
  const input = await RegularFile.open(target);
  try {
    replaceFile(target, mode, (out) => {
      const piece = Buffer.alloc(Math.max(1, Math.min(PIECE, keep)));
      for (let done = 0; done < keep;) {
        const n = input.readSync(piece, 0, Math.min(piece.length, keep - done), done);
        if (n === 0) throw new InputError(`${target}: the file shrank while being stapled`);
        out.write(piece.subarray(0, n));
        done += n;
      }
      out.write(tail);
    });
  } finally {
    await input.close();
  }
}

export function stapleApp(app: string, ticket: Buffer): void {
  checkTicket(app, ticket);
  appExecutable(app); // a readable bundle with its main executable, or an InputError saying what is wrong
  const target = stapledTicketPath(app);
  replaceFile(target, 0o644, (out) => out.write(ticket));
}

export async function stapleDmg(dmg: string, ticket: Buffer): Promise<void> {
  checkTicket(dmg, ticket);
  const info = await readDmg(dmg);
  if (!info.signature || !info.koly.codeSignature)
    throw new InputError(`${dmg}: the disk image is not signed, so it cannot carry a ticket (sign it first)`);
  const { dataFork, plist } = info.koly;
  if (info.koly.codeSignature.offset < Math.max(dataFork.offset + dataFork.length, plist.offset + plist.length))
    throw new InputError(`${dmg}: the disk image's signature lies inside its data or plist; refusing to rewrite it`);
  if (info.signature.superBlob.problems.length > 0)
    throw new InputError(`${dmg}: the disk image's signature is damaged (${info.signature.superBlob.problems[0]})`);
  const blobs = new Map<number, Buffer>();
  for (const blob of info.signature.superBlob.blobs) blobs.set(blob.slot, blob.bytes);
  const wrapper = Buffer.alloc(8);
  wrapper.writeUInt32BE(CSMAGIC_BLOBWRAPPER, 0);
  wrapper.writeUInt32BE(8 + ticket.length, 4);
  blobs.set(CSSLOT_TICKETSLOT, Buffer.concat([wrapper, ticket]));
  const superBlob = embeddedSignature(blobs);
  const offset = info.koly.codeSignature.offset;
  await rewriteTail(dmg, offset, Buffer.concat([superBlob, kolyWithSignature(info.koly, offset, superBlob.length)]));
}

export async function staplePkg(pkg: string, ticket: Buffer): Promise<void> {
  checkTicket(pkg, ticket);
  const info = await readPkg(pkg);
  await rewriteTail(pkg, info.archiveEnd, pkgTicketTrailer(ticket));
}

/** Staples `ticket` to an .app, .dmg or .pkg; throws CannotStaple for a bare binary or a zip. */
export async function stapleTicket(target: string, ticket: Buffer): Promise<StaplableKind> {
  const kind = await staplableKind(target);
  if (kind === 'app') stapleApp(target, ticket);
  else if (kind === 'dmg') await stapleDmg(target, ticket);
  else await staplePkg(target, ticket);
  return kind;
}

/** The record of a Mach-O file's first slice (what rcodesign and stapler ask for; the ticket covers every slice). */
async function machOQuery(file: string): Promise<TicketQuery | null> {
  const source = await FileSource.open(file);
  try {
    const kind = sniffMachO(source.read(0, Math.min(8, source.size)));
    if (!kind) throw new InputError(`${file}: not a Mach-O file`);
    const slice =
      kind === 'macho' ? source : source.slice(parseFatArchs(source)[0].offset, parseFatArchs(source)[0].size, file);
    const signature = readSignature(slice, parseMachO(slice));
    const cds = signature?.codeDirectories ?? [];
    const cd = cds.find((c) => c.hashType === 2) ?? cds.find((c) => c.hashType === 1);
    return cd ? { digestType: cd.hashType as 1 | 2, cdhash: cd.cdhash.toString('hex') } : null;
  } finally {
    await source.close();
  }
}

/** The record a ticket for `target` is looked up by; InputError when the artifact is not signed. */
export async function stapleQuery(target: string): Promise<{ kind: StaplableKind; query: TicketQuery }> {
  const kind = await staplableKind(target);
  const query =
    kind === 'app'
      ? await machOQuery(appExecutable(target))
      : kind === 'dmg'
        ? (await readDmg(target)).ticketQuery
        : (await readPkg(target)).ticketQuery;
  if (!query)
    throw new InputError(
      kind === 'pkg'
        ? `${target}: the package's checksum is neither SHA-1 nor SHA-256, so it has no notarization record`
        : `${target}: not signed (no SHA-1 or SHA-256 CodeDirectory), so it cannot have been notarized`,
    );
  return { kind, query };
}

/** Looks up the ticket for `target` and staples it: the builtin `staple`. */
export async function stapleBuiltin(target: string, options: LookupOptions = {}): Promise<StapleResult> {
  const { query } = await stapleQuery(target);
  const answer = (await lookupTickets([query], options)).get(query.cdhash)!;
  switch (answer.status) {
    case 'found':
      await stapleTicket(target, answer.ticket);
      return { stapled: true, message: `${target}: ticket stapled` };
    case 'not-found':
      return {
        stapled: false,
        message: `${target}: Apple has no ticket for ${recordName(query)} (not notarized yet, or the notarized build was different); notarize it, then staple again`,
      };
    case 'deleted':
      return {
        stapled: false,
        message: `${target}: Apple withdrew the ticket for ${recordName(query)} (notarization revoked); nothing was stapled`,
      };
    default:
      return { stapled: false, message: `${target}: could not ask for a ticket: ${answer.reason}` };
  }
}
