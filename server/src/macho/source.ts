/**
 * Bounded random access to the bytes of a file or of one slice of it.
 *
 * Parsers never see a whole file: they ask for a range, and every range is checked against the declared size
 * first, so a hostile offset or count becomes an InputError instead of a huge allocation or a read past the end.
 * Page hashing streams through `chunk`, which reuses one scratch buffer for files and returns views for buffers,
 * so verifying a 100 MB binary never copies it whole.
 */
import { InputError } from '../errors';
import { RegularFile } from '../fileAccess';

export interface ByteSource {
  /** Name used in error messages (a path, or a path plus slice). */
  readonly name: string;
  readonly size: number;
  /** A fresh copy of `[offset, offset+length)`; throws InputError when the range is outside the source. */
  read(offset: number, length: number): Buffer;
  /** The bytes of `[offset, offset+length)`, possibly in `scratch` (valid until the next call with it). */
  chunk(offset: number, length: number, scratch: Buffer): Promise<Buffer>;
  /** A view of `[offset, offset+size)` with its own offsets starting at 0. */
  slice(offset: number, size: number, name: string): ByteSource;
  /**
   * Where the bytes live on disk, when they do: the slice's offset in the file and the open descriptor, which worker
   * threads read themselves (page hashing). The source must stay open while they do.
   */
  readonly file?: { path: string; base: number; descriptor: FileDescriptor };
  /** Bytes in a SharedArrayBuffer, which worker threads read in place (a signer's output built in shared memory). */
  readonly shared?: { buffer: SharedArrayBuffer; byteOffset: number };
}

/** An open regular file as another thread may read it: see fileAccess.ts `readDescriptorAt`. */
export interface FileDescriptor {
  fd: number;
  path: string;
  size: number;
}

function checkRange(source: ByteSource, offset: number, length: number, what?: string): void {
  if (
    !Number.isSafeInteger(offset) ||
    !Number.isSafeInteger(length) ||
    offset < 0 ||
    length < 0 ||
    offset + length > source.size
  ) {
    throw new InputError(
      `${source.name}: truncated or corrupt: ${what ?? 'data'} at offset ${offset} (${length} bytes) lies beyond the end (${source.size} bytes)`,
    );
  }
}

export function readChecked(source: ByteSource, offset: number, length: number, what: string): Buffer {
  checkRange(source, offset, length, what);
  return source.read(offset, length);
}

export class BufferSource implements ByteSource {
  constructor(
    private readonly bytes: Buffer,
    readonly name: string,
  ) {}
  get size(): number {
    return this.bytes.length;
  }
  get shared(): { buffer: SharedArrayBuffer; byteOffset: number } | undefined {
    const buffer = this.bytes.buffer;
    return buffer instanceof SharedArrayBuffer ? { buffer, byteOffset: this.bytes.byteOffset } : undefined;
  }
  read(offset: number, length: number): Buffer {
    checkRange(this, offset, length);
    return Buffer.from(this.bytes.subarray(offset, offset + length));
  }
  async chunk(offset: number, length: number): Promise<Buffer> {
    checkRange(this, offset, length);
    return this.bytes.subarray(offset, offset + length);
  }
  slice(offset: number, size: number, name: string): ByteSource {
    checkRange(this, offset, size, 'slice');
    return new BufferSource(this.bytes.subarray(offset, offset + size), name);
  }
}

/** A regular file opened read-only (see fileAccess.ts); never written. Close it with `close()` when done. */
export class FileSource implements ByteSource {
  private constructor(
    private readonly handle: RegularFile,
    private readonly base: number,
    readonly size: number,
    readonly name: string,
    private readonly path: string,
  ) {}

  get file(): { path: string; base: number; descriptor: FileDescriptor } {
    return { path: this.path, base: this.base, descriptor: this.handle.descriptor };
  }

  /** Throws FileAccessError (an InputError) for anything but a regular file within LIMITS.binary. */
  static async open(path: string): Promise<FileSource> {
    const handle = await RegularFile.open(path, 'binary');
    return new FileSource(handle, 0, handle.size, path, path);
  }

  read(offset: number, length: number): Buffer {
    checkRange(this, offset, length);
    const out = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const n = this.handle.readSync(out, done, length - done, this.base + offset + done);
      if (n === 0) throw new InputError(`${this.name}: file shrank while reading`);
      done += n;
    }
    return out;
  }

  async chunk(offset: number, length: number, scratch: Buffer): Promise<Buffer> {
    checkRange(this, offset, length);
    const target = scratch.length >= length ? scratch.subarray(0, length) : Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const bytesRead = await this.handle.read(target, done, length - done, this.base + offset + done);
      if (bytesRead === 0) throw new InputError(`${this.name}: file shrank while reading`);
      done += bytesRead;
    }
    return target;
  }

  slice(offset: number, size: number, name: string): ByteSource {
    checkRange(this, offset, size, 'slice');
    return new FileSource(this.handle, this.base + offset, size, name, this.path);
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
