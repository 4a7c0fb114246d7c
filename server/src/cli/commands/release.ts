/**
 * The release-pipeline commands: build, universal, sign, package, notarize, staple, release and submissions. Each entry
 * names the options it reads; cli/pipeline.ts runs the step. Each prints every command it runs; --json prints one JSON
 * document on stdout (tool output goes to stderr); exit 1 on a failed step, 2 on a usage or input error.
 */
import type { OptionSpec, ParsedArgs, CliIO, Command } from '../command';
import type { PipelineCommand } from '../pipeline';

const JSON_OUTPUT: OptionSpec = {
  flag: '--json',
  help: 'machine-readable output on stdout (commands and tool output go to stderr)',
};
const TOOL: OptionSpec = {
  flag: '--tool',
  value: 'NAME=PATH',
  help: 'names a tool instead of finding it on PATH (notarytool and stapler run through xcrun)',
};

const BUILD: OptionSpec[] = [
  { flag: '--package', value: 'PKG', help: 'the Go package to build (default: the path argument, or .)' },
  { flag: '--out', value: 'DIR', help: 'output directory (default: dist)' },
  { flag: '--name', value: 'NAME', help: "the program's name (default: the package directory's name)" },
  { flag: '--arch', value: 'LIST', help: 'darwin targets: arm64,amd64 (default: both)' },
  { flag: '--ldflags', value: 'F', help: 'passed to go build -ldflags' },
  { flag: '--cgo', value: '0|1', help: 'CGO_ENABLED' },
  { flag: '--no-trimpath', help: 'build without -trimpath' },
];
const IDENTITY: OptionSpec = {
  flag: '--identity',
  value: 'NAME',
  help: '"Developer ID Application: NAME (TEAMID)" (default: $GO_MACOS_SIGN_IDENTITY)',
};
const IDENTITY_FILES: OptionSpec[] = [
  {
    flag: '--p12',
    value: 'FILE',
    help: 'a .p12 identity for the builtin signer (password: $GO_MACOS_SIGN_P12_PASSWORD)',
  },
  { flag: '--cert', value: 'FILE', help: 'the PEM certificate, with the PEM private key (builtin signer)' },
  { flag: '--chain', value: 'FILE', help: "PEM certificates above --cert (default: Apple's Developer ID chain)" },
  { flag: '--adhoc', help: 'sign ad hoc (no identity: runs on this Mac only, cannot be notarized)' },
];
/** The options every signing command shares; the PEM key's flag differs (`release` has --key for the notary). */
const SIGNING: OptionSpec[] = [
  { flag: '--via', value: 'builtin|codesign', help: 'the signer (default: codesign on macOS, builtin elsewhere)' },
  { flag: '--identifier', value: 'ID', help: 'the code signing identifier (default: the file name, or the bundle id)' },
  { flag: '--entitlements', value: 'FILE', help: 'entitlements to sign the main executable with' },
  { flag: '--no-runtime', help: 'without the hardened runtime (notarization requires it)' },
  {
    flag: '--no-timestamp',
    help: 'without a secure timestamp (notarization requires it; TSA: $GO_MACOS_SIGN_TSA_URL)',
  },
];
const SIGN: OptionSpec[] = [
  IDENTITY,
  ...IDENTITY_FILES,
  { flag: '--key', value: 'FILE', help: 'the PEM private key of --cert (builtin signer)' },
  ...SIGNING,
];
const RELEASE_SIGN: OptionSpec[] = [
  IDENTITY,
  ...IDENTITY_FILES,
  { flag: '--cert-key', value: 'FILE', help: 'the PEM private key of --cert (builtin signer)' },
  ...SIGNING,
];
const NOTARIZE: OptionSpec[] = [
  {
    flag: '--keychain-profile',
    value: 'NAME',
    help: 'credentials stored with `xcrun notarytool store-credentials NAME`',
  },
  { flag: '--keychain', value: 'FILE', help: 'the keychain holding that profile' },
  {
    flag: '--key',
    value: 'FILE',
    help: 'an App Store Connect API key, AuthKey_ID.p8 (or its contents in $GO_MACOS_SIGN_NOTARY_KEY)',
  },
  { flag: '--key-id', value: 'ID', help: "the API key's id" },
  { flag: '--issuer', value: 'UUID', help: "the API key's issuer (team keys)" },
  { flag: '--timeout', value: 'T', help: 'how long to wait for Apple (default: 30m)' },
  {
    flag: '--force',
    help: 'submit even when the pre-flight finds what Apple certainly rejects (it says what it ignores)',
  },
];

