/**
 * Rules for Apple's signing and notarization commands as they appear in build files: codesign, notarytool, stapler,
 * spctl and altool, and the order of steps (nothing may modify a file after it is signed).
 */
import { diagnostic, Fix, LintDiagnostic, Range, Related } from '../diagnostic';
import { KIND_WORDS, kindByName } from './artifacts';
import { withBlankBefore } from '../edits';
import { Invocation, isLiteral } from './commands';
import { CODESIGN, find, has, NOTARYTOOL, Option, parseOptions } from './options';
import type { Word } from './shell';
import type { ArtifactKind, Made } from './values';

/** What an argument names, as far as the file says: its value, where that is set, and what the path holds. */
export interface Judged {
  /** Undefined when only the kind is known (a GoReleaser build's `{{ .Path }}`). */
  text?: string;
  origins: Related[];
  /** The command earlier in the flow that made the path, and so what it holds. */
  made?: Made;
}

/** Judges a word of an invocation; undefined when its value cannot be known (then the rules say nothing). */
export type Judge = (inv: Invocation, word: Word) => Judged | undefined;

/** Without a flow: literal words only. */
export const literalJudge: Judge = (_inv, word) => (isLiteral(word) ? { text: word.text, origins: [] } : undefined);

/** What the flow or, failing that, the name says the path is. */
function kindOf(judged: Judged): ArtifactKind | 'tarball' | undefined {
  return judged.made?.kind ?? (judged.text !== undefined ? kindByName(judged.text) : undefined);
}

/** How a diagnostic names the argument: as written, with its value when a variable stands for it. */
function label(word: Word, judged: Judged): string {
  return judged.text === undefined || judged.text === word.text ? word.text : `${word.text} (${judged.text})`;
}

/** Adds where the value is set and where the artifact was made, as related information. */
function explained(d: LintDiagnostic, judged: Judged): LintDiagnostic {
  const related = [...judged.origins];
  if (judged.made)
    related.push({
      range: judged.made.range,
      message: `made here by ${judged.made.by}: ${KIND_WORDS[judged.made.kind]}`,
    });
  if (related.length > 0) d.related = [...(d.related ?? []), ...related];
  return d;
}

export type IdentityKind = 'ad-hoc' | 'development' | 'distribution' | 'installer' | 'developer-id' | 'unknown';

/** What kind of certificate a `--sign` value names (codesign matches it as a substring of the certificate name). */
export function identityKind(word: Word | undefined): IdentityKind {
  if (!word || !isLiteral(word)) return 'unknown';
  const t = word.text.trim();
  if (t === '-') return 'ad-hoc';
  if (/^(Apple Development|Mac Developer|iPhone Developer)\b/i.test(t)) return 'development';
  if (/^(Apple Distribution|3rd Party Mac Developer|Mac App Distribution|iPhone Distribution)\b/i.test(t))
    return 'distribution';
  if (/^Developer ID Installer\b/i.test(t)) return 'installer';
  if (/^Developer ID\b/i.test(t)) return 'developer-id';
  return 'unknown';
}

const IDENTITY_WORDS: Record<IdentityKind, string> = {
  'ad-hoc': 'an ad-hoc signature (--sign -)',
  development: 'a development identity',
  distribution: 'a Mac App Store distribution identity',
  installer: 'a Developer ID Installer identity (it signs .pkg files with productsign, not code)',
  'developer-id': 'Developer ID',
  unknown: 'an identity',
};

export interface EntitlementsProbe {
  /** The file as resolved, for the message. */
  file: string;
  exists: boolean;
  /** Errors the entitlements linter reports in it. */
  errors: number;
  /** Why it exists but cannot be read as a file ("not a regular file (a character device)"), if so. */
  unusable?: string;
}

export interface SigningContext {
  text: string;
  /** Whether this file submits to notarization: signatures in it are meant for release. */
  release: boolean;
  /** Looks up an entitlements file named in `--entitlements` (relative paths from the build file's folder). */
  entitlements?: (path: string) => EntitlementsProbe | undefined;
  judge?: Judge;
}

export interface Signing {
  invocation: Invocation;
  targets: string[];
}

