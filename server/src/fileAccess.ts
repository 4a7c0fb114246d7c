/**
 * The one way the engine, the CLI and the language server read files. A workspace is input nobody here wrote: a
 * committed symbolic link to /dev/zero, a FIFO, a socket, a device, a sparse file of a terabyte or a symbolic link loop
 * must never make a read unbounded, block the process or tie up a thread of the pool. Every read of a file or a
 * directory in server/src goes through this module (a test fails otherwise).
 *
 * Contract:
 * - Only regular files are opened. The path is stat'ed first (a symbolic link to a regular file is followed, as it
 *   always was) and anything else is refused without being opened. It is then opened non-blocking, so a FIFO swapped
 *   in meanwhile cannot block `open`, and checked again with fstat on the descriptor: it must still be the same
 *   regular file, within the limit.
 * - Every read is bounded by the kind's limit (LIMITS), checked before the first byte is read, and by the size fstat
 *   reported: a file that grows while it is read cannot make the read longer.
 * - Failures are FileAccessError, an InputError whose message is one line, `path: reason`; `reason` alone serves
 *   messages that name the file themselves. Errors that are not about the file (bugs) are not caught here.
 * - Directory listings say what each entry is without opening it (and without following symbolic links), so a walk
 *   can skip FIFOs, devices and sockets and cannot loop on a symbolic link cycle.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { InputError } from './errors';

const MB = 1024 * 1024;

/** The most bytes each kind of file may have: the one table the CLI and the language server both use. */
export const LIMITS = {
  /** Read whole into memory: entitlements and other plists, build files, go.mod, go.sum, our JSON state, notary logs. */
  text: 16 * MB,
  /** Go sources read for a variable's declaration or `import "C"`; larger ones are generated data, not code to read. */
  goSource: 2 * MB,
  /**
   * Read in ranges or hashed in pieces, never whole: Mach-O files, bundle resources, archives. Four times what the
   * 32-bit offsets of a universal file (lipo's default form) can address; the bound keeps a hostile sparse file from
   * costing hours of hashing.
   */
  binary: 16384 * MB,
} as const;

export type FileLimit = keyof typeof LIMITS;

/** What went wrong: the file is not there, is not a regular file, is over the limit, or the system refused it. */
export type FileProblem = 'missing' | 'not-regular' | 'too-large' | 'unreadable';

export class FileAccessError extends InputError {
  constructor(
    readonly file: string,
    readonly problem: FileProblem,
    /** The reason without the path ("not a regular file (a FIFO)"). */
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
  }
}

/** O_NONBLOCK: opening a FIFO never waits for a writer. O_NOCTTY: a terminal never becomes ours. (0 on Windows.) */
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0) | (fs.constants.O_NOCTTY ?? 0);

/** Files are hashed and copied in pieces of this size. */
const PIECE = MB;

function describe(stat: fs.Stats): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  if (stat.isSymbolicLink()) return 'a symbolic link';
  return 'an unknown kind of file';
}

function limitText(limit: number): string {
  return limit % MB === 0 ? `${limit / MB} MB` : `${limit} bytes`;
}

/** The FileAccessError for a system error about `file`; anything that is not a system error is a bug and rethrown. */
function accessError(file: string, error: unknown): FileAccessError {
  if (error instanceof FileAccessError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== 'string') throw error;
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new FileAccessError(file, 'missing', 'no such file');
    case 'ELOOP':
      return new FileAccessError(file, 'unreadable', 'a symbolic link loop');
    case 'EACCES':
    case 'EPERM':
      return new FileAccessError(file, 'unreadable', 'permission denied');
    case 'EISDIR':
      return new FileAccessError(file, 'not-regular', 'not a regular file (a directory)');
    case 'ENXIO':
    case 'EOPNOTSUPP':
      return new FileAccessError(file, 'not-regular', 'not a regular file');
    case 'ENAMETOOLONG':
      return new FileAccessError(file, 'unreadable', 'the path is too long');
    default:
      return new FileAccessError(file, 'unreadable', `cannot read (${code})`);
  }
}

