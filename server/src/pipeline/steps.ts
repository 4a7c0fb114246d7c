/**
 * The release pipeline, one function per step: build, universal, sign, package, notarize, staple, verify. Each step
 * is the single implementation of what it does: the CLI commands call these, VS Code tasks run the CLI, CI runs the
 * CLI. Every tool runs through the Runner (argument arrays, echoed like make).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { logArgs, NotaryAuth, parseSubmit, parseWait, submitArgs, waitArgs } from '../apple/notarytool';
import { Runner, ToolError } from '../apple/runner';
import { InputError } from '../errors';
import { appExecutable } from '../bundle/app';
import {
  copyFileBounded,
  FileAccessError,
  hashFile,
  linkStat,
  listDirectory,
  pathKind,
  readTextBounded,
} from '../fileAccess';
import { inspectPath, looksLikeMachO } from '../inspect';
import type { ApiKey } from '../notary/jwt';
import { notarizeResult, parseNotaryLog } from '../notary/log';
import { stapleBuiltin } from '../notary/staple';
import { notarizeViaApi } from '../notary/submitApi';
import { zipForNotarization } from '../notary/zipArchive';
import { nextStep, SubmissionStore } from '../notary/submissions';
import { preflightPath } from '../preflight';
import type {
  InspectReport,
  NotarizeResult,
  NotaryIssue,
  PreflightResult,
  StapleResult,
  Submission,
} from '../protocol';
import { describeSigned, SignedArtifact, signArtifact, SignRequest, writeUniversal } from '../sign';

export type GoArch = 'arm64' | 'amd64';

export interface BuildOptions {
  /** The Go package to build (`./cmd/tool`). */
  package: string;
  /** Output folder. */
  out: string;
  /** The program's name (file name of the universal binary). */
  name: string;
  archs: GoArch[];
  ldflags?: string;
  /** CGO_ENABLED, when set explicitly. */
  cgo?: '0' | '1';
  trimpath?: boolean;
}

export interface SignOptions {
  /** A keychain identity name or SHA-1, or `-` for ad hoc. */
  identity: string;
  identifier?: string;
  entitlements?: string;
  /** Hardened runtime and secure timestamp: on unless turned off (`--no-runtime`, `--no-timestamp`). */
  runtime?: boolean;
  timestamp?: boolean;
}

/**
 * Who signs: Apple's codesign with a keychain identity (macOS), or the builtin signer with a loaded identity (any OS).
 * The CLI decides from what it was given (cli/signing.ts); each step runs the one it gets.
 */
export type Signer =
  { via: 'codesign'; options: SignOptions } | { via: 'builtin'; request: SignRequest; entitlementsFile?: string };

export type ArtifactKind = 'binary' | 'app' | 'zip' | 'dmg' | 'pkg';

export function artifactKind(file: string): ArtifactKind {
  const name = file.replace(/\/+$/, '').toLowerCase();
  if (name.endsWith('.app')) return 'app';
  if (name.endsWith('.zip')) return 'zip';
  if (name.endsWith('.dmg')) return 'dmg';
  if (name.endsWith('.pkg')) return 'pkg';
  return 'binary';
}

const exists = (p: string) => pathKind(p) !== 'missing';

/** `go build` for each target architecture; returns the outputs. */
export async function build(runner: Runner, o: BuildOptions): Promise<string[]> {
  fs.mkdirSync(o.out, { recursive: true });
  const outputs: string[] = [];
  for (const arch of o.archs) {
    const output = path.join(o.out, `${o.name}-darwin-${arch}`);
    const env: Record<string, string> = { GOOS: 'darwin', GOARCH: arch };
    if (o.cgo) env.CGO_ENABLED = o.cgo;
    const args = [
      'build',
      ...(o.trimpath === false ? [] : ['-trimpath']),
      ...(o.ldflags ? ['-ldflags', o.ldflags] : []),
      '-o',
      output,
      o.package,
    ];
    await runner.run({ tool: 'go', args, env });
    outputs.push(output);
  }
  return outputs;
}

/**
 * One universal binary from the thin ones: `lipo -create`, or the builtin writer (byte for byte what llvm-lipo
 * writes, no tool needed). A single architecture is used as it is.
 */