function isSigning(parsed: ReturnType<typeof parseOptions>): boolean {
  return has(parsed, 'sign') && !has(parsed, 'verify') && !has(parsed, 'display') && !has(parsed, 'remove-signature');
}

function insertAfter(word: Word): Range {
  return { start: word.range.end, end: word.range.end };
}

export function lintCodesign(inv: Invocation, ctx: SigningContext): LintDiagnostic[] {
  const parsed = parseOptions(inv.args, CODESIGN);
  const out: LintDiagnostic[] = [];
  const deep = find(parsed, 'deep');
  if (!isSigning(parsed)) return out;
  const sign = find(parsed, 'sign')!;
  const judge = ctx.judge ?? literalJudge;
  // `--sign "$IDENTITY"`: the identity the variable holds, when the file says.
  const identity = sign.valueWord && !isLiteral(sign.valueWord) ? judge(inv, sign.valueWord) : undefined;
  const kind =
    identity?.text !== undefined
      ? identityKind({ text: identity.text, at: new Int32Array(0), range: sign.valueWord!.range, quoted: true })
      : identityKind(
          sign.valueWord ?? (sign.value !== undefined ? ({ ...sign.word, text: sign.value } as Word) : undefined),
        );
  const targets = parsed.operands;
  const at = insertAfter(inv.name);

  if (ctx.release && kind !== 'developer-id' && kind !== 'unknown') {
    const d = diagnostic(
      'codesign/not-developer-id',
      `This release flow signs with ${IDENTITY_WORDS[kind]}; notarization accepts only "Developer ID Application" signatures.`,
      (sign.valueWord ?? sign.word).range,
    );
    out.push(identity ? explained(d, identity) : d);
  }
  const distributing = ctx.release || kind === 'developer-id' || kind === 'unknown';
  // Disk images and installer packages carry a signature but no code: the hardened runtime does not apply.
  const exempt =
    targets.length > 0 &&
    targets.every((t) => {
      const judged = judge(inv, t);
      const kind = judged && kindOf(judged);
      return kind === 'dmg' || kind === 'pkg';
    });
  if (distributing && !exempt) out.push(...lintDistributionOptions(parsed, inv, at));
  if (deep) {
    out.push(
      diagnostic(
        'codesign/deep',
        '--deep is deprecated for signing: it applies these options, entitlements included, to all nested code; a bare Go binary has none. Sign nested code separately, inside out.',
        deep.word.range,
        deep.word.text === '--deep'
          ? [{ title: 'Remove --deep', edits: [{ range: withBlankBefore(deep.word.range, ctx.text), newText: '' }] }]
          : undefined,
      ),
    );
  }
  if (!has(parsed, 'force') && !exempt) {
    out.push(
      diagnostic(
        'codesign/missing-force',
        'No --force: Go already signs darwin/arm64 output ad hoc, and codesign refuses to replace an existing signature without --force.',
        inv.name.range,
        [{ title: 'Add --force', edits: [{ range: at, newText: ' --force' }] }],
      ),
    );
  }
  const entitlements = find(parsed, 'entitlements');
  if (entitlements && ctx.entitlements) out.push(...lintEntitlementsOption(entitlements, ctx));
  return out;
}

/** What notarization needs of a distribution signature: the hardened runtime and a secure timestamp. */
function lintDistributionOptions(
  parsed: ReturnType<typeof parseOptions>,
  inv: Invocation,
  at: Range,
): LintDiagnostic[] {
  const out: LintDiagnostic[] = [];
  const options = parsed.options.filter((o) => o.name === 'options');
  const runtime = options.some((o) => (o.value ?? '').split(',').includes('runtime'));
  const timestamp = parsed.options.filter((o) => o.name === 'timestamp');
  const none = timestamp.find((o) => o.value === 'none');
  const addTimestamp: Fix = { title: 'Add --timestamp', edits: [{ range: at, newText: ' --timestamp' }] };
  // Both missing, as in most copied snippets: one fix adds both.
  const both: Fix[] =
    !runtime && timestamp.length === 0 && options.length === 0
      ? [
          {
            title: 'Add --options runtime --timestamp',
            edits: [{ range: at, newText: ' --options runtime --timestamp' }],
          },
        ]
      : [];
  if (!runtime) {
    out.push(
      diagnostic(
        'codesign/missing-runtime',
        'No --options runtime: notarization rejects executables without the hardened runtime.',
        inv.name.range,
        [runtimeFix(options, at), ...both],
      ),
    );
  }
  if (none) {
    out.push(
      diagnostic(
        'codesign/timestamp-none',
        '--timestamp=none leaves out the secure timestamp notarization requires (it has nothing to do with TCC or CI clocks).',
        none.word.range,
        [{ title: 'Use --timestamp', edits: [{ range: none.word.range, newText: '--timestamp' }] }],
      ),
    );
  } else if (timestamp.length === 0) {
    out.push(
      diagnostic(
        'codesign/missing-timestamp',
        'No --timestamp: without a secure timestamp notarization fails ("The signature does not include a secure timestamp.").',
        inv.name.range,
        [addTimestamp, ...both],
      ),
    );
  }
  return out;
}

