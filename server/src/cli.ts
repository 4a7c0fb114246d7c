/**
 * The command-line adapter: `go-macos-sign inspect|verify|lint <path>...` and the release pipeline
 * (build, universal, sign, package, notarize, staple, release: cli/pipeline.ts).
 *
 * It only parses arguments, calls the engine and prints. Exit codes are part of the interface:
 *   inspect: 0 printed, 1 some readiness check failed, 2 usage or input error.
 *   verify:  0 every slice has an intact signature, 1 a signature is missing or broken, 2 usage or input error.
 * Errors are one line on stderr; no stack trace reaches the user.
 */
import { RULES } from './rules';
import { InputError } from './errors';
import { inspectPath } from './inspect';
import { cleanOverrides, lintPaths } from './lint/lintFiles';
import { toSarif } from './lint/sarif';
import { COLOR, formatReport, PLAIN } from './cli/format';
import { parsePipelineArgs, PIPELINE_COMMANDS, PipelineCommand, PipelineUsageError, runPipeline } from './cli/pipeline';
import { Runner } from './apple/runner';
import { appleVerify } from './pipeline/steps';
import type { InspectReport } from './protocol';

const USAGE = `usage: go-macos-sign <command> [options] <path>...

commands:
  inspect   print each Mach-O file's or .app bundle's architectures, signature and notarization readiness
  verify    check that every architecture carries an intact code signature (exit 0 valid, 1 missing or broken);
            --readiness also fails on the notarization readiness checks; on macOS it also runs
            codesign --verify --strict and spctl with the right type
  lint      check entitlements, Info.plist, go.mod and build files (Makefiles, shell scripts, .goreleaser.yaml,
            GitHub workflows, .vscode/tasks.json and settings.json) in directories, or the files named
            (exit 1 on any error; 2 for a named file of a type it does not read)

release pipeline (each prints every command it runs; --json for machine output; exit 1 on a failed step):
  build      go build for each --arch (GOOS=darwin) into --out: --package PKG --name NAME --ldflags F --cgo 0|1
  universal  lipo -create --output FILE THIN...
  sign       xattr -cr, then codesign --force --options runtime --timestamp (nested code first in an .app):
             --identity "Developer ID Application: NAME (TEAMID)" [--identifier ID] [--entitlements FILE]
  package    --format zip|dmg|pkg (pkg: --installer-identity "Developer ID Installer: ...")
  notarize   zip if needed, notarytool submit, wait, log; resumes a saved submission of the same archive:
             --keychain-profile NAME | --key FILE --key-id ID [--issuer UUID] [--timeout 30m]
  staple     stapler staple (.app, .dmg, .pkg; explains why a bare binary is not stapled)
  release    build, universal, sign, notarize, staple, verify; --artifact PATH starts from a binary or .app built
             elsewhere (signed only when --identity is given)
  submissions  the saved notarization submissions (an interrupted wait resumes on the next notarize)
  --tool NAME=PATH names a tool instead of finding it on PATH; notarytool and stapler run through xcrun.

options:
  --json            machine-readable output (inspect)
  --format F        lint output: text (default), json, or sarif (SARIF 2.1.0 for GitHub code scanning)
  --rule ID=LEVEL   lint: set a rule's severity (error, warning, info, hint) or turn it off
  --arch LIST       architectures every file must contain, e.g. arm64,x86_64 (Go's amd64 = x86_64; default: any);
                    for lint, the darwin targets whose cgo dependencies go.mod is checked for (default: both)
  --no-go-list      lint: do not run \`go list\` for go.mod (read module sources and known cgo modules instead)
  --no-color        plain text
  -h, --help        this help
  --version         print the version

Paths may be files, .app bundles or directories (searched for Mach-O files by their magic bytes).`;

declare const PACKAGE_VERSION: string | undefined;

class UsageError extends Error {}

function version(): string {
  return typeof PACKAGE_VERSION === 'string' ? PACKAGE_VERSION : 'development';
}

interface Args {
  command: 'inspect' | 'verify' | 'lint';
  paths: string[];
  json: boolean;
  format: 'text' | 'json' | 'sarif';
  rules: Record<string, string>;
  color: boolean;
  architectures: string[];
  goList: boolean;
  /** verify: also fail on readiness checks (what notarization needs), not only on broken signatures. */
  readiness: boolean;
  /** --tool NAME=PATH: tools not found on PATH. */
  tools: Record<string, string>;
}