export async function universal(
  runner: Runner,
  inputs: string[],
  output: string,
  via: 'lipo' | 'builtin' = 'lipo',
  say: (line: string) => void = () => {},
): Promise<string> {
  if (inputs.length === 1) return inputs[0];
  if (via === 'builtin') {
    const layout = await writeUniversal(inputs, output);
    say(`wrote ${output} (${layout.entries.map((e) => e.arch).join(', ')})`);
    return output;
  }
  await runner.run({ tool: 'lipo', args: ['-create', '-output', output, ...inputs] });
  return output;
}

/** Code nested in an .app other than its main executable, deepest first: what must be signed before the bundle. */
export async function nestedCode(app: string): Promise<string[]> {
  const found: { file: string; depth: number }[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    for (const e of listDirectory(dir)) {
      const full = path.join(dir, e.name);
      // Symbolic links are not followed (codesign signs what they point to inside the bundle), nor FIFOs or devices opened.
      if (e.kind === 'directory') await walk(full, depth + 1);
      else if (e.kind === 'file' && (await looksLikeMachO(full))) found.push({ file: full, depth });
    }
  };
  await walk(path.join(app, 'Contents'), 0);
  // The bundle reader knows which file is the main executable (XML or binary Info.plist, checked name).
  const main = appExecutable(app);
  return found
    .filter((f) => f.file !== main)
    .sort((a, b) => b.depth - a.depth)
    .map((f) => f.file);
}

function codesignArgs(o: SignOptions, target: string, withEntitlements: boolean): string[] {
  const adhoc = o.identity === '-';
  return [
    '--force',
    ...(o.runtime !== false ? ['--options', 'runtime'] : []),
    // An ad hoc signature has no CMS to timestamp.
    ...(adhoc ? [] : o.timestamp !== false ? ['--timestamp'] : ['--timestamp=none']),
    ...(o.identifier && withEntitlements ? ['--identifier', o.identifier] : []),
    ...(o.entitlements && withEntitlements ? ['--entitlements', o.entitlements] : []),
    '--sign',
    o.identity,
    target,
  ];
}

/**
 * Signs with whichever signer was chosen. The builtin signer prints one line per signed artifact (its slices and
 * cdhashes) and any warning; codesign's commands are printed by the runner as they run.
 */
export async function signWith(
  runner: Runner,
  target: string,
  signer: Signer,
  say: (line: string) => void,
): Promise<SignedArtifact | null> {
  if (signer.via === 'codesign') {
    await sign(runner, target, signer.options);
    return null;
  }
  if (!exists(target)) throw new InputError(`${target}: no such file`);
  const signed = await signArtifact(target, signer.request);
  for (const warning of signed.warnings) say(`warning: ${warning}`);
  say(describeSigned(signed));
  return signed;
}

/** Clears extended attributes, then signs: nested code first (without entitlements), the artifact last. */
export async function sign(runner: Runner, target: string, o: SignOptions): Promise<void> {
  if (!exists(target)) throw new InputError(`${target}: no such file`);
  await runner.run({ tool: 'xattr', args: ['-cr', target] });
  if (artifactKind(target) === 'app')
    for (const nested of await nestedCode(target))
      await runner.run({ tool: 'codesign', args: codesignArgs(o, nested, false) });
  await runner.run({ tool: 'codesign', args: codesignArgs(o, target, true) });
}

export interface PackageOptions {
  format: 'zip' | 'dmg' | 'pkg';
  /** For dmg: the Developer ID Application identity that signs the image. For pkg: a Developer ID Installer identity. */
  identity?: string;
  /** pkg: package identifier and version, and where the tool is installed. */
  identifier?: string;
  version?: string;
  installLocation?: string;
}