function checkRegular(file: string, stat: fs.Stats, limit: number): void {
  if (!stat.isFile()) throw new FileAccessError(file, 'not-regular', `not a regular file (${describe(stat)})`);
  if (stat.size > limit)
    throw new FileAccessError(file, 'too-large', `larger than the ${limitText(limit)} limit (${stat.size} bytes)`);
}

/** The second check, on the descriptor: still a regular file within the limit, and the one the path named. */
function checkOpened(file: string, before: fs.Stats, after: fs.Stats, limit: number): void {
  checkRegular(file, after, limit);
  if (after.dev !== before.dev || after.ino !== before.ino)
    throw new FileAccessError(file, 'unreadable', 'changed while being opened');
}

/** Opens a regular file of at most `limit` bytes; the caller closes the descriptor. */
function openSyncChecked(file: string, limit: number): { fd: number; size: number } {
  let fd: number;
  let before: fs.Stats;
  try {
    before = fs.statSync(file);
    checkRegular(file, before, limit);
    fd = fs.openSync(file, OPEN_FLAGS);
  } catch (error) {
    throw accessError(file, error);
  }
  try {
    const after = fs.fstatSync(fd);
    checkOpened(file, before, after, limit);
    return { fd, size: after.size };
  } catch (error) {
    fs.closeSync(fd);
    throw accessError(file, error);
  }
}

/** Reads `[position, position+length)` into `buffer` until done or the end; returns the bytes read. */
function readFully(fd: number, buffer: Buffer, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, buffer, done, length - done, position + done);
    if (n === 0) break; // the file shrank
    done += n;
  }
  return done;
}

/** A whole regular file, at most its kind's limit. Throws FileAccessError. */
export function readFileBounded(file: string, limit: FileLimit = 'text'): Buffer {
  const { fd, size } = openSyncChecked(file, LIMITS[limit]);
  return readAndClose(file, fd, size);
}

/**
 * A small file the kernel writes as it is read (/proc/loadavg), whose size stat gives as 0: read to its end, at most
 * `max` bytes. Throws FileAccessError for anything but a regular file.
 */
export function readKernelFile(file: string, max = 4096): Buffer {
  return readAndClose(file, openSyncChecked(file, max).fd, max);
}

/** Up to `length` bytes from the start of the open `fd`, which it closes. */
function readAndClose(file: string, fd: number, length: number): Buffer {
  try {
    const bytes = Buffer.alloc(length);
    return bytes.subarray(0, readFully(fd, bytes, length, 0));
  } catch (error) {
    throw accessError(file, error);
  } finally {
    fs.closeSync(fd);
  }
}

/** A whole regular text file as UTF-8, at most its kind's limit. Throws FileAccessError. */
export function readTextBounded(file: string, limit: FileLimit = 'text'): string {
  return readFileBounded(file, limit).toString('utf8');
}

