/**
 * A binary property list open in the editor. The editor shows its bytes decoded as text, which loses them, so the
 * server lints the file itself, as `go-macos-sign lint FILE` does, and reports the same findings. The file is read
 * the bounded way: regular files only, opened non-blocking, at most LIMITS.text (fileAccess.ts).
 */
import { FileAccessError, readFileBounded } from '../fileAccess';
import { BINARY_MAGIC, isBinaryPlist } from '../plist/binary';

/** Whether a document's text is a binary plist shown as text (its first bytes are ASCII, so they survive). */
export function looksBinary(text: string): boolean {
  return text.startsWith(BINARY_MAGIC);
}

/** The file's bytes when it is a regular file within the text limit that holds a binary plist; otherwise undefined. */
export function readBinaryPlist(file: string): Buffer | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileBounded(file, 'text');
  } catch (error) {
    if (error instanceof FileAccessError) return undefined;
    throw error;
  }
  return isBinaryPlist(bytes) ? bytes : undefined;
}
