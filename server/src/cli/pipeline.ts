/**
 * The CLI's release-pipeline commands: build, universal, sign, package, notarize, staple and release. Arguments in,
 * a step (pipeline/steps.ts) run, a result printed as text or JSON. Exit codes: 0 success, 1 a failed step or a
 * notarization that is not Accepted, 2 a usage or input error (thrown as UsageError / InputError to the caller).
 * The commands' entries (options, help) are in cli/commands/release.ts.
 */
import * as path from 'node:path';
import type { NotaryAuth } from '../apple/notarytool';
import { Runner, ToolError } from '../apple/runner';
import { InputError } from '../errors';
import { pathKind, readTextBounded } from '../fileAccess';
import { onPath } from '../apple/toolLookup';
import { inspectPath } from '../inspect';
import { loadApiKey } from '../notary/jwt';
import { issuerProblem, keyIdProblem, writePrivateKey } from '../notary/keyFile';
import { stateDir, SubmissionStore } from '../notary/submissions';
import { lastValue, ParsedArgs, UsageError } from './command';
import { signerFrom, universalVia } from './signing';
import {
  appleVerify,
  artifactKind,
  build,
  GoArch,
  NotaryBackend,
  notarizeWith,
  packageArtifact,
  PreflightRefusal,
  preflightLines,
  signWith,
  stapleWith,
  universal,
} from '../pipeline/steps';
import type { NotarizeResult, PipelineOutput } from '../protocol';

export type PipelineCommand =
  'build' | 'universal' | 'sign' | 'package' | 'notarize' | 'staple' | 'release' | 'submissions';

/** One pipeline command's parsed arguments (cli/command.ts parses them against its entry in cli/commands/release.ts). */
export interface PipelineArgs extends ParsedArgs {
  command: PipelineCommand;
}

const one = lastValue;

function archs(a: PipelineArgs): GoArch[] {
  const list = (one(a, '--arch') ?? 'arm64,amd64')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => (s === 'x86_64' ? 'amd64' : s));
  for (const arch of list)
    if (arch !== 'arm64' && arch !== 'amd64')
      throw new UsageError(`--arch: macOS targets are arm64 and amd64, not ${arch}`);
  return list as GoArch[];
}

function tools(a: PipelineArgs): Record<string, string> {
  const out: Record<string, string> = {};
  for (const spec of a.values.get('--tool') ?? []) {
    const eq = spec.indexOf('=');
    if (eq <= 0) throw new UsageError('--tool takes NAME=PATH, e.g. --tool codesign=/usr/bin/codesign');
    out[spec.slice(0, eq)] = spec.slice(eq + 1);
  }
  return out;
}

/**
 * notarytool credentials from flags and the environment. An API key's contents may come from GO_MACOS_SIGN_NOTARY_KEY
 * (a CI secret): they are written to a private temporary file whose path is passed, never the key itself. An Apple ID
 * and app-specific password are used through a keychain profile made once with `xcrun notarytool store-credentials`,
 * so the password never appears in a command line. Everything is checked before anything is written.
 */
function notaryAuth(a: PipelineArgs, env: NodeJS.ProcessEnv, cleanup: (() => void)[]): NotaryAuth {
  const profile = one(a, '--keychain-profile') ?? env.GO_MACOS_SIGN_KEYCHAIN_PROFILE;
  const keyId = one(a, '--key-id') ?? env.GO_MACOS_SIGN_NOTARY_KEY_ID;
  const issuer = one(a, '--issuer') ?? env.GO_MACOS_SIGN_NOTARY_ISSUER;
  const keyFile = one(a, '--key');
  if (profile && (keyFile || keyId))
    throw new UsageError('choose one notarization method: --keychain-profile, or --key with --key-id');
  if (profile) return { kind: 'keychain-profile', profile, keychain: one(a, '--keychain') };
  // The key id also names the temporary key file: only App Store Connect's own format can reach a path.
  const badKeyId = keyId === undefined ? null : keyIdProblem(keyId);
  if (badKeyId) throw new UsageError(`--key-id: ${badKeyId}`);
  const badIssuer = issuer === undefined ? null : issuerProblem(issuer);
  if (badIssuer) throw new UsageError(`--issuer: ${badIssuer}`);
  const secret = keyFile ? undefined : env.GO_MACOS_SIGN_NOTARY_KEY;
  if ((keyFile || secret) && keyId)
    return { kind: 'api-key', keyFile: keyFile ?? writePrivateKey(keyId, secret!, cleanup), keyId, issuer };
  if (keyFile || secret || keyId)
    throw new UsageError(
      'an App Store Connect API key needs both --key FILE (or GO_MACOS_SIGN_NOTARY_KEY) and --key-id',
    );
  throw new UsageError(
    'notarization needs credentials: --keychain-profile NAME (made once with `xcrun notarytool store-credentials NAME`, which also stores an Apple ID and app-specific password), or --key AuthKey_ID.p8 --key-id ID [--issuer UUID]',
  );
}

