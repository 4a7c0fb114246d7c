/**
 * A binary property list open in the editor. The editor shows its bytes decoded as text, which loses them, so the
 * server lints the file itself, as `go-macos-sign lint FILE` does, and reports the same findings. The file is read
 * the bounded way: regular files only, opened non-blocking, at most `maxBytes`.
 */
import * as fs from 'node:fs';

const MAGIC = 'bplist00';

/** Whether a document's text is a binary plist shown as text (its first bytes are ASCII, so they survive). */
export function looksBinary(text: string): boolean {
  return text.startsWith(MAGIC);
}

/** The file's bytes when it is a regular file of at most `maxBytes` that holds a binary plist; otherwise undefined. */
export function readBinaryPlist(file: string, maxBytes: number): Buffer | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch {
    return undefined;
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile() || stat.size > maxBytes) return undefined;
    const bytes = Buffer.alloc(stat.size);
    let read = 0;
    while (read < bytes.length) {
      const n = fs.readSync(fd, bytes, read, bytes.length - read, read);
      if (n === 0) break;
      read += n;
    }
    const content = bytes.subarray(0, read);
    return content.subarray(0, MAGIC.length).toString('latin1') === MAGIC ? content : undefined;
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}