export async function packageArtifact(runner: Runner, target: string, o: PackageOptions): Promise<string> {
  const base = target.replace(/\/+$/, '').replace(/\.app$/i, '');
  if (o.format === 'zip') {
    const zip = `${base}.zip`;
    // ditto where it runs (macOS: it also keeps extended attributes); elsewhere the same layout, written in-process.
    if (runner.has('ditto')) await runner.run({ tool: 'ditto', args: ['-c', '-k', '--keepParent', target, zip] });
    else await zipForNotarization(target, zip);
    return zip;
  }
  if (o.format === 'dmg') {
    const dmg = `${base}.dmg`;
    await runner.run({
      tool: 'hdiutil',
      args: ['create', '-volname', path.basename(base), '-srcfolder', target, '-ov', '-format', 'UDZO', dmg],
    });
    if (o.identity) await runner.run({ tool: 'codesign', args: ['--force', '--timestamp', '--sign', o.identity, dmg] });
    return dmg;
  }
  if (!o.identity || !/^Developer ID Installer/i.test(o.identity))
    throw new InputError(
      'a .pkg must be signed with a "Developer ID Installer: NAME (TEAMID)" identity (--installer-identity)',
    );
  const pkg = `${base}.pkg`;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gms-pkg-'));
  try {
    copyFileBounded(target, path.join(root, path.basename(target)), 'binary');
    await runner.run({
      tool: 'pkgbuild',
      args: [
        '--root',
        root,
        '--identifier',
        o.identifier ?? `com.example.${path.basename(base)}`,
        '--version',
        o.version ?? '0.0.0',
        '--install-location',
        o.installLocation ?? '/usr/local/bin',
        '--sign',
        o.identity,
        '--timestamp',
        pkg,
      ],
    });
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  return pkg;
}

function sha256(file: string): string {
  return hashFile(file, 'sha256', 'binary').toString('hex');
}

/** The cdhashes of every slice of every Mach-O in an artifact, as the ticket should list them. */
export async function localCdhashes(target: string): Promise<string[]> {
  const { reports } = await inspectPath(target);
  return [
    ...new Set(
      reports.flatMap((r: InspectReport) => r.architectures.flatMap((a) => (a.signature ? [a.signature.cdhash] : []))),
    ),
  ];
}

/**
 * Who talks to Apple's notary service: notarytool (through xcrun, macOS), or the builtin client of the Notary REST
 * API (any OS: an App Store Connect API key, the archive zipped in-process as ditto would, uploaded to S3).
 */
export type NotaryBackend = { via: 'notarytool'; auth: NotaryAuth } | { via: 'api'; key: ApiKey };

/** `30m`, `2h`, `90s` or seconds, as notarytool's --timeout takes it, in milliseconds. */
export function timeoutMs(value: string): number {
  const m = /^(\d+)\s*(s|m|h)?$/i.exec(value.trim());
  if (!m) throw new InputError(`--timeout: ${value} is not a duration such as 30m, 2h or 90s`);
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's').toLowerCase() as 's' | 'm' | 'h'];
}

/**
 * The pre-flight found what Apple's notary service certainly rejects, and `--force` was not given: nothing was zipped,
 * submitted or run. Carries the findings, so the CLI prints them (and `--json` returns them).
 */
export class PreflightRefusal extends Error {
  constructor(readonly result: PreflightResult) {
    const n = result.findings.length;
    super(
      `pre-flight: ${n} problem${n === 1 ? '' : 's'} Apple's notary service would reject; nothing was submitted (--force submits anyway)`,
    );
  }
}

/** The pre-flight's findings and skipped items as the terminal shows them: per file and slice, Apple's words first. */
export function preflightLines(result: PreflightResult): string[] {
  const lines: string[] = [];
  for (const f of result.findings) {
    lines.push(`  ${f.path}${f.arch ? ` (${f.arch})` : ''}: ${f.appleMessage}`);
    lines.push(`    seen: ${f.detail}`, `    fix: ${f.fix}`, `    ${f.docUrl}`);
  }
  for (const s of result.skipped) lines.push(`  not checked: ${s.path}: ${s.reason}`);
  return lines;
}

/**
 * Runs the pre-flight on what would be submitted (preflight/), before any archive is made or request sent. Certain
 * rejections stop here with a PreflightRefusal, unless `force`, which submits anyway and says what it ignores.
 */
export async function preflightGate(
  target: string,
  o: { force?: boolean; say: (line: string) => void },
): Promise<PreflightResult> {
  if (!exists(target)) throw new InputError(`${target}: no such file`);
  const result = await preflightPath(target);
  const n = result.findings.length;
  if (n > 0 && !o.force) throw new PreflightRefusal(result);
  if (n > 0)
    o.say(
      `pre-flight: --force: submitting despite ${n} problem${n === 1 ? '' : 's'} Apple's notary service would reject:`,
    );
  else
    o.say(
      `pre-flight: ${result.inspected.length} Mach-O file${result.inspected.length === 1 ? '' : 's'} checked: nothing Apple's notary service would certainly reject`,
    );
  for (const line of preflightLines(result)) o.say(line);
  return result;
}

/**
 * An unfinished submission saved for this artifact after it last changed: it was submitted already (perhaps with
 * `--force`), so resuming it must not be refused by the pre-flight. An .app changes when it is signed again, which
 * rewrites its `_CodeSignature/CodeResources`; a file when it is written. The backend still matches the archive's
 * SHA-256 to the saved submission, so changed bytes are never taken for the old ones.
 */