/** Whether notarytool can run here: xcrun named with --tool, or found on PATH (macOS, or a stand-in). */
function xcrunAvailable(a: PipelineArgs, env: NodeJS.ProcessEnv): boolean {
  if ((a.values.get('--tool') ?? []).some((t) => t.startsWith('xcrun='))) return true;
  return onPath('xcrun', env.PATH ?? '');
}

/** `staple --via builtin|stapler`: Apple's stapler where xcrun runs, the builtin one elsewhere (release: the same rule). */
function stapleVia(a: PipelineArgs, onMac: boolean, env: NodeJS.ProcessEnv): 'builtin' | 'stapler' {
  const explicit = a.command === 'staple' ? one(a, '--via') : undefined;
  const via = explicit ?? (onMac || xcrunAvailable(a, env) ? 'stapler' : 'builtin');
  if (via !== 'builtin' && via !== 'stapler') throw new UsageError(`--via takes builtin or stapler, not ${via}`);
  return via;
}

/**
 * notarytool where it can run (macOS, or a named xcrun); elsewhere, given an App Store Connect API key, the builtin
 * client of the Notary REST API. `--via` chooses. The key's text comes from --key FILE or GO_MACOS_SIGN_NOTARY_KEY.
 */
function notaryBackend(
  a: PipelineArgs,
  { env, onMac, cleanup }: { env: NodeJS.ProcessEnv; onMac: boolean; cleanup: (() => void)[] },
): NotaryBackend {
  // In `release`, --via names the signer; the notary backend follows from the credentials there.
  const keyFile = one(a, '--key');
  const keyText = keyFile ? undefined : env.GO_MACOS_SIGN_NOTARY_KEY;
  const hasKey = Boolean(keyFile || keyText);
  const explicit = a.command === 'notarize' ? one(a, '--via') : undefined;
  const via = explicit ?? (hasKey && !onMac && !xcrunAvailable(a, env) ? 'api' : 'notarytool');
  if (via !== 'api' && via !== 'notarytool') throw new UsageError(`--via takes api or notarytool, not ${via}`);
  if (via === 'notarytool') return { via, auth: notaryAuth(a, env, cleanup) };
  if (one(a, '--keychain-profile'))
    throw new UsageError('--via api takes an API key (--key, --key-id), not a keychain profile');
  const keyId = one(a, '--key-id') ?? env.GO_MACOS_SIGN_NOTARY_KEY_ID;
  const issuer = one(a, '--issuer') ?? env.GO_MACOS_SIGN_NOTARY_ISSUER ?? null;
  const badKeyId = keyId === undefined ? null : keyIdProblem(keyId);
  if (badKeyId) throw new UsageError(`--key-id: ${badKeyId}`);
  const badIssuer = issuer === null ? null : issuerProblem(issuer);
  if (badIssuer) throw new UsageError(`--issuer: ${badIssuer}`);
  if (!hasKey || !keyId)
    throw new UsageError(
      '--via api needs an App Store Connect API key: --key AuthKey_ID.p8 (or GO_MACOS_SIGN_NOTARY_KEY) and --key-id ID [--issuer UUID]',
    );
  const pem = keyFile ? readTextBounded(keyFile, 'text') : keyText!;
  return { via, key: loadApiKey(pem, keyId, issuer) };
}

function buildOptions(a: PipelineArgs, cwd: string) {
  const pkg = one(a, '--package') ?? a.paths[0] ?? '.';
  const name = one(a, '--name') ?? (path.basename(path.resolve(cwd, pkg)) || 'program');
  const cgo = one(a, '--cgo');
  if (cgo !== undefined && cgo !== '0' && cgo !== '1') throw new UsageError('--cgo takes 0 or 1');
  return {
    package: pkg,
    out: path.resolve(cwd, one(a, '--out') ?? 'dist'),
    name,
    archs: archs(a),
    ldflags: one(a, '--ldflags'),
    cgo: cgo as '0' | '1' | undefined,
    trimpath: !a.flags.has('--no-trimpath'),
  };
}

function target(a: PipelineArgs, cwd: string): string {
  if (a.paths.length !== 1) throw new UsageError(`${a.command} takes one artifact path`);
  return path.resolve(cwd, a.paths[0]);
}

