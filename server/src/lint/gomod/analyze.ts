/**
 * Lints go.mod for what matters to a signed macOS build: requirements that bring cgo code into the darwin build
 * (`gomod/cgo-dependency`) and a `go` directive too old for signed darwin binaries (`gomod/go-version`).
 *
 * Which requirements use cgo is decided elsewhere, by the best layer available (`go list`, the module sources, or
 * the list of well-known cgo modules); each diagnostic says which layer found it. Pure: no file system, no process.
 */
import { diagnostic, LintDiagnostic, Related } from '../diagnostic';
import { knownCgoModule } from './cgoModules';
import { goVersion, parseGoMod, Requirement } from './parse';

export type CgoLayer = 'go list' | 'module sources' | 'known cgo modules';

export interface CgoFinding {
  /** The module whose packages import "C". */
  module: string;
  /** Its packages that do, for the darwin targets. */
  packages: string[];
  layer: CgoLayer;
  /** Module paths from the requirement written in go.mod down to `module`, when `module` is not required directly. */
  chain?: string[];
  /** Why `go list` could not answer, when it was asked and this finding comes from a later layer instead. */
  goListFailure?: string;
}

export interface GoModOptions {
  /** Findings from `go list` or the module sources; without them, the list of well-known cgo modules is used. */
  findings?: CgoFinding[];
  /** Target architectures (arm64, amd64); both when not configured. */
  architectures?: string[];
}

const LAYER_WORDS: Record<CgoLayer, string> = {
  'go list': 'found by go list for GOOS=darwin',
  'module sources': "found in the module's source files that build for darwin",
  'known cgo modules': 'a well-known cgo module',
};

/** How a finding was made, and why go list did not make it when it was asked. */
function provenance(finding: CgoFinding): string {
  if (finding.goListFailure) return `${LAYER_WORDS[finding.layer]}; go list could not answer: ${finding.goListFailure}`;
  return finding.layer === 'known cgo modules'
    ? `${LAYER_WORDS[finding.layer]}; go list could not confirm it here`
    : LAYER_WORDS[finding.layer];
}

const CONSEQUENCES =
  'With CGO_ENABLED=0 the build fails or silently leaves those files out; cross-compiling from Linux or Windows needs a C toolchain with the macOS SDK; cgo means external linking; and under the hardened runtime, loading third-party libraries at run time needs the disable-library-validation entitlement.';

export function lintGoMod(text: string, options: GoModOptions = {}): LintDiagnostic[] {
  const mod = parseGoMod(text);
  const out: LintDiagnostic[] = [];
  const byPath = new Map(mod.requires.map((r) => [r.path, r]));

  const findings =
    options.findings ??
    mod.requires.flatMap((r): CgoFinding[] =>
      knownCgoModule(r.path) ? [{ module: r.path, packages: [], layer: 'known cgo modules' }] : [],
    );
  const seen = new Set<Requirement>();
  for (const finding of findings) {
    const requirement = byPath.get(finding.chain?.[0] ?? finding.module) ?? byPath.get(finding.module);
    if (!requirement) continue;
    const known = knownCgoModule(finding.module);
    const what =
      finding.packages.length > 0
        ? `${finding.packages.slice(0, 3).join(', ')}${finding.packages.length > 3 ? ` and ${finding.packages.length - 3} more` : ''} import "C"`
        : `it ${known?.what ?? 'uses cgo'}`;
    const through = requirement.path === finding.module ? '' : ` through ${finding.module}`;
    const alternative = known?.alternative
      ? ` A pure-Go alternative: ${known.alternative.module} (${known.alternative.note}).`
      : '';
    const d = diagnostic(
      'gomod/cgo-dependency',
      `${requirement.path} brings cgo into the darwin build${through} (${provenance(finding)}): ${what}. ${CONSEQUENCES}${alternative}`,
      requirement.pathRange,
    );
    const related: Related[] = (finding.chain ?? []).slice(1).flatMap((path) => {
      const r = byPath.get(path);
      return r
        ? [{ range: r.pathRange, message: `${path} is on the way from ${requirement.path} to the cgo code` }]
        : [];
    });
    if (related.length > 0) d.related = related;
    if (seen.has(requirement)) continue;
    seen.add(requirement);
    out.push(d);
  }

  const version = mod.go && goVersion(mod.go.version);
  if (mod.go && version && version[0] === 1) {
    const arm64 =
      !options.architectures || options.architectures.length === 0 || options.architectures.includes('arm64');
    if (version[1] <= 12) {
      const d = diagnostic(
        'gomod/go-version',
        `go ${mod.go.version}: Go 1.12 and older write a macOS SDK version below 10.9 into darwin binaries, and notarization rejects them ("The binary uses an SDK older than the 10.9 SDK."); the linker also does not sign darwin/arm64 output before Go 1.16.`,
        mod.go.versionRange,
      );
      d.severity = 'error';
      out.push(d);
    } else if (version[1] < 16 && arm64) {
      out.push(
        diagnostic(
          'gomod/go-version',
          `go ${mod.go.version}: before Go 1.16 the linker does not sign darwin/arm64 executables, and macOS on Apple silicon refuses to run unsigned code. Build with Go 1.16 or newer (and say so here).`,
          mod.go.versionRange,
        ),
      );
    }
  }
  return out.sort((a, b) => a.range.start - b.range.start);
}