function parseArgs(argv: string[]): Args | 'help' | 'version' {
  if (argv.includes('-h') || argv.includes('--help') || argv.length === 0) return 'help';
  if (argv.includes('--version')) return 'version';
  const [command, ...rest] = argv;
  if (command !== 'inspect' && command !== 'verify' && command !== 'lint') throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  const args: Args = { command, paths: [], json: false, format: 'text', rules: {}, color: !!process.stdout.isTTY && !process.env.NO_COLOR, architectures: [], goList: true, readiness: false, tools: {} };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === '--json') args.json = true;
    else if (arg === '--no-color') args.color = false;
    else if (arg === '--no-go-list') args.goList = false;
    else if (arg === '--readiness') args.readiness = true;
    else if (arg === '--tool' || arg.startsWith('--tool=')) {
      const value = arg === '--tool' ? rest[++i] : arg.slice('--tool='.length);
      const eq = (value ?? '').indexOf('=');
      if (eq <= 0) throw new UsageError('--tool takes NAME=PATH');
      args.tools[value.slice(0, eq)] = value.slice(eq + 1);
    }
    else if (arg === '--rule' || arg.startsWith('--rule=')) {
      const value = arg === '--rule' ? rest[++i] : arg.slice('--rule='.length);
      const [id, level] = (value ?? '').split('=');
      if (!id || !['error', 'warning', 'info', 'hint', 'off'].includes(level)) throw new UsageError('--rule takes ID=error|warning|info|hint|off');
      if (!Object.prototype.hasOwnProperty.call(RULES, id)) throw new UsageError(`--rule: unknown rule ${JSON.stringify(id)} (the rules are listed in docs/rules)`);
      args.rules[id] = level;
    } else if (arg === '--format' || arg.startsWith('--format=')) {
      const value = arg === '--format' ? rest[++i] : arg.slice('--format='.length);
      if (value !== 'text' && value !== 'json' && value !== 'sarif') throw new UsageError('--format takes text, json or sarif');
      args.format = value;
    }
    else if (arg === '--arch' || arg.startsWith('--arch=')) {
      const value = arg === '--arch' ? rest[++i] : arg.slice('--arch='.length);
      if (!value) throw new UsageError('--arch needs a value such as arm64,x86_64');
      args.architectures = [...new Set(value.split(',').map((a) => a.trim()).filter(Boolean).map(architecture))];
    } else if (arg === '--') {
      args.paths.push(...rest.slice(i + 1)); // everything after -- is a path, even if it starts with a dash
      break;
    } else if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option ${arg}`);
    else args.paths.push(arg);
  }
  if (args.paths.length === 0) throw new UsageError(`${command} needs at least one path`);
  return args;
}

/** Mach-O architecture names, and Go's GOARCH names for them. */
const ARCHITECTURES: Record<string, string> = { arm64: 'arm64', arm64e: 'arm64e', x86_64: 'x86_64', x86_64h: 'x86_64h', amd64: 'x86_64' };

/** One `--arch` entry as a Mach-O architecture name (what inspect compares; lint maps it back to GOARCH). */
function architecture(name: string): string {
  const known = Object.prototype.hasOwnProperty.call(ARCHITECTURES, name) ? ARCHITECTURES[name] : undefined;
  if (!known) throw new UsageError(`--arch: unknown architecture ${JSON.stringify(name)} (use arm64, x86_64 or Go's amd64)`);
  return known;
}

async function collect(args: Args): Promise<{ reports: InspectReport[]; errors: string[] }> {
  const reports: InspectReport[] = [];
  const errors: string[] = [];
  for (const path of args.paths) {
    const result = await inspectPath(path, { checks: { architectures: args.architectures } });
    reports.push(...result.reports);
    errors.push(...result.errors.map((e) => e.message));
  }
  return { reports, errors };
}

async function inspect(args: Args, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const { reports, errors } = await collect(args);
  if (args.json) out(JSON.stringify(reports, null, 2));
  else {
    const style = args.color ? COLOR : PLAIN;
    out(reports.map((r) => formatReport(r, style).join('\n')).join('\n\n'));
  }
  for (const e of errors) err(`go-macos-sign: ${e}`);
  if (errors.length > 0) return 2;
  return reports.some((r) => r.checks.some((c) => c.status === 'fail')) ? 1 : 0;
}

