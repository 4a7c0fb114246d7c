/**
 * Document URIs as the server compares them. Editors spell one file differently: VS Code writes `file:///c%3A/x`
 * where others write `file:///C:/x`, and some percent-encode `(`, `@` or `~` that Node's pathToFileURL leaves alone.
 * Documents are therefore matched by their decoded path (drive letter in lower case), never by the URI's text.
 *
 * A file: URI that names no local file (another host, an encoded `/` inside a segment) is `unreadable`, with the
 * reason in our words: the server ignores such a document, and says so in its log.
 */
import { fileURLToPath } from 'node:url';

export type DocumentLocation =
  /** A local file: its path, and the key that compares equal for every spelling of it. */
  | { kind: 'file'; path: string; key: string }
  /** Another scheme (untitled:, a notebook cell…): linted from its text alone, compared as written. */
  | { kind: 'other'; key: string }
  | { kind: 'unreadable'; reason: string };

/** Where a document URI points. */
export function locate(uri: string): DocumentLocation {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return { kind: 'unreadable', reason: 'not a valid URI' };
  }
  if (url.protocol !== 'file:') return { kind: 'other', key: uri };
  if (url.hostname !== '' && url.hostname !== 'localhost' && process.platform !== 'win32')
    return { kind: 'unreadable', reason: `names the host ${url.hostname}, not a local file` };
  let file: string;
  try {
    file = fileURLToPath(url);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_INVALID_FILE_URL_PATH')
      return { kind: 'unreadable', reason: 'has an encoded path separator (%2F or %5C) inside a name' };
    if (code === 'ERR_INVALID_FILE_URL_HOST')
      return { kind: 'unreadable', reason: `names the host ${url.hostname}, not a local file` };
    throw error;
  }
  return { kind: 'file', path: file, key: pathKey(file) };
}

/**
 * The key of a local path: Windows drive letters in lower case, whether the path is read on Windows (`C:\x`) or is
 * a Windows URI's path read elsewhere (`/C:/x`).
 */
export function pathKey(file: string): string {
  return file.replace(/^(\/?)([A-Za-z]):/, (_, slash: string, drive: string) => `${slash}${drive.toLowerCase()}:`);
}