/** The digest of a regular file, read in pieces (memory stays at one piece whatever the size). */
export function hashFile(file: string, algorithm: 'sha1' | 'sha256', limit: FileLimit = 'binary'): Buffer {
  const { fd, size } = openSyncChecked(file, LIMITS[limit]);
  try {
    const hash = createHash(algorithm);
    const piece = Buffer.alloc(Math.max(1, Math.min(size, PIECE)));
    for (let done = 0; done < size;) {
      const n = readFully(fd, piece, Math.min(piece.length, size - done), done);
      if (n === 0) break;
      hash.update(piece.subarray(0, n));
      done += n;
    }
    return hash.digest();
  } catch (error) {
    throw accessError(file, error);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Copies a regular file to a new file `to` (which must not exist), with the same permission bits (an executable stays
 * one), in pieces. Throws FileAccessError for the source; errors writing `to` are the system's.
 */
export function copyFileBounded(from: string, to: string, limit: FileLimit = 'binary'): void {
  const { fd, size } = openSyncChecked(from, LIMITS[limit]);
  try {
    const out = fs.openSync(to, 'wx', fs.fstatSync(fd).mode & 0o777);
    try {
      const piece = Buffer.alloc(Math.max(1, Math.min(size, PIECE)));
      for (let done = 0; done < size;) {
        let n: number;
        try {
          n = readFully(fd, piece, Math.min(piece.length, size - done), done);
        } catch (error) {
          throw accessError(from, error);
        }
        if (n === 0) break;
        fs.writeSync(out, piece, 0, n);
        done += n;
      }
    } finally {
      fs.closeSync(out);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * One of Node's callback file functions as a promise: `settle((done) => fs.stat(file, done))`. Not `fs.promises`:
 * loading it costs a command a few milliseconds (node:fs/promises and what it loads), and `verify` needs no more
 * than stat, open, read and close.
 */
function settle<T = void>(call: (done: (error: NodeJS.ErrnoException | null, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => call((error, value) => (error ? reject(error) : resolve(value as T))));
}

/** A regular file opened read-only for reads at offsets (a Mach-O): its size is fixed at open. Close it when done. */
export class RegularFile {
  private closed = false;

  private constructor(
    private readonly fd: number,
    readonly path: string,
    readonly size: number,
  ) {}

  static async open(file: string, limit: FileLimit = 'binary'): Promise<RegularFile> {
    let fd: number;
    let before: fs.Stats;
    try {
      before = await settle<fs.Stats>((done) => fs.stat(file, done));
      checkRegular(file, before, LIMITS[limit]);
      fd = await settle<number>((done) => fs.open(file, OPEN_FLAGS, done));
    } catch (error) {
      throw accessError(file, error);
    }
    try {
      const after = await settle<fs.Stats>((done) => fs.fstat(fd, done));
      checkOpened(file, before, after, LIMITS[limit]);
      return new RegularFile(fd, file, after.size);
    } catch (error) {
      await settle((done) => fs.close(fd, done));
      throw accessError(file, error);
    }
  }

  /**
   * The open descriptor, for reads on other threads through `readDescriptorAt` (worker threads share the process's
   * descriptors). Whoever hands it to another thread must not close this file until that thread is done with it.
   */
  get descriptor(): { fd: number; path: string; size: number } {
    return { fd: this.fd, path: this.path, size: this.size };
  }

  /** Reads up to `length` bytes at `position` into `buffer` at `offset`; returns how many were read (0 at the end). */
  readSync(buffer: Buffer, offset: number, length: number, position: number): number {
    try {
      return fs.readSync(this.fd, buffer, offset, length, position);
    } catch (error) {
      throw accessError(this.path, error);
    }
  }

  async read(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    try {
      return await settle<number>((done) => fs.read(this.fd, buffer, offset, length, position, done));
    } catch (error) {
      throw accessError(this.path, error);
    }
  }

  /** Closes the descriptor; a second call does nothing (a descriptor number may be reused by then). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await settle((done) => fs.close(this.fd, done));
  }
}

/**
 * Reads exactly `length` bytes at `position` of a RegularFile's descriptor (see `RegularFile.descriptor`) into
 * `buffer`, on any thread. The file's size was fixed when it was opened: a read past it, or a file that shrank since,
 * is a FileAccessError, never a short buffer.
 */
export function readDescriptorAt(
  file: { fd: number; path: string; size: number },
  buffer: Uint8Array,
  length: number,
  position: number,
): void {
  if (position < 0 || length < 0 || position + length > file.size || length > buffer.length)
    throw new FileAccessError(file.path, 'unreadable', `read at ${position} (${length} bytes) lies beyond the end`);
  let done = 0;
  try {
    while (done < length) {
      const n = fs.readSync(file.fd, buffer, done, length - done, position + done);
      if (n === 0) break;
      done += n;
    }
  } catch (error) {
    throw accessError(file.path, error);
  }
  if (done < length) throw new FileAccessError(file.path, 'unreadable', 'the file shrank while being read');
}

/** The first `length` bytes of a regular file (fewer if it is shorter): enough to tell what it is. */
export async function readHead(file: string, length: number): Promise<Buffer> {
  const opened = await RegularFile.open(file);
  try {
    const head = Buffer.alloc(Math.min(length, opened.size));
    let done = 0;
    while (done < head.length) {
      const n = await opened.read(head, done, head.length - done, done);
      if (n === 0) break;
      done += n;
    }
    return head.subarray(0, done);
  } finally {
    await opened.close();
  }
}

/** What a path is, as far as reading goes; `missing` covers every reason it cannot be looked at. */
export type PathKind = 'file' | 'directory' | 'symlink' | 'other' | 'missing';

function kindOf(stat: fs.Stats | fs.Dirent): PathKind {
  if (stat.isFile()) return 'file';
  if (stat.isDirectory()) return 'directory';
  if (stat.isSymbolicLink()) return 'symlink';
  return 'other';
}

/** What `file` is, following symbolic links (`missing` for a dangling link or a loop). Never opens it. */
export function pathKind(file: string): PathKind {
  try {
    return kindOf(fs.statSync(file));
  } catch {
    return 'missing';
  }
}

/** What `file` itself is: a symbolic link is reported as one, not followed. Never opens it. */
export function linkKind(file: string): PathKind {
  try {
    return kindOf(fs.lstatSync(file));
  } catch {
    return 'missing';
  }
}

/** What a path is, following symbolic links, or the FileAccessError saying why it cannot be looked at. */
export function statKind(file: string): Exclude<PathKind, 'missing'> {
  try {
    return kindOf(fs.statSync(file)) as Exclude<PathKind, 'missing'>;
  } catch (error) {
    throw accessError(file, error);
  }
}

export async function statKindAsync(file: string): Promise<Exclude<PathKind, 'missing'>> {
  try {
    return kindOf(await settle<fs.Stats>((done) => fs.stat(file, done))) as Exclude<PathKind, 'missing'>;
  } catch (error) {
    throw accessError(file, error);
  }
}

/**
 * Checks, without opening it, that `file` is a regular file within the limit: for files another program will read
 * (go list reads go.sum). Throws FileAccessError.
 */
export function checkRegularFile(file: string, limit: FileLimit = 'text'): void {
  try {
    checkRegular(file, fs.statSync(file), LIMITS[limit]);
  } catch (error) {
    throw accessError(file, error);
  }
}

/** Permission bits of a regular file, so a file written to replace it keeps them. Throws FileAccessError. */
export function filePermissions(file: string): number {
  try {
    const stats = fs.statSync(file);
    checkRegular(file, stats, LIMITS.binary);
    return stats.mode & 0o777;
  } catch (error) {
    throw accessError(file, error);
  }
}

/** The size of a regular file (following symbolic links), or null for anything else. Never opens it. */
export function regularFileSize(file: string): number | null {
  try {
    const stat = fs.statSync(file);
    return stat.isFile() ? stat.size : null;
  } catch {
    return null;
  }
}

export function isRegularFile(file: string): boolean {
  return pathKind(file) === 'file';
}

export function isDirectory(file: string): boolean {
  return pathKind(file) === 'directory';
}

/** Whether `file` is a regular file this process may execute (a tool found on PATH). Never opens it. */
export function isExecutableFile(file: string): boolean {
  if (!isRegularFile(file)) return false;
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A symbolic link's target text (bounded by the system's path length). Throws FileAccessError. */
export function readLink(file: string): string {
  try {
    return fs.readlinkSync(file);
  } catch (error) {
    throw accessError(file, error);
  }
}

export interface DirectoryEntry {
  name: string;
  /** What the entry itself is: a symbolic link is `symlink` (walks do not follow them), a FIFO or device `other`. */
  kind: Exclude<PathKind, 'missing'>;
}

/** What is in a directory, sorted by name, without opening or following any entry. Throws FileAccessError. */
export function listDirectory(dir: string): DirectoryEntry[] {
  try {
    return sortEntries(fs.readdirSync(dir, { withFileTypes: true }));
  } catch (error) {
    throw accessError(dir, error);
  }
}

export async function listDirectoryAsync(dir: string): Promise<DirectoryEntry[]> {
  try {
    return sortEntries(await settle<fs.Dirent[]>((done) => fs.readdir(dir, { withFileTypes: true }, done)));
  } catch (error) {
    throw accessError(dir, error);
  }
}

function sortEntries(entries: fs.Dirent[]): DirectoryEntry[] {
  return entries
    .map((e) => ({ name: e.name, kind: kindOf(e) as DirectoryEntry['kind'] }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * A file that must not exist yet (`wx`), with permission bits `mode` (less the umask), written front to back: lets a
 * caller write a large result in pieces without joining them into one more copy.
 */
export function createNewFile(file: string, mode = 0o666): { write(bytes: Uint8Array): void; close(): void } {
  const fd = fs.openSync(file, 'wx', mode);
  return {
    write(bytes) {
      for (let done = 0; done < bytes.length;) done += fs.writeSync(fd, bytes, done, bytes.length - done);
    },
    close() {
      fs.closeSync(fd);
    },
  };
}

/** What a path itself is (a symbolic link is not followed), with what an archive keeps of it. */
export interface LinkStat {
  kind: Exclude<PathKind, 'missing'>;
  /** For `other`: "a FIFO", "a character device", "a socket"... */
  what: string;
  /** The full st_mode: file type and permission bits. */
  mode: number;
  mtime: Date;
  size: number;
}

/**
 * lstat: what `file` itself is, never following a symbolic link and never opening it (`follow`: stat, for a path a
 * user named, as tools follow the links given as arguments). Throws FileAccessError.
 */
export function linkStat(file: string, follow = false): LinkStat {
  try {
    const stat = follow ? fs.statSync(file) : fs.lstatSync(file);
    const kind = kindOf(stat) as LinkStat['kind'];
    return {
      kind,
      what: kind === 'other' ? describe(stat) : kind,
      mode: stat.mode,
      mtime: stat.mtime,
      size: stat.size,
    };
  } catch (error) {
    throw accessError(file, error);
  }
}

/** O_NOFOLLOW: opening a path whose last component is a symbolic link fails (ELOOP) instead of following it. */
const NO_FOLLOW = fs.constants.O_NOFOLLOW ?? 0;

/**
 * A regular file as a stream of at most the size it had when opened, for archiving: the file is checked as every
 * read here is, and with `noFollow` its last component must not be a symbolic link (lstat before, O_NOFOLLOW at open,
 * the same inode after), so a file swapped for a link between a walk and the read cannot pull in what lies outside
 * the tree. The stream closes the descriptor when it ends or is destroyed. Throws FileAccessError.
 */
export async function openFileStream(
  file: string,
  options: { limit?: FileLimit; noFollow?: boolean } = {},
): Promise<{ stream: Readable; size: number; mode: number }> {
  const limit = LIMITS[options.limit ?? 'binary'];
  let handle: fs.promises.FileHandle;
  let before: fs.Stats;
  try {
    before = options.noFollow ? await fs.promises.lstat(file) : await fs.promises.stat(file);
    checkRegular(file, before, limit);
    handle = await fs.promises.open(file, OPEN_FLAGS | (options.noFollow ? NO_FOLLOW : 0));
  } catch (error) {
    throw accessError(file, error);
  }
  try {
    const after = await handle.stat();
    checkOpened(file, before, after, limit);
    if (after.size === 0) {
      // createReadStream cannot take end = -1: an empty file is a stream that ends at once.
      await handle.close();
      // node:stream is loaded here, not at start-up: the CLI's executable bundles this module to start its workers,
      // and loading streams first would delay them by a few milliseconds.
      const { Readable: Stream } = require('node:stream') as typeof import('node:stream');
      return { stream: Stream.from([]), size: 0, mode: after.mode };
    }
    const stream = handle.createReadStream({ start: 0, end: after.size - 1, autoClose: true, highWaterMark: PIECE });
    return { stream, size: after.size, mode: after.mode };
  } catch (error) {
    await handle.close();
    throw accessError(file, error);
  }
}

/** A new file (`wx`: it must not exist) with permission bits `mode` (less the umask), written as a stream. */
export function createNewFileStream(file: string, mode = 0o666): Writable {
  return fs.createWriteStream(file, { flags: 'wx', mode });
}
