/**
 * The zip Apple's notary service accepts, made in-process: what `ditto -c -k --keepParent PATH OUTPUT` makes on a Mac,
 * for a bare binary or an .app, on any OS (notarytool and the Notary API take .zip, .dmg and .pkg, never a bare Mach-O
 * or a folder).
 *
 * Contract:
 * - The parent folder is kept: the archive's first entry is PATH's base name (`mytool`, or `My.app/` followed by
 *   `My.app/Contents/`...), so unpacking recreates the item itself, as ditto --keepParent does.
 * - Every directory is an entry of its own; regular files are deflated; a symbolic link is stored as a link (file type
 *   S_IFLNK in the external attributes, the link text as the data, stored, never followed), so a bundle's framework
 *   links (`Versions/Current -> A`) survive and a link pointing out of the tree never pulls outside bytes in. PATH
 *   itself is followed when it is a link, as ditto follows the links named on its command line.
 * - Unix permission bits and file types are kept: "version made by" says Unix (3) and the external attributes' high 16
 *   bits hold st_mode, which Info-ZIP's unzip, Python's zipfile and macOS's Archive Utility restore.
 * - FIFOs, sockets and devices are refused with one line (ditto leaves pipes and sockets out silently; in something
 *   to be notarized such an entry is a mistake worth naming), before anything is written.
 * - What ditto adds on a Mac and we do not: ditto(1) keeps resource forks and extended attributes by default (--rsrc,
 *   the default since 10.4), as AppleDouble `._name` entries next to each file that has some; `--sequesterRsrc` moves
 *   them under `__MACOSX/` instead. Off macOS there are no resource forks or Finder info to keep, and the notary
 *   service does not need them (the code signature lives in the files), so we write no AppleDouble entries.
 * - Written to a temporary file next to OUTPUT and renamed over it at the end: a failure never leaves a partial zip.
 *   Streamed: files are read in pieces one at a time (yazl pumps one entry at a time with backpressure), so a 100 MB
 *   binary is never held whole; the SHA-256 the notary submission declares is computed from the bytes as they are
 *   written.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ZipFile } from 'yazl';
import { InputError } from '../errors';
import { createNewFileStream, linkStat, listDirectory, openFileStream, readLink } from '../fileAccess';

/** One entry of the archive, in the order written. */
export interface ZipEntry {
  /** The name in the archive: '/'-separated, the parent folder first; directories end with '/'. */
  name: string;
  kind: 'file' | 'directory' | 'symlink';
  /** st_mode as stored in the external attributes: file type and permission bits. */
  mode: number;
  /** Bytes of a file's contents, of a link's target text; 0 for a directory. */
  size: number;
  /** A symbolic link's target, as stored. */
  target?: string;
}

export interface ZipResult {
  /** The archive written (OUTPUT as given). */
  output: string;
  /** Hex SHA-256 of the whole archive: what a notary submission declares. */
  sha256: string;
  entries: ZipEntry[];
}

/** A planned entry with the path its bytes come from. */
export interface PlannedEntry extends ZipEntry {
  source: string;
  mtime: Date;
}

/** Names yazl or a reader would change: a backslash becomes a separator, an undecodable name cannot be opened again. */
function checkName(source: string, name: string): void {
  if (name.includes('\\')) throw new InputError(`${source}: a file name with a backslash cannot go into a zip`);
  if (name.includes('\uFFFD')) throw new InputError(`${source}: the file name is not valid UTF-8`);
}

function refuse(source: string, what: string): never {
  throw new InputError(`${source}: ${what} cannot go into a zip for notarization; remove it`);
}

/**
 * The entries `zipForNotarization` writes for PATH, in order (pre-order, names sorted), read without following any
 * link inside the tree. Throws InputError for a FIFO, socket or device, or a name a zip cannot carry.
 */
