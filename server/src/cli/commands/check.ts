/**
 * The checking commands: `inspect`, `verify` and `lint` over paths. They only turn options into engine calls and print.
 * Exit codes:
 *   inspect: 0 printed, 1 some readiness check failed, 2 usage or input error.
 *   verify:  0 every slice has an intact signature, 1 a signature is missing or broken, 2 usage or input error.
 *   lint:    0 no error-level finding, 1 some error, 2 usage error or a named file of a type it does not read.
 */
import type { InspectReport } from '../../protocol';
import { Command, lastValue, OptionSpec, ParsedArgs, UsageError } from '../command';

// The engine is required where a command runs, not imported here: the CLI's start-up then loads only what the
// command it runs needs (verify never loads the linters, YAML or the rule texts), and `--help` loads none of it.

const ARCH: OptionSpec = {
  flag: '--arch',
  value: 'LIST',
  help: "architectures every file must contain, e.g. arm64,x86_64 (Go's amd64 = x86_64; default: any)",
  missing: '--arch needs a value such as arm64,x86_64',
};
const TOOL: OptionSpec = {
  flag: '--tool',
  value: 'NAME=PATH',
  help: 'names a tool instead of finding it on PATH',
  missing: '--tool takes NAME=PATH',
};

/** Mach-O architecture names, and Go's GOARCH names for them. */
const ARCHITECTURES: Record<string, string> = {
  arm64: 'arm64',
  arm64e: 'arm64e',
  x86_64: 'x86_64',
  x86_64h: 'x86_64h',
  amd64: 'x86_64',
};

/** `--arch` as Mach-O architecture names (what inspect compares; lint maps them back to GOARCH). */
function architectures(args: ParsedArgs): string[] {
  const value = lastValue(args, '--arch');
  if (value === undefined) return [];
  if (!value) throw new UsageError(ARCH.missing!);
  return [
    ...new Set(
      value
        .split(',')
        .map((a) => a.trim())
        .filter(Boolean)
        .map(architecture),
    ),
  ];
}

function architecture(name: string): string {
  const known = Object.prototype.hasOwnProperty.call(ARCHITECTURES, name) ? ARCHITECTURES[name] : undefined;
  if (!known)
    throw new UsageError(`--arch: unknown architecture ${JSON.stringify(name)} (use arm64, x86_64 or Go's amd64)`);
  return known;
}

function tools(args: ParsedArgs): Record<string, string> {
  const out: Record<string, string> = {};
  for (const value of args.values.get('--tool') ?? []) {
    const eq = value.indexOf('=');
    if (eq <= 0) throw new UsageError(TOOL.missing!);
    out[value.slice(0, eq)] = value.slice(eq + 1);
  }
  return out;
}

function paths(name: string, args: ParsedArgs): string[] {
  if (args.paths.length === 0) throw new UsageError(`${name} needs at least one path`);
  return args.paths;
}

async function collect(
  paths: string[],
  architectures: string[],
): Promise<{ reports: InspectReport[]; errors: string[] }> {
  const reports: InspectReport[] = [];
  const errors: string[] = [];
  const { inspectPath } = require('../../inspect') as typeof import('../../inspect');
  for (const path of paths) {
    const result = await inspectPath(path, { checks: { architectures } });
    reports.push(...result.reports);
    errors.push(...result.errors.map((e) => e.message));
  }
  // Nothing is hashed after this: the page workers free their memory while the reports are printed.
  (require('../../macho/pageHashes') as typeof import('../../macho/pageHashes')).releasePageWorkers();
  return { reports, errors };
}

const PATHS =
  'Paths may be files, .app bundles, disk images (.dmg), installer packages (.pkg) or directories (searched for\n' +
  'Mach-O files, disk images and packages by their content).';