export interface PipelineIO {
  out: (text: string) => void;
  err: (text: string) => void;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  signal?: AbortSignal;
  /** Apple's own checks (codesign --verify, spctl) run on macOS only (CliIO.onMac). */
  onMac: boolean;
}

function printNotarization(r: NotarizeResult, say: (s: string) => void): void {
  say(`notarization ${r.submissionId}: ${r.status}${r.resumed ? ' (resumed)' : ''}`);
  for (const issue of r.issues) {
    say(
      `  ${issue.severity}: ${issue.path ?? ''}${issue.architecture ? ` (${issue.architecture})` : ''}: ${issue.message}`,
    );
    if (issue.goCause) say(`    likely cause in a Go build: ${issue.goCause}`);
    if (issue.docUrl) say(`    ${issue.docUrl}`);
  }
  if (r.status === 'Accepted' && r.localCdhashes.length === 0)
    say(
      `  the ticket lists ${r.ticketCdhashes.length} cdhash(es); no signed Mach-O was read at the artifact itself (a .dmg or .pkg is not opened here), so they are not compared`,
    );
  else if (r.status === 'Accepted')
    say(
      r.covered
        ? `  the ticket covers every cdhash of the artifact (${r.localCdhashes.join(', ')})`
        : `  the ticket does not list every cdhash of the artifact: local ${r.localCdhashes.join(', ') || 'none'}, ticket ${r.ticketCdhashes.join(', ') || 'none'}`,
    );
  if (r.log) say(`  log: ${r.log}`);
}

/** Runs one pipeline command; returns the exit code. */
export async function runPipeline(a: PipelineArgs, io: PipelineIO): Promise<number> {
  const env = io.env ?? process.env;
  const cwd = io.cwd ?? process.cwd();
  const json = a.flags.has('--json');
  // With --json, stdout carries only the JSON document; commands and tool output go to stderr.
  const say = json ? (s: string) => io.err(`${s}\n`) : (s: string) => io.out(`${s}\n`);
  const runner = new Runner({ out: json ? io.err : io.out, err: io.err, tools: tools(a), signal: io.signal, cwd, env });
  const cleanup: (() => void)[] = [];
  const result: PipelineOutput = { command: a.command, commands: [], ok: false };
  let code = 0;
  try {
    switch (a.command) {
      case 'build': {
        result.outputs = await build(runner, buildOptions(a, cwd));
        break;
      }
      case 'universal': {
        const output = one(a, '--output');
        if (!output || a.paths.length === 0) throw new UsageError('universal takes --output FILE and the thin files');
        result.output = await universal(
          runner,
          a.paths.map((p) => path.resolve(cwd, p)),
          path.resolve(cwd, output),
          universalVia(a),
          say,
        );
        break;
      }
      case 'sign': {
        if (a.paths.length === 0) throw new UsageError('sign takes the paths of the binaries or .app bundles to sign');
        const signer = signerFrom(a, { env, cwd, onMac: io.onMac, keyFlag: '--key' });
        const signed = [];
        for (const p of a.paths) signed.push(await signWith(runner, path.resolve(cwd, p), signer, say));
        if (signer.via === 'builtin') result.signed = signed.filter((x) => x !== null);
        break;
      }
      case 'package': {
        const format = (one(a, '--format') ?? 'zip') as 'zip' | 'dmg' | 'pkg';
        if (!['zip', 'dmg', 'pkg'].includes(format)) throw new UsageError('--format takes zip, dmg or pkg');
        result.output = await packageArtifact(runner, target(a, cwd), {
          format,
          identity:
            format === 'pkg' ? one(a, '--installer-identity') : (one(a, '--identity') ?? env.GO_MACOS_SIGN_IDENTITY),
          identifier: one(a, '--identifier'),
          version: one(a, '--version'),
          installLocation: one(a, '--install-location'),
        });
        break;
      }
      case 'notarize': {
        const backend = notaryBackend(a, { env, onMac: io.onMac, cleanup });
        result.backend = backend.via;
        const r = await notarizeWith(runner, target(a, cwd), backend, {
          timeout: one(a, '--timeout') ?? '30m',
          store: new SubmissionStore(stateDir(env)),
          say,
          signal: io.signal,
          env,
          force: a.flags.has('--force'),
        });
        Object.assign(result, r);
        printNotarization(r, say);
        if (r.status !== 'Accepted') code = 1;
        break;
      }
      case 'staple': {
        const r = await stapleWith(runner, target(a, cwd), stapleVia(a, io.onMac, env));
        Object.assign(result, r);
        say(r.message);
        break;
      }
      case 'release': {
        code = await release(a, runner, { env, cwd, onMac: io.onMac }, cleanup, result, say);
        break;
      }
      case 'submissions': {
        // Saved submissions, so an editor can resume waiting for those still in progress after a reload.
        const saved = new SubmissionStore(stateDir(env)).load();
        result.submissions = saved;
        for (const s of saved) say(`${s.id} ${s.status} ${s.artifact} (${s.submittedAt})`);
        break;
      }
    }
  } catch (error) {
    if (error instanceof ToolError) {
      say(`go-macos-sign ${a.command}: ${error.message}`);
      result.error = error.message;
      code = 1;
    } else if (error instanceof PreflightRefusal) {
      // Apple's words per file and slice, with the fix: what the log would have said after the wait, said now.
      say(`go-macos-sign ${a.command}: ${error.message}`);
      for (const line of preflightLines(error.result)) say(line);
      result.error = error.message;
      result.preflight = error.result;
      code = 1;
    } else throw error;
  } finally {
    for (const c of cleanup) c();
  }
  result.commands = runner.history;
  result.ok = code === 0;
  if (json) io.out(`${JSON.stringify(result, null, 2)}\n`);
  return code;
}