function submittedSinceLastChange(saved: Submission[], target: string): Submission | undefined {
  const artifact = path.resolve(target);
  let changed = 0;
  for (const part of [target, path.join(target, 'Contents', '_CodeSignature', 'CodeResources')]) {
    try {
      changed = Math.max(changed, linkStat(part, true).mtime.getTime());
    } catch (error) {
      if (!(error instanceof FileAccessError)) throw error;
    }
  }
  return saved.find(
    (s) => s.artifact === artifact && s.status === 'In Progress' && Date.parse(s.submittedAt) >= changed,
  );
}

function resumingWithoutPreflight(target: string, pending: Submission, say: (line: string) => void): PreflightResult {
  const reason = `submission ${pending.id} was made after the artifact last changed and is still in progress: resuming it, not checking again`;
  say(`pre-flight: ${reason}`);
  return { inspected: [], findings: [], skipped: [{ path: target, reason }] };
}

/** What a notarization run needs besides the artifact and the backend. */
interface NotarizeOptions {
  timeout: string;
  store: SubmissionStore;
  say: (line: string) => void;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
}

/**
 * Notarizes with the chosen backend; the result has the same shape either way. The pre-flight runs first (both
 * backends): with certain rejections, nothing is zipped, submitted or run (PreflightRefusal) unless `force`.
 */
export async function notarizeWith(
  runner: Runner,
  target: string,
  backend: NotaryBackend,
  o: NotarizeOptions & {
    /** Submit even when the pre-flight finds certain rejections (`--force`). */
    force?: boolean;
  },
): Promise<NotarizeResult & { preflight: PreflightResult }> {
  const pending = submittedSinceLastChange(o.store.load(), target);
  const preflight = pending ? resumingWithoutPreflight(target, pending, o.say) : await preflightGate(target, o);
  const result =
    backend.via === 'notarytool'
      ? await notarize(runner, target, backend.auth, o)
      : await notarizeApi(target, backend.key, o);
  return { ...result, preflight };
}

async function notarizeApi(target: string, key: ApiKey, o: NotarizeOptions): Promise<NotarizeResult> {
  const kind = artifactKind(target);
  let archive = target;
  if (kind === 'binary' || kind === 'app') {
    // What ditto -c -k --keepParent makes, written in-process: no ditto off macOS.
    archive = `${target.replace(/\/+$/, '')}.zip`;
    await zipForNotarization(target, archive);
    o.say(`zipped ${path.basename(target)} into ${archive}`);
  }
  return notarizeViaApi(archive, key, {
    artifact: target,
    store: o.store,
    localCdhashes: () => localCdhashes(target),
    timeoutMs: timeoutMs(o.timeout),
    signal: o.signal,
    onProgress: uploadProgress(o.say),
    say: o.say,
    env: o.env,
  });
}

/**
 * Upload progress as lines for `say` (stderr under --json): one each time another tenth of the archive has gone, so a
 * large upload shows it is moving without flooding a CI log. A part sent again starts its count over; no line repeats.
 */
export function uploadProgress(say: (line: string) => void): (sent: number, total: number) => void {
  let shown = 0;
  const mb = (n: number) => (n / 1e6).toFixed(1);
  return (sent, total) => {
    const tenth = total > 0 ? Math.floor((sent * 10) / total) : 10;
    if (tenth <= shown) return;
    shown = tenth;
    say(`uploaded ${mb(sent)} of ${mb(total)} MB (${tenth * 10}%)`);
  };
}

/**
 * Submits an artifact (zipping a bare binary or an .app first), waits, fetches the log and compares the ticket's
 * cdhashes with the artifact's own. A saved unfinished submission of the same archive is resumed, not uploaded again.
 */
