/**
 * Notarization through the Notary REST API (`notarize --via api`): submit an archive, upload it, wait, read the log,
 * and compare the ticket's cdhashes with the artifact's own. The same verdict shape as the notarytool path
 * (`NotarizeResult`), so every adapter shows both alike.
 *
 * Contract:
 * - The archive (.zip, .dmg or .pkg) is made by the caller; `localCdhashes` is the caller's (inspect.ts lies outside
 *   this folder).
 * - The submission id is saved in the SubmissionStore (with `uploaded: false`) BEFORE the upload starts, and again
 *   (`uploaded: true`) once S3 took the bytes, so an interrupted run resumes the same submission:
 *   - interrupted during the wait: no new submission, no upload; the wait goes on (a fresh token per request);
 *   - interrupted during the upload: the service is asked first; if the submission has a verdict, or the service has
 *     it as anything but In Progress, the upload did complete and the wait goes on. Otherwise the upload never
 *     completed, and its temporary credentials lived only in the killed process (they are never written anywhere),
 *     so the submission is marked `Abandoned` (it will never have a verdict) and one new submission is made.
 * - A verdict saved earlier for the same bytes is reused (its log is fetched again), as on the notarytool path.
 * - Cancelling (the AbortSignal) leaves the saved submission as it is and fails with one line saying how to resume.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../errors';
import { hashFile } from '../fileAccess';
import type { NotarizeResult, Submission } from '../protocol';
import { NotaryApiError, NotaryClient } from './api';
import { Clock, NetworkError, systemClock } from './http';
import type { ApiKey } from './jwt';
import { notarizeResult, parseNotaryLog } from './log';
import { uploadArchive } from './s3Upload';
import { nextStep, SubmissionStore } from './submissions';

export interface ApiNotarizeOptions {
  /** The artifact the archive holds (what the user asked to notarize); saved with the submission. */
  artifact: string;
  store: SubmissionStore;
  /** The cdhashes of every slice of every Mach-O in the artifact (pipeline/steps.ts `localCdhashes`). */
  localCdhashes: () => Promise<string[]>;
  /** How long to wait for a verdict; past it the result is `In Progress` and a later run resumes the wait. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Upload progress: bytes sent of the archive's size. */
  onProgress?: (sent: number, total: number) => void;
  /** One line per event (submitted, uploaded, status changes): never a URL or a credential. */
  say?: (line: string) => void;
  clock?: Clock;
  env?: NodeJS.ProcessEnv;
  /** Where the developer log is written; default `<archive>.notary-log.json`. */
  logFile?: string;
}

/** The archive kinds the notary service accepts (a bare Mach-O is refused: zip it with its parent folder). */
export function submittable(archive: string): boolean {
  return /\.(zip|dmg|pkg)$/i.test(archive);
}

export async function notarizeViaApi(archive: string, key: ApiKey, o: ApiNotarizeOptions): Promise<NotarizeResult> {
  if (!submittable(archive))
    throw new InputError(`${archive}: the notary service takes a .zip, .dmg or .pkg; zip a binary or .app first`);
  const clock = o.clock ?? systemClock;
  const say = o.say ?? (() => {});
  const client = new NotaryClient(key, { env: o.env, clock });
  const digest = hashFile(archive, 'sha256', 'binary').toString('hex');
  const artifact = path.resolve(o.artifact);
  const saved = o.store.load();
  const step = nextStep(saved, digest);
  const record = (id: string, fields: Partial<Submission>): void => {
    const before = o.store.load().find((s) => s.id === id);
    o.store.save({
      id,
      archiveSha256: digest,
      artifact,
      submittedAt: before?.submittedAt ?? new Date(clock.now()).toISOString(),
      status: 'In Progress',
      ...before,
      ...fields,
    });
  };

  try {
    let id: string | null = null;
    let status: string;
    let resumed = false;
    if (step.action === 'done') {
      id = step.submission.id;
      status = step.submission.status;
      resumed = true;
      say(`submission ${id} already has a verdict for these bytes: ${status}`);
    } else {
      if (step.action === 'wait') {
        const entry = saved.find((s) => s.id === step.id);
        if (entry?.uploaded === false) {
          // Did the killed run's upload reach S3? Only the service knows; In Progress means it cannot be told apart
          // from "never arrived", and no credentials remain to finish it.
          const current = await client.status(step.id, o.signal).catch((error: unknown) => {
            // A submission the service does not know (404) has certainly not been uploaded.
            if (error instanceof NotaryApiError && error.status === 404) return null;
            throw error;
          });
          if (current && current.status !== 'In Progress') {
            record(step.id, { uploaded: true, status: current.status });
            id = step.id;
            resumed = true;
          } else {
            record(step.id, { status: 'Abandoned' });
            say(`submission ${step.id}: its upload was interrupted and never completed; submitting again`);
          }
        } else {
          id = step.id;
          resumed = true;
          say(`resuming submission ${id}`);
        }
      }
      if (id === null) {
        const created = await client.submit(path.basename(archive), digest, o.signal);
        id = created.id;
        record(id, { uploaded: false, status: 'In Progress', submittedAt: new Date(clock.now()).toISOString() });
        say(`submission ${id} created; uploading ${path.basename(archive)}`);
        await uploadArchive(archive, digest, created.upload, {
          env: o.env,
          signal: o.signal,
          onProgress: o.onProgress,
          clock,
        });
        record(id, { uploaded: true });
        say(`uploaded; waiting for the notary service's verdict`);
      }
      let last = '';
      const waited = await client.wait(id, {
        timeoutMs: o.timeoutMs,
        signal: o.signal,
        onStatus: (s) => {
          if (s.status !== last) say(`submission ${id}: ${s.status}`);
          last = s.status;
        },
      });
      status = waited.status;
      if (status !== 'In Progress') record(id, { status });
    }

    let issues: NotarizeResult['issues'] = [];
    let ticketCdhashes: string[] = [];
    let log: string | null = null;
    if (status !== 'In Progress') {
      const text = await client.log(id, o.signal);
      const parsed = parseNotaryLog(text);
      issues = parsed.issues;
      ticketCdhashes = parsed.ticketCdhashes;
      log = o.logFile ?? `${archive}.notary-log.json`;
      fs.writeFileSync(log, text);
    }
    const localCdhashes = await o.localCdhashes();
    return notarizeResult({ status, submissionId: id, issues, ticketCdhashes, localCdhashes, log, resumed });
  } catch (error) {
    if (error instanceof NetworkError && error.aborted) {
      const pending = o.store.load().find((s) => s.archiveSha256 === digest && s.status === 'In Progress');
      throw new InputError(
        pending
          ? `notarization cancelled; submission ${pending.id} is saved: run notarize again on the same file to resume it`
          : 'notarization cancelled before a submission was made',
      );
    }
    throw error;
  }
}
