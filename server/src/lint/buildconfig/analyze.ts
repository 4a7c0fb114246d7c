/**
 * Lints the commands of one build file (Makefile, shell script, workflow, task) in order: each command by its own
 * rules, and the sequence as a whole (is the file a release flow? is anything modified after it was signed? is a
 * submission waited for?). Pure: the file system is reached only through the lookups in the context.
 */
import type { LintDiagnostic } from '../diagnostic';
import type { Invocation } from './commands';
import type { SigningContext } from './signing';
import { fromCommand, GoBuild, lintGoBuild, VariableLookup } from './goBuild';
import { followsUp, lintAltool, storesCredentials, lintCodesign, lintNotarytool, lintSpctl, lintStapler, modifyAfterSign, signedTargets, submits } from './signing';

export interface BuildContext {
  text: string;
  entitlements?: SigningContext['entitlements'];
  lookupVariable?: VariableLookup;
  /** A release flow even if no notarization command is visible (a GoReleaser notarize section, for example). */
  release?: boolean;
  /** For files whose parts are separate flows (Makefile rules): whether the command at this offset is in a release flow. */
  releaseAt?: (offset: number) => boolean;
  /** Commands run on a fresh CI machine (a GitHub workflow): nothing is in its keychain unless the file puts it there. */
  ci?: boolean;
}

/** Go builds described by the invocations (`go build`, `go install`). */
export function goBuilds(invocations: Invocation[]): GoBuild[] {
  return invocations
    .filter((inv) => inv.tool === 'go' && (inv.args[0]?.text === 'build' || inv.args[0]?.text === 'install'))
    .map((inv) => fromCommand(inv.args.slice(1), inv.env, inv.range));
}

export function lintInvocations(invocations: Invocation[], ctx: BuildContext): LintDiagnostic[] {
  const release = ctx.release || invocations.some(submits);
  const signing = (at: number): SigningContext => ({ text: ctx.text, release: ctx.releaseAt ? ctx.releaseAt(at) : release, entitlements: ctx.entitlements });
  const firstSigned = new Map<string, number>();
  const lastSigned = new Map<string, number>();
  let lastFollowUp = -1;
  let firstStore = Infinity;
  invocations.forEach((inv, i) => {
    if (inv.tool === 'codesign') {
      for (const path of signedTargets(inv)) {
        if (!firstSigned.has(path)) firstSigned.set(path, i);
        lastSigned.set(path, i);
      }
    }
    if (followsUp(inv)) lastFollowUp = i;
    if (storesCredentials(inv)) firstStore = Math.min(firstStore, i);
  });

  const out: LintDiagnostic[] = [];
  for (const build of goBuilds(invocations)) out.push(...lintGoBuild(build, ctx.text, ctx.lookupVariable));
  invocations.forEach((inv, i) => {
    switch (inv.tool) {
      case 'codesign':
        out.push(...lintCodesign(inv, signing(inv.range.start)));
        break;
      case 'notarytool':
        out.push(...lintNotarytool(inv, lastFollowUp > i, !!ctx.ci && firstStore > i));
        break;
      case 'stapler':
        out.push(...lintStapler(inv));
        break;
      case 'spctl':
        out.push(...lintSpctl(inv));
        break;
      case 'altool':
        out.push(...lintAltool(inv));
        break;
      default:
        if (firstSigned.size > 0) {
          out.push(...modifyAfterSign(inv, (p) => (firstSigned.get(p) ?? Infinity) < i, (p) => (lastSigned.get(p) ?? -1) > i));
        }
    }
  });
  return out;
}