/**
 * build → universal → sign → notarize → staple (when possible) → verify; stops at the first failure. With
 * `--artifact PATH` it starts from a binary or .app built elsewhere (GoReleaser, make, Xcode): no build, and signing
 * only when an identity is named, so an artifact signed on another machine is notarized as it is.
 */
async function release(
  a: PipelineArgs,
  runner: Runner,
  { env, cwd, onMac }: { env: NodeJS.ProcessEnv; cwd: string; onMac: boolean },
  cleanup: (() => void)[],
  result: PipelineOutput,
  say: (s: string) => void,
): Promise<number> {
  const given = one(a, '--artifact');
  const backend = notaryBackend(a, { env, onMac, cleanup });
  result.backend = backend.via;
  let artifact: string;
  const signer = () => signerFrom(a, { env, cwd, onMac, keyFlag: '--cert-key' });
  if (given === undefined) {
    const o = buildOptions(a, cwd);
    const chosen = signer();
    const via = chosen.via === 'builtin' ? 'builtin' : 'lipo';
    artifact = await universal(runner, await build(runner, o), path.join(o.out, o.name), via, say);
    await signWith(runner, artifact, chosen, say);
  } else {
    // Built (and perhaps signed) by other tooling: signed here only when an identity is named.
    if (a.paths.length > 0)
      throw new UsageError('release --artifact takes no package path: the artifact is already built');
    artifact = path.resolve(cwd, given);
    if (pathKind(artifact) === 'missing') throw new InputError(`${artifact}: no such file`);
    const named = ['--identity', '--p12', '--cert', '--adhoc'].some((f) => a.values.has(f) || a.flags.has(f));
    if (named || env.GO_MACOS_SIGN_IDENTITY) await signWith(runner, artifact, signer(), say);
    else say(`${path.basename(artifact)}: not signed again (no identity given): notarizing the signature it carries`);
  }
  result.artifact = artifact;
  const { preflight, ...notarization } = await notarizeWith(runner, artifact, backend, {
    timeout: one(a, '--timeout') ?? '30m',
    store: new SubmissionStore(stateDir(env)),
    say,
    env,
    force: a.flags.has('--force'),
  });
  result.preflight = preflight;
  result.notarization = notarization;
  printNotarization(notarization, say);
  if (notarization.status !== 'Accepted') return 1;
  if (artifactKind(artifact) !== 'binary') result.staple = await stapleWith(runner, artifact, stapleVia(a, onMac, env));
  else
    say(
      `${path.basename(artifact)}: not stapled (a bare binary cannot carry a ticket; Gatekeeper checks online). Ship ${path.basename(String(notarization.log ?? artifact)).replace(/\.notary-log\.json$/, '')}.`,
    );
  // The engine's readiness report works everywhere; Apple's own checks only where Apple's tools are.
  const { reports } = await inspectPath(artifact);
  const failed = reports.flatMap((r) =>
    r.checks.filter((c) => c.status === 'fail').map((c) => `${c.id}: ${c.message}`),
  );
  result.readiness = reports.map((r) => ({
    path: r.path,
    checks: r.checks.map((c) => ({ id: c.id, status: c.status })),
  }));
  for (const f of failed) say(`readiness: ${f}`);
  if (onMac && !(await appleVerify(runner, artifact))) return 1;
  if (!notarization.covered) return 1;
  return failed.length > 0 ? 1 : 0;
}

export { InputError };