export async function notarize(
  runner: Runner,
  target: string,
  auth: NotaryAuth,
  o: { timeout: string; store: SubmissionStore },
): Promise<NotarizeResult> {
  if (!exists(target)) throw new InputError(`${target}: no such file`);
  const kind = artifactKind(target);
  const archive = kind === 'binary' || kind === 'app' ? `${target.replace(/\/+$/, '')}.zip` : target;
  if (archive !== target) await runner.run({ tool: 'ditto', args: ['-c', '-k', '--keepParent', target, archive] });
  const digest = sha256(archive);
  const step = nextStep(o.store.load(), digest);
  let id: string;
  let status: string;
  const resumed = step.action !== 'submit';
  if (step.action === 'submit') {
    const submitted = parseSubmit((await runner.run({ tool: 'xcrun', args: submitArgs(archive, auth) })).stdout);
    id = submitted.id;
    o.store.save({
      id,
      archiveSha256: digest,
      artifact: path.resolve(target),
      submittedAt: new Date().toISOString(),
      status: 'In Progress',
    });
  } else id = step.action === 'wait' ? step.id : step.submission.id;

  if (step.action === 'done') status = step.submission.status;
  else {
    const waited = await runner.run({ tool: 'xcrun', args: waitArgs(id, auth, o.timeout) }, { allowFailure: true });
    status = parseWait(waited.stdout).status;
    if (status !== 'In Progress')
      o.store.save({
        id,
        archiveSha256: digest,
        artifact: path.resolve(target),
        submittedAt: new Date().toISOString(),
        status,
      });
  }

  const logFile = `${archive}.notary-log.json`;
  let issues: NotaryIssue[] = [];
  let ticketCdhashes: string[] = [];
  let log: string | null = null;
  if (status !== 'In Progress') {
    await runner.run({ tool: 'xcrun', args: logArgs(id, auth, logFile) });
    const parsed = parseNotaryLog(readTextBounded(logFile, 'text'));
    issues = parsed.issues;
    ticketCdhashes = parsed.ticketCdhashes;
    log = logFile;
  }
  const local = await localCdhashes(target);
  return notarizeResult({ status, submissionId: id, issues, ticketCdhashes, localCdhashes: local, log, resumed });
}

/** What staple did: stapled, or why it could not (a bare binary is checked online by Gatekeeper). */
export async function staple(runner: Runner, target: string): Promise<StapleResult> {
  const kind = artifactKind(target);
  if (kind === 'binary' || kind === 'zip') {
    return {
      stapled: false,
      message:
        kind === 'zip'
          ? `${target}: a ticket cannot be stapled to a zip; staple the .app inside it and zip again, or ship the zip as is (Gatekeeper checks online).`
          : `${target}: a bare binary cannot carry a stapled ticket; Gatekeeper checks its notarization online at first launch. For offline installs, package it (go-macos-sign package --format pkg or dmg), notarize and staple that.`,
    };
  }
  await runner.run({ tool: 'xcrun', args: ['stapler', 'staple', target] });
  return { stapled: true, message: `${target}: ticket stapled` };
}

/**
 * Staples with Apple's stapler, or the builtin one (ticket looked up by cdhash, written where stapler writes it). A
 * bare binary or a zip cannot carry a ticket either way: `staple` explains why.
 */
export async function stapleWith(runner: Runner, target: string, via: 'builtin' | 'stapler'): Promise<StapleResult> {
  const kind = artifactKind(target);
  if (via === 'stapler' || kind === 'binary' || kind === 'zip') return staple(runner, target);
  if (!exists(target)) throw new InputError(`${target}: no such file`);
  return stapleBuiltin(target);
}

/** Apple's own checks, where Apple's tools exist: codesign --verify --strict and spctl with the right type. */
export async function appleVerify(runner: Runner, target: string): Promise<boolean> {
  const kind = artifactKind(target);
  let ok = true;
  if (kind !== 'pkg')
    ok =
      (
        await runner.run(
          {
            tool: 'codesign',
            args: ['--verify', '--strict', '--verbose=2', ...(kind === 'app' ? ['--deep'] : []), target],
          },
          { allowFailure: true },
        )
      ).code === 0 && ok;
  if (kind === 'app')
    ok =
      (
        await runner.run(
          { tool: 'spctl', args: ['--assess', '-vv', '--type', 'execute', target] },
          { allowFailure: true },
        )
      ).code === 0 && ok;
  if (kind === 'pkg')
    ok =
      (
        await runner.run(
          { tool: 'spctl', args: ['--assess', '-vv', '--type', 'install', target] },
          { allowFailure: true },
        )
      ).code === 0 && ok;
  if (kind === 'dmg')
    ok =
      (
        await runner.run(
          {
            tool: 'spctl',
            args: ['--assess', '-vv', '--type', 'open', '--context', 'context:primary-signature', target],
          },
          { allowFailure: true },
        )
      ).code === 0 && ok;
  // A bare command-line tool: spctl always answers "does not seem to be an app", so it is not asked.
  return ok;
}

export { ToolError };