export const inspect: Command = {
  name: 'inspect',
  group: 'check',
  summary: "print each Mach-O file's or .app bundle's architectures, signature and notarization readiness",
  usage: `[options] <path>...\n\n${PATHS}`,
  options: [
    { flag: '--json', help: 'machine-readable output' },
    ARCH,
    {
      flag: '--online',
      help: "ask Apple's ticket service whether each artifact is notarized (sends only cdhashes, as Gatekeeper does)",
    },
    { flag: '--no-color', help: 'plain text' },
  ],
  async run(args, io) {
    const color = !args.flags.has('--no-color') && !!process.stdout.isTTY && !process.env.NO_COLOR;
    const archs = architectures(args);
    const { reports, errors } = await collect(paths('inspect', args), archs);
    // One lookup for every cdhash of every path; without --online nothing leaves the machine.
    if (args.flags.has('--online')) {
      const { addNotarization } = require('../../inspectOnline') as typeof import('../../inspectOnline');
      await addNotarization(reports, { url: (io.env ?? process.env).GO_MACOS_SIGN_TICKET_URL });
    }
    const { COLOR, formatReport, PLAIN } = require('../format') as typeof import('../format');
    if (args.flags.has('--json')) io.out(JSON.stringify(reports, null, 2));
    else io.out(reports.map((r) => formatReport(r, color ? COLOR : PLAIN).join('\n')).join('\n\n'));
    for (const e of errors) io.err(`go-macos-sign: ${e}`);
    if (errors.length > 0) return 2;
    return reports.some((r) => r.checks.some((c) => c.status === 'fail')) ? 1 : 0;
  },
};

/** What `verify` says about a disk image's or package's own signature; null for Mach-O files and bundles. */
function containerVerdict(report: InspectReport): { valid: boolean; text: string } | null {
  const image = report.diskImage;
  if (image) {
    const sig = image.signature;
    if (!sig) return { valid: false, text: 'disk image not signed' };
    if (sig.problems.length > 0) return { valid: false, text: `INVALID: ${sig.problems.join('; ')}` };
    return {
      valid: true,
      text: `valid ${sig.signer ?? 'other'} disk image signature (image and trailer hashes match)`,
    };
  }
  const pkg = report.package;
  if (pkg) {
    if (pkg.signatures.length === 0) return { valid: false, text: 'installer package not signed' };
    return {
      valid: true,
      text: `table of contents matches its ${pkg.checksum.style} checksum; signed (${pkg.signatures.map((x) => `<${x.element}>`).join(', ')}), the signature over the checksum is not checked here`,
    };
  }
  return null;
}

export const verify: Command = {
  name: 'verify',
  group: 'check',
  summary:
    'check that every architecture carries an intact code signature (exit 0 valid, 1 missing or broken);\n' +
    '--readiness also fails on the notarization readiness checks; on macOS it also runs\n' +
    'codesign --verify --strict and spctl with the right type',
  usage: `[options] <path>...\n\n${PATHS}`,
  options: [{ flag: '--readiness', help: 'also fail on the notarization readiness checks' }, ARCH, TOOL],
  async run(args, io) {
    const archs = architectures(args);
    const toolPaths = tools(args);
    const { reports, errors } = await collect(paths('verify', args), archs);
    let broken = false;
    for (const report of reports) {
      const own = containerVerdict(report);
      if (own) {
        io.out(`${report.path}: ${own.text}`);
        if (!own.valid) broken = true;
      }
      for (const slice of report.architectures) {
        const label = `${report.path} (${slice.arch})`;
        const v = slice.verification;
        if (v.valid) {
          io.out(`${label}: valid ${slice.signature!.kind} signature, ${v.pagesChecked} pages checked`);
          continue;
        }
        broken = true;
        if (!slice.signature) io.out(`${label}: not signed`);
        else io.out(`${label}: INVALID: ${v.failures.map((f) => f.message).join('; ')}`);
      }
    }
    if (args.flags.has('--readiness')) {
      for (const report of reports) {
        for (const c of report.checks.filter((x) => x.status === 'fail')) {
          io.out(`${report.path}: readiness ${c.id}: ${c.message}`);
          broken = true;
        }
      }
    }
    // Apple's own checks, where Apple's tools exist.
    if (io.onMac) {
      const { Runner } = require('../../apple/runner') as typeof import('../../apple/runner');
      const { appleVerify } = require('../../pipeline/steps') as typeof import('../../pipeline/steps');
      const runner = new Runner({
        out: (t) => io.out(t.replace(/\n$/, '')),
        err: (t) => io.err(t.replace(/\n$/, '')),
        tools: toolPaths,
        env: io.env,
      });
      for (const report of reports) if (!(await appleVerify(runner, report.path))) broken = true;
    }
    for (const e of errors) io.err(`go-macos-sign: ${e}`);
    if (errors.length > 0) return 2;
    return broken ? 1 : 0;
  },
};

