/**
 * Reads the entries of a zip archive in-process, bounded, for the notarization pre-flight: the list of entries, the
 * first bytes of one (is it a Mach-O?) and the whole of one (to inspect it).
 *
 * Contract: the file is read through fileAccess.ts (yauzl only sees a reader over our open descriptor); a zip bomb is
 * refused before anything is inflated: too many entries, or declared sizes that add up to more than `totalDeclared`.
 * yauzl checks that no entry inflates to more than it declares, so the declared sizes bound the work; an entry read
 * whole must also fit `entryBytes`, and all whole reads together `readBytes`. Encrypted entries are listed, never read.
 * Errors are one-line InputErrors naming the archive.
 */
import { Readable } from 'node:stream';
import * as yauzl from 'yauzl';
import { InputError } from '../errors';
import { FileAccessError, LIMITS, RegularFile } from '../fileAccess';

const MB = 1024 * 1024;

export interface ZipLimits {
  /** Most entries an archive may list. */
  entries: number;
  /** Most bytes all entries together may declare once inflated. */
  totalDeclared: number;
  /** Most bytes one entry read whole may have (it is held in memory). */
  entryBytes: number;
  /** Most bytes all whole reads of one archive may add up to. */
  readBytes: number;
}

export const ZIP_LIMITS: ZipLimits = {
  entries: 100_000,
  totalDeclared: LIMITS.binary,
  entryBytes: 1024 * MB,
  readBytes: 4096 * MB,
};

export interface ZipEntryInfo {
  /** The entry's path inside the archive, with `/` separators (directories end with `/`). */
  name: string;
  size: number;
  kind: 'file' | 'directory' | 'symlink';
  encrypted: boolean;
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;
const CHUNK = 1 * MB;

/** yauzl's view of our open file. */
class FileReader extends yauzl.RandomAccessReader {
  constructor(private readonly file: RegularFile) {
    super();
  }
  _readStreamForRange(start: number, end: number): Readable {
    const file = this.file;
    async function* chunks(): AsyncGenerator<Buffer> {
      for (let position = start; position < end;) {
        const buffer = Buffer.alloc(Math.min(CHUNK, end - position));
        const n = await file.read(buffer, 0, buffer.length, position);
        if (n === 0) throw new FileAccessError(file.path, 'unreadable', 'the file shrank while being read');
        position += n;
        yield buffer.subarray(0, n);
      }
    }
    return Readable.from(chunks(), { objectMode: false });
  }
}

function kindOf(entry: yauzl.Entry): ZipEntryInfo['kind'] {
  const mode = (entry.externalFileAttributes >>> 16) & S_IFMT;
  if (mode === S_IFLNK) return 'symlink';
  if (mode === S_IFDIR || entry.fileName.endsWith('/')) return 'directory';
  return 'file';
}

export class ZipArchive {
  private readBudget: number;

  private constructor(
    readonly path: string,
    private readonly file: RegularFile,
    private readonly zip: yauzl.ZipFile,
    private readonly byName: Map<string, yauzl.Entry>,
    readonly entries: ZipEntryInfo[],
    private readonly limits: ZipLimits,
  ) {
    this.readBudget = limits.readBytes;
  }

  /** Opens `file` and reads its central directory; refuses archives over the limits. Close it when done. */
  static async open(file: string, limits: ZipLimits = ZIP_LIMITS): Promise<ZipArchive> {
    const opened = await RegularFile.open(file);
    const fail = (why: string) => new InputError(`${file}: ${why}`);
    try {
      const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
        yauzl.fromRandomAccessReader(
          new FileReader(opened),
          opened.size,
          { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: false },
          (error, zipfile) =>
            error ? reject(fail(`not a readable zip archive (${error.message})`)) : resolve(zipfile),
        ),
      );
      if (zip.entryCount > limits.entries) {
        zip.close();
        throw fail(`the zip archive lists ${zip.entryCount} entries, more than ${limits.entries}: refused`);
      }
      const byName = new Map<string, yauzl.Entry>();
      const entries: ZipEntryInfo[] = [];
      let declared = 0;
      await new Promise<void>((resolve, reject) => {
        zip.on('error', (error: Error) => reject(error instanceof InputError ? error : fail(`${error.message}`)));
        zip.on('end', () => resolve());
        zip.on('entry', (entry: yauzl.Entry) => {
          declared += entry.uncompressedSize;
          if (declared > limits.totalDeclared) {
            reject(
              fail(
                `the zip archive's entries inflate to more than ${limits.totalDeclared} bytes (a zip bomb?): refused`,
              ),
            );
            return;
          }
          byName.set(entry.fileName, entry);
          entries.push({
            name: entry.fileName,
            size: entry.uncompressedSize,
            kind: kindOf(entry),
            encrypted: entry.isEncrypted(),
          });
          zip.readEntry();
        });
        zip.readEntry();
      }).catch((error) => {
        zip.close();
        throw error;
      });
      return new ZipArchive(file, opened, zip, byName, entries, limits);
    } catch (error) {
      await opened.close();
      throw error;
    }
  }

  private stream(name: string): Promise<Readable> {
    const entry = this.byName.get(name);
    if (!entry) throw new InputError(`${this.path}: no entry ${name}`);
    if (!entry.canDecodeFileData())
      throw new InputError(`${this.path}/${name}: encrypted or compressed with an unsupported method`);
    return new Promise((resolve, reject) =>
      this.zip.openReadStream(entry, (error, stream) =>
        error ? reject(new InputError(`${this.path}/${name}: ${error.message}`)) : resolve(stream),
      ),
    );
  }

  /** Up to `length` bytes from the start of an entry; inflates no more than it needs. */
  async head(name: string, length: number): Promise<Buffer> {
    const stream = await this.stream(name);
    const parts: Buffer[] = [];
    let have = 0;
    try {
      for await (const chunk of stream) {
        parts.push(chunk as Buffer);
        have += (chunk as Buffer).length;
        if (have >= length) break;
      }
    } catch (error) {
      throw new InputError(`${this.path}/${name}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      stream.destroy();
    }
    return Buffer.concat(parts).subarray(0, length);
  }

  /** The whole entry, within `entryBytes` and what is left of `readBytes`. */
  async read(name: string): Promise<Buffer> {
    const entry = this.byName.get(name);
    if (!entry) throw new InputError(`${this.path}: no entry ${name}`);
    const size = entry.uncompressedSize;
    if (size > this.limits.entryBytes || size > this.readBudget) {
      throw new InputError(`${this.path}/${name}: ${size} bytes is more than the pre-flight reads from one archive`);
    }
    this.readBudget -= size;
    const stream = await this.stream(name);
    const bytes = Buffer.alloc(size);
    let have = 0;
    try {
      for await (const chunk of stream) {
        const part = chunk as Buffer;
        if (have + part.length > size) throw new Error('the entry inflates to more than it declares');
        part.copy(bytes, have);
        have += part.length;
      }
    } catch (error) {
      throw new InputError(`${this.path}/${name}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      stream.destroy();
    }
    if (have !== size) throw new InputError(`${this.path}/${name}: the entry is shorter than it declares`);
    return bytes;
  }

  async close(): Promise<void> {
    this.zip.close();
    await this.file.close();
  }
}
