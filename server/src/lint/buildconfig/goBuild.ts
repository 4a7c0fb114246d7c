/**
 * Rules for a Go build: its environment (GOOS, GOARCH, CGO_ENABLED), its flags and its linker flags. A build comes
 * from a `go build` command line or from a GoReleaser `builds` entry; both are reduced to the same `GoBuild`.
 */
import { diagnostic, Fix, LintDiagnostic, Range } from '../diagnostic';
import { isLiteral, isLiteralText } from './commands';
import { LinkerFlag, parseLdflags, VALID_HEADTYPES } from './ldflags';
import { GO_BUILD, parseOptions } from './options';
import { assignment, Word } from './shell';
import { withBlankBefore } from '../edits';

export interface GoBuild {
  /** Where to report problems that belong to the whole build (the command, or the GoReleaser entry). */
  range: Range;
  /** GOOS, GOARCH and CGO_ENABLED as written; several values when a GoReleaser build lists them. */
  goos: Word[];
  goarch: Word[];
  cgo?: Word;
  /** Each `-ldflags` value (GoReleaser: each `ldflags` entry). */
  ldflags: Word[];
  buildmode?: Word;
  /** The whole `-buildmode=...` (or `-buildmode`) word, when it is one word a fix can remove. */
  buildmodeOption?: Word;
  /** Flags that force external linking (`-race`, `-msan`, `-asan`). */
  externalFlags: Word[];
  packages: Word[];
  output?: Word;
}

/** What the linter may ask of the workspace: whether `name` is a string variable of a package. */
export type VariableLookup = (
  importPath: string,
  name: string,
  packages: string[],
) => 'string' | 'not-string' | 'missing' | undefined;

/** The build a `go build` / `go install` command line describes. */
export function fromCommand(args: Word[], env: Map<string, Word>, range: Range): GoBuild {
  const parsed = parseOptions(args, GO_BUILD);
  const build: GoBuild = { range, goos: [], goarch: [], ldflags: [], externalFlags: [], packages: parsed.operands };
  const goos = env.get('GOOS');
  const goarch = env.get('GOARCH');
  if (goos) build.goos.push(goos);
  if (goarch) build.goarch.push(goarch);
  build.cgo = env.get('CGO_ENABLED');
  for (const option of parsed.options) {
    const valueWord = option.valueWord ?? (option.value !== undefined ? afterEquals(option.word) : undefined);
    if (option.name === 'ldflags' && valueWord) build.ldflags.push(valueWord);
    else if (option.name === 'buildmode' && valueWord) {
      build.buildmode = valueWord;
      if (!option.valueWord) build.buildmodeOption = option.word;
    } else if (option.name === 'o' && valueWord) build.output = valueWord;
    else if (['race', 'msan', 'asan'].includes(option.name)) build.externalFlags.push(option.word);
  }
  return build;
}

/** The part of `-flag=value` after `=`, as a word of its own. */
export function afterEquals(word: Word): Word {
  return assignment(word, word.text.indexOf('=')).value;
}

const EXTERNAL_BUILDMODES = new Set(['c-shared', 'c-archive', 'plugin']);

