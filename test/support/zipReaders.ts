/**
 * What Info-ZIP's readers and the file system say about a zip and the tree it was made from, for tests that judge our
 * archives with tools we did not write: the tree as lstat sees it (links not followed), `zipinfo -l` (the same as
 * `unzip -Z -l`), and the tree `unzip` extracts.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findTool, run } from './tools';

export const unzipTool = () => findTool(['unzip'], "Info-ZIP's unzip");
export const zipinfoTool = () => findTool(['zipinfo'], "Info-ZIP's zipinfo");
/** UTF-8 names are shown and written as UTF-8 only in a UTF-8 locale. */
export const UTF8 = { ...process.env, LC_ALL: 'C.UTF-8' };

export const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

export interface Expected {
  type: 'file' | 'directory' | 'symlink';
  /** Permission bits (st_mode & 0o7777). */
  perm: number;
  /** sha256 of a file's bytes; a link's target text. */
  content: string;
}

/** What the archive must hold, from the file system: the parent folder first, links not followed. */
export function expectedTree(root: string): Map<string, Expected> {
  const out = new Map<string, Expected>();
  const visit = (file: string, name: string) => {
    const st = fs.lstatSync(file);
    const perm = st.mode & 0o7777;
    if (st.isSymbolicLink()) out.set(name, { type: 'symlink', perm, content: fs.readlinkSync(file) });
    else if (st.isDirectory()) {
      out.set(`${name}/`, { type: 'directory', perm, content: '' });
      for (const child of fs.readdirSync(file)) visit(path.join(file, child), `${name}/${child}`);
    } else out.set(name, { type: 'file', perm, content: sha256(fs.readFileSync(file)) });
  };
  visit(root, path.basename(root));
  return out;
}

/** The tree unzip extracted, in the same terms. */
export function extractedTree(dir: string): Map<string, Expected> {
  const out = new Map<string, Expected>();
  for (const top of fs.readdirSync(dir)) for (const [k, v] of expectedTree(path.join(dir, top))) out.set(k, v);
  return out;
}

/** `zipinfo -l` (the same as `unzip -Z -l`): per entry the mode string, the host system, the method and the name. */
export function zipinfo(
  zip: string,
  via: 'zipinfo' | 'unzip -Z' = 'zipinfo',
): { mode: string; version: string; host: string; method: string; name: string }[] {
  const text =
    via === 'zipinfo'
      ? run(zipinfoTool(), ['-l', zip], { env: UTF8 })
      : run(unzipTool(), ['-Z', '-l', zip], { env: UTF8 });
  return text
    .split('\n')
    .map((line) => /^(\S{10})\s+(\S+)\s+(\S+)\s+\d+\s+\S+\s+\d+\s+(\S+)\s+\S+\s+\S+\s(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ mode: m[1], version: m[2], host: m[3], method: m[4], name: m[5] }));
}

/** `ls -l`-style mode string for an expected entry, to compare with zipinfo's. */
export function modeString(e: Expected): string {
  const bits = 'rwxrwxrwx'
    .split('')
    .map((c, i) => (e.perm & (0o400 >> i) ? c : '-'))
    .join('');
  return `${e.type === 'directory' ? 'd' : e.type === 'symlink' ? 'l' : '-'}${bits}`;
}
