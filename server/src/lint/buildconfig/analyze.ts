/**
 * Lints the commands of one build file (Makefile, shell script, workflow, task) in order: each command by its own
 * rules, and the sequence as a whole (is the file a release flow? is anything modified after it was signed? is a
 * submission waited for? what does each path hold when it is submitted, stapled or assessed?). Paths are compared by
 * value, so `"$BIN"` and `dist/myapp` are the same file when the script says so. Pure: the file system is reached
 * only through the lookups in the context.
 */
import type { LintDiagnostic } from '../diagnostic';
import type { Invocation } from './commands';
import type { SigningContext } from './signing';
import { fromCommand, GoBuild, lintGoBuild, VariableLookup } from './goBuild';
import {
  followsUp,
  Judge,
  lintAltool,
  storesCredentials,
  lintCodesign,
  lintNotarytool,
  lintSpctl,
  lintStapler,
  modifyAfterSign,
  normalizePath,
  signedTargets,
  submits,
} from './signing';
import { productions, writtenPath } from './artifacts';
import type { Word } from './shell';
import type { Made } from './values';

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
  const signing = (at: number): SigningContext => ({
    text: ctx.text,
    release: ctx.releaseAt ? ctx.releaseAt(at) : release,
    entitlements: ctx.entitlements,
    judge,
  });
  // What each path holds at the command being linted: set by the commands before it, in order.
  const held = new Map<string, Made>();
  const judge: Judge = (inv, word) => {
    const value = inv.value(word);
    if (!value) return undefined;
    const made = value.made ?? (value.text !== undefined ? held.get(normalizePath(value.text)) : undefined);
    return made ? { ...value, made } : value;
  };
  /** A path as the flow knows it: its value when known, otherwise as written (the same variable names the same file). */
  const key = (inv: Invocation) => (word: Word) => normalizePath(inv.value(word)?.text ?? word.text);
  const firstSigned = new Map<string, number>();
  const lastSigned = new Map<string, number>();
  let lastFollowUp = -1;
  let firstStore = Infinity;
  invocations.forEach((inv, i) => {
    if (inv.tool === 'codesign') {
      for (const path of signedTargets(inv, key(inv))) {
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
        out.push(...lintNotarytool(inv, lastFollowUp > i, !!ctx.ci && firstStore > i, judge));
        break;
      case 'stapler':
        out.push(...lintStapler(inv, judge));
        break;
      case 'spctl':
        out.push(...lintSpctl(inv, judge));
        break;
      case 'altool':
        out.push(...lintAltool(inv));
        break;
      default:
        if (firstSigned.size > 0) {
          out.push(
            ...modifyAfterSign(
              inv,
              (p) => (firstSigned.get(p) ?? Infinity) < i,
              (p) => (lastSigned.get(p) ?? -1) > i,
              key(inv),
            ),
          );
        }
    }
    record(inv, held, judge);
  });
  return out;
}

/** Updates what each path holds after `inv` ran: what it made, or what it copied. */
function record(inv: Invocation, held: Map<string, Made>, judge: Judge): void {
  for (const p of productions(inv)) {
    const target = inv.value(p.word)?.text;
    if (target === undefined) continue;
    const path = normalizePath(writtenPath(target, p.extension));
    const made =
      p.kind === 'copy' ? p.from && judge(inv, p.from)?.made : { kind: p.kind, range: p.word.range, by: p.by };
    if (made) held.set(path, made);
    else held.delete(path);
  }
}