export function planArchive(input: string): PlannedEntry[] {
  const base = path.basename(path.resolve(input));
  if (!base || base === path.sep) throw new InputError(`${input}: nothing to name the archive's top folder after`);
  const entries: PlannedEntry[] = [];
  const visit = (source: string, name: string, follow: boolean) => {
    checkName(source, name);
    const stat = linkStat(source, follow);
    const mode = stat.mode & 0xffff;
    switch (stat.kind) {
      case 'file':
        entries.push({ name, kind: 'file', mode, size: stat.size, source, mtime: stat.mtime });
        return;
      case 'symlink': {
        const target = readLink(source);
        entries.push({
          name,
          kind: 'symlink',
          mode,
          size: Buffer.byteLength(target),
          target,
          source,
          mtime: stat.mtime,
        });
        return;
      }
      case 'directory':
        entries.push({ name: `${name}/`, kind: 'directory', mode, size: 0, source, mtime: stat.mtime });
        for (const child of listDirectory(source)) visit(path.join(source, child.name), `${name}/${child.name}`, false);
        return;
      default:
        refuse(source, stat.what);
    }
  };
  visit(input, base, true);
  return entries;
}

/** Why writing the archive failed, in one line; errors that are already one-line input errors pass through. */
function writeError(output: string, error: unknown): Error {
  if (error instanceof InputError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string') return new InputError(`${output}: cannot write the archive (${code})`);
  return error as Error;
}

/**
 * Zips PATH (a bare binary or an .app) into OUTPUT as `ditto -c -k --keepParent PATH OUTPUT` does (see the module
 * header), replacing OUTPUT if it exists. Resolves with the archive's SHA-256 and its entries. Throws InputError.
 */
export async function zipForNotarization(input: string, output: string): Promise<ZipResult> {
  const inside = path.relative(path.resolve(input), path.resolve(output));
  if (inside === '' || (!inside.startsWith('..') && !path.isAbsolute(inside)))
    throw new InputError(`${output}: the archive cannot be written inside ${input}, which it archives`);
  const planned = planArchive(input);

  const zip = new ZipFile();
  const out = zip.outputStream as unknown as Transform;
  // The file being read: yazl reads one at a time, and says only "unexpected number of bytes" when one shrank.
  let reading = input;
  // Any failure (a file that changed or vanished, a read error) ends the output stream, so the pipeline rejects.
  zip.on('error', (error: Error) => {
    const known = error instanceof InputError || typeof (error as NodeJS.ErrnoException).code === 'string';
    out.destroy(known ? error : new InputError(`${reading}: changed while being archived`));
  });
  for (const entry of planned) {
    const common = { mtime: entry.mtime, mode: entry.mode };
    if (entry.kind === 'directory') zip.addEmptyDirectory(entry.name, common);
    else if (entry.kind === 'symlink')
      zip.addBuffer(Buffer.from(entry.target!), entry.name, { ...common, compress: false });
    else
      zip.addReadStreamLazy(entry.name, { ...common, size: entry.size, compress: entry.size > 0 }, (done) => {
        reading = entry.source;
        openFileStream(entry.source, { noFollow: true }).then(
          ({ stream, size }) => {
            if (size !== entry.size) {
              stream.destroy();
              return done(new InputError(`${entry.source}: changed while being archived`), stream);
            }
            stream.on('error', (error: NodeJS.ErrnoException) =>
              zip.emit('error', new InputError(`${entry.source}: cannot read (${error.code ?? error.message})`)),
            );
            done(null, stream);
          },
          (error) => done(error, undefined as never),
        );
      });
  }
  zip.end();

  const hash = createHash('sha256');
  const hasher = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  const temporary = path.join(
    path.dirname(output),
    `.${path.basename(output)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`,
  );
  try {
    await pipeline(out, hasher, createNewFileStream(temporary, 0o666));
    fs.renameSync(temporary, output);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw writeError(output, error);
  }
  return {
    output,
    sha256: hash.digest('hex'),
    entries: planned.map(({ name, kind, mode, size, target }) => ({
      name,
      kind,
      mode,
      size,
      ...(target !== undefined ? { target } : {}),
    })),
  };
}