async function verify(args: Args, out: (s: string) => void, err: (s: string) => void, context: CliContext): Promise<number> {
  const { reports, errors } = await collect(args);
  let broken = false;
  for (const report of reports) {
    for (const slice of report.architectures) {
      const label = `${report.path} (${slice.arch})`;
      const v = slice.verification;
      if (v.valid) {
        out(`${label}: valid ${slice.signature!.kind} signature, ${v.pagesChecked} pages checked`);
        continue;
      }
      broken = true;
      if (!slice.signature) out(`${label}: not signed`);
      else out(`${label}: INVALID: ${v.failures.map((f) => f.message).join('; ')}`);
    }
  }
  if (args.readiness) {
    for (const report of reports) {
      for (const c of report.checks.filter((x) => x.status === 'fail')) {
        out(`${report.path}: readiness ${c.id}: ${c.message}`);
        broken = true;
      }
    }
  }
  // Apple's own checks, where Apple's tools exist.
  if ((context.platform ?? process.platform) === 'darwin') {
    const runner = new Runner({ out: (t) => out(t.replace(/\n$/, '')), err: (t) => err(t.replace(/\n$/, '')), tools: args.tools, env: context.env });
    for (const report of reports) if (!(await appleVerify(runner, report.path))) broken = true;
  }
  for (const e of errors) err(`go-macos-sign: ${e}`);
  if (errors.length > 0) return 2;
  return broken ? 1 : 0;
}

async function lint(args: Args, out: (s: string) => void): Promise<number> {
  const diagnostics = await lintPaths(args.paths, { overrides: cleanOverrides(args.rules), architectures: args.architectures, goList: args.goList });
  if (args.format === 'json') out(JSON.stringify(diagnostics.map(({ fixes: _fixes, ...d }) => d), null, 2));
  else if (args.format === 'sarif') out(JSON.stringify(toSarif(diagnostics, version()), null, 2));
  else {
    for (const d of diagnostics) out(`${d.file}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.severity} ${d.code} ${d.message}`);
    if (diagnostics.length === 0) out('no problems found');
  }
  return diagnostics.some((d) => d.severity === 'error') ? 1 : 0;
}

const defaultOut = (s: string) => void process.stdout.write(`${s}\n`);
const defaultErr = (s: string) => void process.stderr.write(`${s}\n`);

/** What the CLI takes from its process, injectable by an embedding caller (tests drive the macOS-only checks). */
export interface CliContext {
  /** The environment tools start from; process.env by default. */
  env?: NodeJS.ProcessEnv;
  /** Apple's own checks run on darwin only; process.platform by default. */
  platform?: NodeJS.Platform;
}

export async function main(argv: string[], out = defaultOut, err = defaultErr, context: CliContext = {}): Promise<number> {
  try {
    if ((PIPELINE_COMMANDS as readonly string[]).includes(argv[0]) && !argv.includes('-h') && !argv.includes('--help')) {
      const stdout = (t: string) => void process.stdout.write(t);
      const stderr = (t: string) => void process.stderr.write(t);
      // Ctrl-C or a cancelled VS Code task stops the running tool; a submitted notarization stays saved for a resume.
      const cancel = new AbortController();
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => cancel.abort());
      return await runPipeline(parsePipelineArgs(argv[0] as PipelineCommand, argv.slice(1)), {
        out: out === defaultOut ? stdout : (t) => out(t.replace(/\n$/, '')),
        err: err === defaultErr ? stderr : (t) => err(t.replace(/\n$/, '')),
        signal: cancel.signal,
        env: context.env,
        platform: context.platform,
      });
    }
    const args = parseArgs(argv);
    if (args === 'help') {
      out(USAGE);
      return argv.length === 0 ? 2 : 0;
    }
    if (args === 'version') {
      out(version());
      return 0;
    }
    if (args.command === 'lint') return await lint(args, out);
    return args.command === 'inspect' ? await inspect(args, out, err) : await verify(args, out, err, context);
  } catch (error) {
    if (error instanceof InputError) {
      err(`go-macos-sign: ${error.message}`);
      return 2;
    }
    if (error instanceof UsageError || error instanceof PipelineUsageError) {
      err(`go-macos-sign: ${error.message} (see go-macos-sign --help)`);
      return 2;
    }
    err(`go-macos-sign: internal error: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
}

if (require.main === module) {
  // A closed pipe (`| head`) is not an error worth a stack trace.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