const LEVELS = ['error', 'warning', 'info', 'hint', 'off'];

function ruleOverrides(args: ParsedArgs, RULES: Readonly<Record<string, unknown>>): Record<string, string> {
  const rules: Record<string, string> = {};
  for (const value of args.values.get('--rule') ?? []) {
    const [id, level] = value.split('=');
    if (!id || !LEVELS.includes(level)) throw new UsageError('--rule takes ID=error|warning|info|hint|off');
    if (!Object.prototype.hasOwnProperty.call(RULES, id))
      throw new UsageError(`--rule: unknown rule ${JSON.stringify(id)} (the rules are listed in docs/rules)`);
    rules[id] = level;
  }
  return rules;
}

export const lint: Command = {
  name: 'lint',
  group: 'check',
  summary:
    'check entitlements, Info.plist, go.mod and build files (Makefiles, shell scripts, .goreleaser.yaml,\n' +
    'GitHub workflows, .vscode/tasks.json and settings.json) in directories, or the files named\n' +
    '(exit 1 on any error; 2 for a named file of a type it does not read)',
  usage: '[options] <path>...',
  options: [
    {
      flag: '--format',
      value: 'F',
      help: 'output: text (default), json, or sarif (SARIF 2.1.0 for GitHub code scanning)',
      missing: '--format takes text, json or sarif',
    },
    {
      flag: '--rule',
      value: 'ID=LEVEL',
      help: "set a rule's severity (error, warning, info, hint) or turn it off",
      missing: '--rule takes ID=error|warning|info|hint|off',
    },
    { ...ARCH, help: 'the darwin targets whose cgo dependencies go.mod is checked for (default: both)' },
    {
      flag: '--no-go-list',
      help: 'do not run `go list` for go.mod (read module sources and known cgo modules instead)',
    },
  ],
  async run(args, io) {
    const format = lastValue(args, '--format') ?? 'text';
    if (format !== 'text' && format !== 'json' && format !== 'sarif')
      throw new UsageError('--format takes text, json or sarif');
    const { RULES } = require('../../rules') as typeof import('../../rules');
    const { cleanOverrides, lintPaths } = require('../../lint/lintFiles') as typeof import('../../lint/lintFiles');
    const { toSarif } = require('../../lint/sarif') as typeof import('../../lint/sarif');
    const overrides = cleanOverrides(ruleOverrides(args, RULES));
    const archs = architectures(args);
    const diagnostics = await lintPaths(paths('lint', args), {
      overrides,
      architectures: archs,
      goList: !args.flags.has('--no-go-list'),
    });
    if (format === 'json')
      io.out(
        JSON.stringify(
          diagnostics.map(({ fixes: _fixes, ...d }) => d),
          null,
          2,
        ),
      );
    else if (format === 'sarif') io.out(JSON.stringify(toSarif(diagnostics, io.version), null, 2));
    else {
      for (const d of diagnostics)
        io.out(
          `${d.file}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.severity} ${d.code} ${d.message}`,
        );
      if (diagnostics.length === 0) io.out('no problems found');
    }
    return diagnostics.some((d) => d.severity === 'error') ? 1 : 0;
  },
};