/** Removes a flag from inside a word, with the blank before it, when the word is written plainly enough to edit. */
function removeFlagFix(title: string, word: Word, flag: LinkerFlag, text: string): Fix[] {
  const { start } = withBlankBefore(flag.range, text, word.range.start);
  if (start === word.range.start || /['"]/.test(text[start - 1]) || text[start - 1] === '=') {
    // First flag: take the blank after it instead.
    let end = flag.range.end;
    while (end < word.range.end && (text[end] === ' ' || text[end] === '\t')) end++;
    return [{ title, edits: [{ range: { start: flag.range.start, end }, newText: '' }] }];
  }
  return [{ title, edits: [{ range: { start, end: flag.range.end }, newText: '' }] }];
}

export function lintGoBuild(build: GoBuild, text: string, lookup?: VariableLookup): LintDiagnostic[] {
  const out: LintDiagnostic[] = [];
  const darwin = build.goos.some((w) => w.text === 'darwin');
  const cgoOff = build.cgo?.text === '0';
  const arm64 = build.goarch.some((w) => w.text === 'arm64');

  if (darwin) {
    for (const arch of build.goarch) {
      if (isLiteral(arch) && arch.text !== '' && arch.text !== 'arm64' && arch.text !== 'amd64') {
        out.push(
          diagnostic(
            'build/unsupported-goarch',
            `GOARCH=${arch.text} has no darwin port: Go builds macOS programs for arm64 and amd64 only; make a universal binary with lipo afterwards.`,
            arch.range,
          ),
        );
      }
    }
  }

  const flags = build.ldflags.flatMap((word) => parseLdflags(word).map((flag) => ({ word, flag })));
  const linkmode = flags.find(({ flag }) => flag.name === 'linkmode')?.flag;
  const buildmode = build.buildmode?.text ?? flags.find(({ flag }) => flag.name === 'buildmode')?.flag.value;

  for (const { word, flag } of flags) {
    if (flag.name === 'H') {
      const value = flag.value ?? '';
      if (!VALID_HEADTYPES.has(value)) {
        out.push(
          diagnostic(
            'ldflags/invalid-headtype',
            `-H=${value} is not a header type the Go linker knows ("invalid headtype"); GOOS=darwin already selects the Mach-O header, so leave -H out.`,
            flag.range,
            removeFlagFix(`Remove -H=${value}`, word, flag, text),
          ),
        );
      }
    } else if (flag.name === 'sectcreate') {
      out.push(
        diagnostic(
          'ldflags/sectcreate',
          '-sectcreate is an option of Apple\'s ld64, not of the Go linker, which stops with "flag provided but not defined". Entitlements come from codesign --entitlements, not from a __TEXT section.',
          flag.range,
        ),
      );
    } else if (flag.name === 'buildmode') {
      out.push(
        diagnostic(
          'ldflags/buildmode-in-ldflags',
          `-buildmode=${flag.value ?? ''} inside -ldflags reaches only the linker; pass it to go build itself, or leave it out.`,
          flag.range,
        ),
      );
    } else if (flag.name === 'X') {
      out.push(...lintX(flag, build, lookup));
    } else if (flag.name === 'extldflags' && cgoOff && linkmode?.value !== 'external') {
      out.push(
        diagnostic(
          'build/extldflags-internal-link',
          '-extldflags is passed to the host linker, which Go never runs with CGO_ENABLED=0: these flags are silently ignored.',
          flag.range,
        ),
      );
    }
  }

  if (cgoOff) {
    const needsExternal: { range: Range; what: string }[] = [];
    if (linkmode?.value === 'external') needsExternal.push({ range: linkmode.range, what: '-linkmode=external' });
    if (buildmode && EXTERNAL_BUILDMODES.has(buildmode))
      needsExternal.push({ range: build.buildmode?.range ?? build.range, what: `-buildmode=${buildmode}` });
    for (const w of build.externalFlags) needsExternal.push({ range: w.range, what: w.text });
    for (const n of needsExternal) {
      out.push(
        diagnostic(
          'build/external-link-without-cgo',
          `${n.what} needs external linking, but CGO_ENABLED=0: go build fails with "requires external (cgo) linking, but cgo is not enabled".`,
          n.range,
        ),
      );
    }
  }

  if (darwin && arm64 && build.buildmode?.text === 'exe') {
    const option = build.buildmodeOption;
    const fixes =
      option && !option.quoted
        ? [{ title: 'Remove -buildmode=exe', edits: [{ range: withBlankBefore(option.range, text), newText: '' }] }]
        : undefined;
    out.push(
      diagnostic(
        'build/buildmode-exe-noop',
        'On darwin/arm64 the linker turns -buildmode=exe into pie (everything is PIE there): the flag changes nothing and does not help signing.',
        option?.range ?? build.buildmode.range,
        fixes,
      ),
    );
  }
  return out;
}

function lintX(flag: LinkerFlag, build: GoBuild, lookup?: VariableLookup): LintDiagnostic[] {
  const value = flag.value ?? '';
  const eq = value.indexOf('=');
  const target = eq < 0 ? value : value.slice(0, eq);
  const dot = target.lastIndexOf('.');
  const range = flag.valueRange ?? flag.range;
  if (eq < 0 || dot <= 0) {
    return [
      diagnostic(
        'ldflags/x-not-a-switch',
        `-X ${value} is not of the form importpath.name=value: -X only assigns a string variable, and this one is ignored or breaks the build.`,
        range,
      ),
    ];
  }
  if (!lookup || !isLiteralText(target)) return [];
  const importPath = target.slice(0, dot);
  const name = target.slice(dot + 1);
  const kind = lookup(
    importPath,
    name,
    build.packages.map((p) => p.text),
  );
  if (kind === 'missing') {
    return [
      diagnostic(
        'ldflags/x-not-a-switch',
        `${importPath} declares no variable ${name}, so -X ${target}=… does nothing: -X only assigns existing string variables, it is not a linker switch.`,
        range,
      ),
    ];
  }
  if (kind === 'not-string') {
    return [
      diagnostic(
        'ldflags/x-not-a-switch',
        `${importPath}.${name} is not a string variable initialized with a constant (or not at all), so -X leaves it unchanged.`,
        range,
      ),
    ];
  }
  return [];
}