/** One pipeline command as a table entry: its options, then the shared --json and --tool. */
function step(name: PipelineCommand, summary: string, usage: string, options: OptionSpec[]): Command {
  return {
    name,
    group: 'release',
    summary,
    usage,
    options: [...options, JSON_OUTPUT, TOOL],
    run: (args: ParsedArgs, io: CliIO) => {
      // Loaded when a step runs, so that the CLI's start-up for other commands does not pay for the pipeline.
      const { runPipeline } = require('../pipeline') as typeof import('../pipeline');
      // Ctrl-C or a cancelled VS Code task stops the running tool; a submitted notarization stays saved for a resume.
      const cancel = new AbortController();
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => cancel.abort());
      return runPipeline(
        { command: name, ...args },
        { out: io.write, err: io.writeErr, signal: cancel.signal, env: io.env, onMac: io.onMac },
      );
    },
  };
}

export const RELEASE_COMMANDS: Command[] = [
  step('build', 'go build for each --arch (GOOS=darwin) into --out', '[options] [PKG]', BUILD),
  step(
    'universal',
    'one universal binary from the thin ones (builtin, or lipo -create)',
    '--output FILE [options] THIN...',
    [
      { flag: '--output', alias: '-o', value: 'FILE', help: 'the universal binary to write' },
      {
        flag: '--via',
        value: 'builtin|lipo',
        help: 'the writer: lipo (or llvm-lipo; the default) or builtin (no tool needed)',
      },
    ],
  ),
  step(
    'sign',
    'sign with hardened runtime and secure timestamp, nested code first in an .app: the builtin signer\n(--p12 FILE | --key KEY.pem --cert CERT.pem | --adhoc) on any OS, or codesign (--identity NAME) on macOS',
    '(--p12 FILE | --key KEY.pem --cert CERT.pem | --adhoc | --identity NAME) [options] ARTIFACT...',
    SIGN,
  ),
  step(
    'package',
    'wrap an artifact for distribution: zip, dmg or pkg (pkg: --installer-identity "Developer ID Installer: ...")',
    '[options] ARTIFACT',
    [
      { flag: '--format', value: 'zip|dmg|pkg', help: 'the container (default: zip)' },
      { flag: '--installer-identity', value: 'NAME', help: '"Developer ID Installer: NAME (TEAMID)" for a pkg' },
      { ...IDENTITY, help: 'signs a dmg (default: $GO_MACOS_SIGN_IDENTITY)' },
      { flag: '--identifier', value: 'ID', help: "a pkg's identifier" },
      { flag: '--version', value: 'V', help: "a pkg's version" },
      { flag: '--install-location', value: 'DIR', help: 'where a pkg installs' },
    ],
  ),
  step(
    'notarize',
    'pre-flight (exit 1 before any upload on what Apple certainly rejects, unless --force), zip if needed, submit,\nwait, log; resumes a saved submission of the same archive:\n--keychain-profile NAME | --key FILE --key-id ID [--issuer UUID] [--timeout 30m]',
    '[options] ARTIFACT',
    [
      ...NOTARIZE,
      {
        flag: '--via',
        value: 'api|notarytool',
        help: 'notarytool, or the Notary REST API (an API key, any OS; the default where xcrun does not run)',
      },
    ],
  ),
  step(
    'staple',
    'attach the ticket to an .app, .dmg or .pkg: the builtin stapler, or stapler on macOS (a bare binary cannot carry one)',
    '[options] ARTIFACT',
    [
      {
        flag: '--via',
        value: 'builtin|stapler',
        help: 'the stapler (default: stapler where xcrun runs, builtin elsewhere)',
      },
    ],
  ),
  step(
    'release',
    'build, universal, sign, notarize, staple, verify; --artifact PATH starts from a binary or .app built\nelsewhere (signed only when an identity is given)',
    '[options] [PKG]',
    [
      ...BUILD,
      ...RELEASE_SIGN,
      ...NOTARIZE,
      {
        flag: '--artifact',
        value: 'PATH',
        help: 'a binary or .app built elsewhere: no build; signed only when an identity is given',
      },
    ],
  ),
  step(
    'submissions',
    'the saved notarization submissions (an interrupted wait resumes on the next notarize)',
    '[options]',
    [],
  ),
];