function runtimeFix(options: Option[], at: Range): Fix {
  const existing = options.find((o) => o.valueWord && !o.valueWord.quoted && isLiteral(o.valueWord));
  if (existing?.valueWord) {
    return {
      title: 'Add runtime to --options',
      edits: [
        { range: { start: existing.valueWord.range.end, end: existing.valueWord.range.end }, newText: ',runtime' },
      ],
    };
  }
  return { title: 'Add --options runtime', edits: [{ range: at, newText: ' --options runtime' }] };
}

function lintEntitlementsOption(option: Option, ctx: SigningContext): LintDiagnostic[] {
  const word = option.valueWord ?? option.word;
  const value = option.value ?? '';
  if (!value || !isLiteral({ ...word, text: value })) return [];
  const probe = ctx.entitlements!(value);
  if (!probe) return [];
  if (!probe.exists)
    return [
      diagnostic(
        'codesign/entitlements-file',
        `${value}: no such file (looked for ${probe.file}); codesign will fail.`,
        word.range,
      ),
    ];
  if (probe.unusable)
    return [diagnostic('codesign/entitlements-file', `${value}: ${probe.unusable}; codesign will fail.`, word.range)];
  if (probe.errors > 0) return [entitlementsErrors(value, probe, word.range)];
  return [];
}

/** The diagnostic for an entitlements file with errors, pointing at that file as related information. */
export function entitlementsErrors(name: string, probe: EntitlementsProbe, range: Range): LintDiagnostic {
  const d = diagnostic(
    'codesign/entitlements-file',
    `${name} has ${probe.errors} error${probe.errors === 1 ? '' : 's'}: open it to see ${probe.errors === 1 ? 'it' : 'them'}.`,
    range,
  );
  d.related = [
    {
      file: probe.file,
      range: { start: 0, end: 0 },
      message: `${probe.errors} error${probe.errors === 1 ? '' : 's'} reported in this file`,
    },
  ];
  return d;
}

/** The paths a signing codesign command signs, for the modify-after-sign rule. */
export function signedTargets(inv: Invocation, key: (word: Word) => string = (w) => normalizePath(w.text)): string[] {
  const parsed = parseOptions(inv.args, CODESIGN);
  return isSigning(parsed) ? parsed.operands.map(key) : [];
}

