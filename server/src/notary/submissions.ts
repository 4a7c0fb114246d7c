/**
 * Submissions in flight, saved so that an interrupted wait (a killed CI step, a reloaded VS Code window) resumes the
 * same submission instead of uploading again. Keyed by the SHA-256 of the archive that was submitted: the same bytes
 * have the same verdict. The decision of what to do next is a pure function; the store is a small JSON file.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileAccessError, readTextBounded } from '../fileAccess';
import type { Submission } from '../protocol';

export type NextStep =
  { action: 'submit' } | { action: 'wait'; id: string } | { action: 'done'; submission: Submission };

/** What to do for an archive, given what was saved: wait again for an unfinished submission, reuse a verdict, or submit. */
export function nextStep(saved: Submission[], archiveSha256: string): NextStep {
  const match = saved
    // An abandoned submission (its upload never finished) will never have a verdict: it is as if never made.
    .filter((s) => s.archiveSha256 === archiveSha256 && s.status !== 'Abandoned')
    .sort((a, b) => b.submittedAt.localeCompare(a.submittedAt))[0];
  if (!match) return { action: 'submit' };
  if (match.status === 'In Progress') return { action: 'wait', id: match.id };
  // An Accepted verdict stands for these bytes; an Invalid or Rejected one is reused too, so the log can be read again.
  return { action: 'done', submission: match };
}

export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GO_MACOS_SIGN_STATE_DIR) return env.GO_MACOS_SIGN_STATE_DIR;
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Caches', 'go-macos-sign');
  return path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'go-macos-sign');
}

export class SubmissionStore {
  private readonly file: string;

  constructor(dir = stateDir()) {
    this.file = path.join(dir, 'submissions.json');
  }

  load(): Submission[] {
    let data: unknown;
    try {
      data = JSON.parse(readTextBounded(this.file, 'text'));
    } catch (error) {
      if (error instanceof FileAccessError || error instanceof SyntaxError) return [];
      throw error;
    }
    return Array.isArray(data)
      ? data.filter((s): s is Submission => typeof s?.id === 'string' && typeof s?.archiveSha256 === 'string')
      : [];
  }

  /** Adds or updates a submission; written to a temporary file and renamed, so a crash never leaves half a file. */
  save(submission: Submission): void {
    const all = this.load().filter((s) => s.id !== submission.id);
    all.push(submission);
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const temp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(temp, JSON.stringify(all.slice(-200), null, 2), { mode: 0o600 });
    fs.renameSync(temp, this.file);
  }
}