export function normalizePath(p: string): string {
  return p.replace(/^\.\//, '').replace(/\/+$/, '');
}

const AUTH_METHODS: Record<string, string[]> = {
  'keychain profile': ['keychain-profile'],
  'API key': ['key', 'key-id', 'issuer'],
  'Apple ID': ['apple-id', 'password', 'team-id'],
};
/** Spellings from other tools that notarytool does not know. */
const FOREIGN: Record<string, string> = {
  'api-key': 'rcodesign',
  'api-issuer': 'rcodesign',
  'api-key-path': 'rcodesign',
  'api-key-file': 'rcodesign',
  username: 'altool',
  u: 'altool',
  'asc-provider': 'altool',
  'primary-bundle-id': 'altool',
  'notarize-app': 'altool',
};
const NEEDS_AUTH = new Set(['submit', 'wait', 'info', 'log', 'history']);

export function lintNotarytool(
  inv: Invocation,
  waitedLater: boolean,
  freshMachine = false,
  judge: Judge = literalJudge,
): LintDiagnostic[] {
  const parsed = parseOptions(inv.args, NOTARYTOOL);
  const sub = parsed.operands[0];
  if (!sub) return [];
  const out: LintDiagnostic[] = [];
  if (sub.text === 'submit') {
    const file = parsed.operands[1];
    const judged = file && judge(inv, file);
    const kind = judged && kindOf(judged);
    if (
      file &&
      judged &&
      (judged.text !== undefined || judged.made) &&
      kind !== 'zip' &&
      kind !== 'dmg' &&
      kind !== 'pkg'
    )
      out.push(explained(containerDiagnostic(inv, file, judged), judged));
    const waits = has(parsed, 'wait') || waitedLater;
    if (!waits) {
      out.push(
        diagnostic(
          'notarytool/no-wait',
          'The submission is never waited for: add --wait (and read `notarytool log` on failure), or a later step staples or ships before Apple answers.',
          sub.range,
          [
            {
              title: 'Add --wait',
              edits: [{ range: { start: sub.range.end, end: sub.range.end }, newText: ' --wait' }],
            },
          ],
        ),
      );
    }
  }
  if (NEEDS_AUTH.has(sub.text)) out.push(...lintAuth(parsed, sub));
  const profile = find(parsed, 'keychain-profile');
  if (freshMachine && profile && NEEDS_AUTH.has(sub.text)) {
    const d = diagnostic(
      'notarytool/auth',
      `A CI runner starts with an empty keychain: the profile ${profile.value ?? ''} does not exist unless this job runs \`notarytool store-credentials\` first, and keychain profiles cannot be exported. In CI, use an App Store Connect API key (--key, --key-id, --issuer) from the job's secrets.`,
      (profile.valueWord ?? profile.word).range,
    );
    d.severity = 'warning';
    out.push(d);
  }
  return out;
}

function containerDiagnostic(inv: Invocation, file: Word, judged: Judged): LintDiagnostic {
  const name = label(file, judged);
  const kind = kindOf(judged);
  if (kind === 'tarball') {
    return diagnostic(
      'notarytool/unsupported-container',
      `${name}: notarytool accepts only .zip, .dmg and .pkg; make a zip with ditto instead of a tarball.`,
      file.range,
    );
  }
  const path = judged.text;
  const zipIt =
    path !== undefined
      ? `Zip it with \`ditto -c -k --keepParent ${path} ${path.replace(/\/+$/, '')}.zip\`.`
      : 'Zip it first with `ditto -c -k --keepParent`.';
  if (judged.made) {
    return diagnostic(
      'notarytool/unsupported-container',
      `${name} holds ${KIND_WORDS[judged.made.kind]} (made by ${judged.made.by}): notarytool submit accepts only .zip, .dmg and .pkg, and refuses a bare binary. ${zipIt}`,
      file.range,
    );
  }
  const what =
    kind === 'app' ? 'an .app folder must be zipped (or put in a .dmg or .pkg) first' : 'a bare binary is refused';
  const fixes: Fix[] = [];
  if (name === file.text && !file.quoted && /^[\w./@+-]+$/.test(name)) {
    const zip = `${name.replace(/\/+$/, '')}.zip`;
    fixes.push({
      title: `Zip with ditto and submit ${zip}`,
      edits: [
        {
          range: { start: inv.range.start, end: inv.range.start },
          newText: `ditto -c -k --keepParent ${name} ${zip} && `,
        },
        { range: file.range, newText: zip },
      ],
    });
  }
  return diagnostic(
    'notarytool/unsupported-container',
    `${name}: notarytool submit accepts only .zip, .dmg and .pkg; ${what}. ${zipIt}`,
    file.range,
    fixes.length > 0 ? fixes : undefined,
  );
}

function lintAuth(parsed: ReturnType<typeof parseOptions>, sub: Word): LintDiagnostic[] {
  const out: LintDiagnostic[] = [];
  for (const o of parsed.options) {
    const tool = FOREIGN[o.name];
    if (tool)
      out.push(
        diagnostic(
          'notarytool/auth',
          `${o.word.text} is ${tool}'s option; notarytool does not know it. Use --key/--key-id/--issuer, --apple-id/--team-id/--password or --keychain-profile.`,
          o.word.range,
        ),
      );
  }
  const used = Object.entries(AUTH_METHODS).filter(([, names]) => names.some((n) => has(parsed, n)));
  if (used.length === 0) {
    out.push(
      diagnostic(
        'notarytool/auth',
        `notarytool ${sub.text} has no credentials: it reads none from the environment. Add --keychain-profile NAME, or --key/--key-id/--issuer, or --apple-id/--team-id/--password.`,
        sub.range,
      ),
    );
  } else if (used.length > 1) {
    out.push(
      diagnostic(
        'notarytool/auth',
        `Credentials for several methods are mixed (${used.map(([m]) => m).join(', ')}); notarytool takes exactly one.`,
        sub.range,
      ),
    );
  } else {
    const [method] = used[0];
    const missing =
      method === 'API key'
        ? ['key', 'key-id'].filter((n) => !has(parsed, n))
        : method === 'Apple ID'
          ? ['apple-id', 'team-id', 'password'].filter((n) => !has(parsed, n))
          : [];
    if (missing.length > 0)
      out.push(
        diagnostic(
          'notarytool/auth',
          `The ${method} method also needs ${missing.map((n) => `--${n}`).join(' and ')}.`,
          sub.range,
        ),
      );
  }
  const password = find(parsed, 'password');
  if (
    password?.value &&
    isLiteral({ ...(password.valueWord ?? password.word), text: password.value }) &&
    !password.value.startsWith('@')
  ) {
    out.push(
      diagnostic(
        'notarytool/auth',
        'The app-specific password is written in the command line, where logs and process lists show it: read it from a secret environment variable, or use a keychain profile.',
        (password.valueWord ?? password.word).range,
      ),
    );
  }
  return out;
}

export function lintStapler(inv: Invocation, judge: Judge = literalJudge): LintDiagnostic[] {
  const [sub, ...rest] = inv.args.filter((w) => !w.text.startsWith('-'));
  if (!sub || sub.text !== 'staple') return [];
  return rest.flatMap((t) => {
    const judged = judge(inv, t);
    if (!judged) return [];
    const kind = kindOf(judged);
    if (kind === 'app' || kind === 'dmg' || kind === 'pkg' || (kind === undefined && judged.text === undefined))
      return [];
    const name = label(t, judged);
    const made = judged.made ? ` holds ${KIND_WORDS[judged.made.kind]} (made by ${judged.made.by})` : '';
    const message =
      kind === 'zip'
        ? `${name}${made}: a ticket cannot be stapled to a zip; staple the .app inside it, then zip again (or ship the zip unstapled: Gatekeeper checks online).`
        : `${name}${made}: stapler only works on .app bundles, .dmg and .pkg (a bare binary fails with Error 73). A notarized command-line tool is checked online by Gatekeeper; for offline installs, ship it in a notarized, stapled .pkg or .dmg.`;
    return [explained(diagnostic('stapler/unsupported-target', message, t.range), judged)];
  });
}

export function lintSpctl(inv: Invocation, judge: Judge = literalJudge): LintDiagnostic[] {
  const assess = inv.args.some(
    (w) => w.text === '--assess' || w.text === '-a' || /^-a[a-z]*$/.test(w.text) || w.text === '--assess',
  );
  if (!assess) return [];
  const typeIndex = inv.args.findIndex((w) => w.text === '--type' || w.text === '-t');
  const type = typeIndex >= 0 ? inv.args[typeIndex + 1]?.text : undefined;
  if (type && type !== 'execute' && type !== 'exec') return [];
  const operands = inv.args.filter(
    (w, i) => !w.text.startsWith('-') && i !== typeIndex + 1 && !/^(execute|exec|install|open)$/.test(w.text),
  );
  return operands.flatMap((t) => {
    const judged = judge(inv, t);
    if (!judged) return [];
    // Judged by what the path holds: a bare Mach-O, or by name anything that is not an app, disk image or package.
    const kind = kindOf(judged);
    if (
      judged.made ? kind !== 'macho' : judged.text === undefined || kind === 'app' || kind === 'dmg' || kind === 'pkg'
    )
      return [];
    const path = judged.text ?? t.text;
    const name = label(t, judged);
    const made = judged.made ? ` (${name} holds ${KIND_WORDS[judged.made.kind]}, made by ${judged.made.by})` : '';
    return [
      explained(
        diagnostic(
          'spctl/bare-cli',
          `spctl --assess rejects every command-line tool ("does not seem to be an app"), notarized or not${made}. Check ${path} with \`codesign --verify --strict --verbose=2 ${path}\` and its notarization with the notary log's ticketContents.`,
          t.range,
        ),
        judged,
      ),
    ];
  });
}

export function lintAltool(inv: Invocation): LintDiagnostic[] {
  const notarizing = inv.args.find((w) =>
    ['--notarize-app', '--notarization-info', '--notarization-history', '--upload-app'].includes(w.text),
  );
  if (!notarizing) return [];
  return [
    diagnostic(
      'notarytool/altool',
      `altool ${notarizing.text}: the notary service has refused altool uploads since November 1, 2023; use \`xcrun notarytool submit FILE --wait\`.`,
      inv.name.range,
    ),
  ];
}

/** Tools that rewrite a Mach-O file in place (or, for lipo, build a new one from signed inputs). */
const MODIFIERS = new Set(['strip', 'upx', 'install_name_tool', 'lipo', 'vtool', 'bitcode_strip']);

/** The files an invocation modifies or produces, if it is one of the modifying tools. */
export function modifiedPaths(inv: Invocation): Word[] {
  if (!MODIFIERS.has(inv.tool)) return [];
  const words = inv.args;
  if (inv.tool === 'lipo') {
    if (words.some((w) => ['-info', '-archs', '-detailed_info', '-verify_arch'].includes(w.text))) return [];
    return words.filter(
      (w, i) =>
        !w.text.startsWith('-') &&
        !['-arch', '-thin', '-extract', '-remove', '-replace'].includes(words[i - 1]?.text ?? ''),
    );
  }
  if (inv.tool === 'install_name_tool') return words.length > 0 ? [words[words.length - 1]] : [];
  return words.filter((w, i) => !w.text.startsWith('-') && !['-o', '-s', '-R'].includes(words[i - 1]?.text ?? ''));
}

/** Whether the command stores a keychain profile for later notarytool calls. */
export function storesCredentials(inv: Invocation): boolean {
  return inv.tool === 'notarytool' && parseOptions(inv.args, NOTARYTOOL).operands[0]?.text === 'store-credentials';
}

/** Whether a subcommand follows up on a submission (waits for it or reads its result). */
export function followsUp(inv: Invocation): boolean {
  return (
    inv.tool === 'notarytool' &&
    ['wait', 'info', 'log'].includes(parseOptions(inv.args, NOTARYTOOL).operands[0]?.text ?? '')
  );
}

/** Whether the file submits anything for notarization, which makes its signatures release signatures. */
export function submits(inv: Invocation): boolean {
  if (inv.tool === 'notarytool') return parseOptions(inv.args, NOTARYTOOL).operands[0]?.text === 'submit';
  return inv.tool === 'altool' && inv.args.some((w) => w.text === '--notarize-app' || w.text === '--upload-app');
}

export function modifyAfterSign(
  inv: Invocation,
  signedBefore: (path: string) => boolean,
  signedAfter: (path: string) => boolean,
  key: (word: Word) => string = (w) => normalizePath(w.text),
): LintDiagnostic[] {
  const signed = (w: Word) => signedBefore(key(w));
  let touched = modifiedPaths(inv).filter(signed);
  if (inv.tool === 'lipo') {
    // Combining signed slices is harmless if the result is signed afterwards, as Apple's order (lipo, then sign) wants.
    const output = inv.args[inv.args.findIndex((w) => w.text === '-output' || w.text === '-o') + 1];
    if (output && signedAfter(key(output))) touched = [];
  } else touched = touched.filter((w) => !signedAfter(key(w)));
  return touched.map((w) =>
    diagnostic(
      'build/modify-after-sign',
      `${inv.tool} changes ${w.text} after it was signed, which breaks the signature ("The signature of the binary is invalid."); run ${inv.tool} first, then sign.`,
      w.range,
    ),
  );
}
