/**
 * What Go build flags, Go linker flags and Apple's signing options really do, in our words: the text of hovers in
 * build files. One entry per option; facts follow the Go toolchain's source and documentation and Apple's man pages.
 */

export interface FlagDoc {
  /** How the flag is written, for the hover title. */
  syntax: string;
  text: string;
}

/** Go linker flags (inside -ldflags). */
export const LINKER_FLAGS: Record<string, FlagDoc> = {
  s: {
    syntax: '-s',
    text: 'Leaves out the symbol table (and, since Go 1.22, DWARF too, unless `-w=0`). Makes the binary smaller; it does not affect signing or notarization.',
  },
  w: {
    syntax: '-w',
    text: 'Leaves out DWARF debug information. Smaller binary, harder debugging; no effect on signing or notarization.',
  },
  X: {
    syntax: '-X importpath.name=value',
    text: 'Sets a package-level **string variable** at link time, typically a version (`-X main.version=1.2.3`). It works only if the variable exists, is a string, and is uninitialized or set to a constant string; otherwise it silently does nothing. It is not a switch for linker behaviour.',
  },
  H: {
    syntax: '-H type',
    text: 'Forces the object header type (`darwin`, `linux`, `windows`...). The linker already picks it from GOOS; there is no `macOS` type, and `-H=macOS` stops the link with "invalid headtype".',
  },
  buildmode: {
    syntax: '-buildmode mode',
    text: "The linker's view of the build mode. Set it on `go build` instead, where the go command tells compiler and linker together; on darwin/arm64 `exe` is PIE anyway.",
  },
  linkmode: {
    syntax: '-linkmode internal|external|auto',
    text: '`internal`: the Go linker writes the Mach-O itself (and ad-hoc signs arm64 output). `external`: it hands objects to the host linker (clang/ld64), which needs cgo and a macOS SDK; Go re-signs arm64 output afterwards.',
  },
  extldflags: {
    syntax: "-extldflags 'flags'",
    text: 'Flags for the host linker, used only with external linking (cgo). With CGO_ENABLED=0 they are ignored. Use `-Wl,` forms for ld64 options, e.g. `-Wl,-sectcreate,__TEXT,__info_plist,Info.plist`. They cannot add entitlements.',
  },
  extld: {
    syntax: '-extld linker',
    text: 'Which host linker to run for external linking (default: the C compiler, CC).',
  },
  buildid: {
    syntax: '-buildid id',
    text: 'Sets the Go build ID recorded in the binary; used for reproducible builds and caching, unrelated to the code signature.',
  },
  sectcreate: {
    syntax: '-sectcreate',
    text: "Not a Go linker flag: it belongs to Apple's ld64. The Go linker rejects it. It only reaches ld64 through `-extldflags` under external linking, and a `__TEXT` section never grants entitlements.",
  },
  r: { syntax: '-r path', text: 'Sets the ELF dynamic linker search path; meaningless for Mach-O.' },
};

/** go build flags. */
export const GO_BUILD_FLAGS: Record<string, FlagDoc> = {
  ldflags: {
    syntax: "-ldflags 'flags'",
    text: 'Flags for the Go linker, split on spaces with quotes grouping. Repeating -ldflags replaces the earlier value for the same packages; put every linker flag in one string.',
  },
  buildmode: {
    syntax: '-buildmode mode',
    text: '`exe` (default) builds a program. On darwin/arm64 every executable is PIE, so `exe` and `pie` are the same. `c-shared`, `c-archive` and `plugin` build libraries and need cgo.',
  },
  trimpath: {
    syntax: '-trimpath',
    text: 'Removes file-system paths from the binary, for reproducible builds. No effect on signing.',
  },
  o: {
    syntax: '-o file',
    text: 'Where to write the program. Sign that file after the last step that modifies it (lipo, strip).',
  },
  tags: { syntax: '-tags list', text: 'Build constraints to satisfy, comma-separated.' },
  race: {
    syntax: '-race',
    text: 'Builds with the race detector, which needs cgo and external linking; not for release builds.',
  },
  gcflags: { syntax: '-gcflags flags', text: 'Flags for the Go compiler.' },
  mod: {
    syntax: '-mod readonly|vendor|mod',
    text: 'How the go command may use go.mod: `readonly` refuses to change it, `vendor` builds from vendor/.',
  },
  a: { syntax: '-a', text: 'Rebuilds every package, ignoring the build cache.' },
};

/** codesign options, by canonical long name. */
export const CODESIGN_OPTIONS: Record<string, FlagDoc> = {
  sign: {
    syntax: '-s, --sign identity',
    text: 'Signs with this identity: a certificate name (matched as a substring, e.g. "Developer ID Application: Name (TEAMID)"), its SHA-1 hash, or `-` for an ad-hoc signature. Only Developer ID Application signatures can be notarized.',
  },
  force: {
    syntax: '-f, --force',
    text: 'Replaces an existing signature. Needed for Go darwin/arm64 output, which the Go linker already signs ad hoc.',
  },
  options: {
    syntax: '-o, --options flags',
    text: 'Code-signing flags, comma-separated. `runtime` turns on the hardened runtime, which notarization requires for every executable.',
  },
  timestamp: {
    syntax: '--timestamp[=URL|none]',
    text: "Asks Apple's timestamp server for a secure timestamp, which notarization requires. `--timestamp=none` leaves it out: only for ad-hoc or development signing.",
  },
  deep: {
    syntax: '--deep',
    text: 'For signing, deprecated since macOS 13: it applies the same options, entitlements included, to all nested code. Sign nested code separately, inside out. For `--verify` it is fine.',
  },
  entitlements: {
    syntax: '--entitlements file',
    text: 'Embeds the entitlements in this plist into the signature (XML, LF endings, no comments). Only for executables; a Go program usually needs none.',
  },
  identifier: {
    syntax: '-i, --identifier id',
    text: "The code identifier recorded in the signature; give a bare tool a stable reverse-DNS name (Go's linker writes `a.out`).",
  },
  verify: {
    syntax: '-v, --verify',
    text: 'Checks a signature instead of making one. With `--strict` it applies the checks notarization uses.',
  },
  display: {
    syntax: '-d, --display',
    text: 'Prints signature information (with `-vvv`: identifier, flags, authorities, timestamp, CDHash). It does not validate.',
  },
  strict: { syntax: '--strict', text: 'With --verify, the stricter checks notarization applies.' },
  'preserve-metadata': {
    syntax: '--preserve-metadata=list',
    text: 'When re-signing, keeps the identifier, entitlements, requirements... of the old signature.',
  },
  keychain: {
    syntax: '--keychain path',
    text: 'Looks for the identity only in this keychain (a temporary CI keychain, for example).',
  },
};

/** notarytool subcommands and options. */
export const NOTARYTOOL_OPTIONS: Record<string, FlagDoc> = {
  submit: {
    syntax: 'notarytool submit file',
    text: "Uploads a .zip, .dmg or .pkg to Apple's notary service. A bare binary must be zipped first (`ditto -c -k --keepParent`).",
  },
  wait: {
    syntax: '--wait / notarytool wait id',
    text: 'Waits until Apple has a verdict (Accepted, Invalid or Rejected); combine with `--timeout`.',
  },
  log: {
    syntax: 'notarytool log id [file]',
    text: 'Fetches the developer log: the issues found, and on success the notarized cdhashes (ticketContents).',
  },
  info: { syntax: 'notarytool info id', text: 'The status of one submission.' },
  history: { syntax: 'notarytool history', text: 'Recent submissions of the team.' },
  'store-credentials': {
    syntax: 'notarytool store-credentials name',
    text: 'Saves credentials in the keychain as a profile for `--keychain-profile`. Profiles cannot be exported; CI machines usually use an API key instead.',
  },
  'keychain-profile': {
    syntax: '-p, --keychain-profile name',
    text: 'Authenticates with a profile saved by `store-credentials` on this machine.',
  },
  key: {
    syntax: '-k, --key path',
    text: 'App Store Connect API key file (AuthKey_XXXX.p8); with --key-id, and --issuer for team keys.',
  },
  'key-id': { syntax: '-d, --key-id id', text: "The API key's id." },
  issuer: {
    syntax: '-i, --issuer uuid',
    text: "The API key's issuer; required for team keys, omitted for individual keys.",
  },
  'apple-id': {
    syntax: '--apple-id email',
    text: 'Apple ID authentication, with --team-id and an app-specific --password.',
  },
  password: {
    syntax: '--password pw',
    text: 'An app-specific password. Never write it in a script: read it from a secret variable, or use a keychain profile.',
  },
  'team-id': { syntax: '--team-id id', text: 'The developer team for Apple ID authentication.' },
  timeout: { syntax: '--timeout duration', text: 'How long --wait may wait (e.g. 30m).' },
  'output-format': { syntax: '-f, --output-format json', text: 'Machine-readable notarytool output.' },
};

export const STAPLER_OPTIONS: Record<string, FlagDoc> = {
  staple: {
    syntax: 'stapler staple file',
    text: 'Attaches the notarization ticket to an .app, .dmg or .pkg so Gatekeeper can check it offline. Bare binaries and zips cannot be stapled.',
  },
  validate: { syntax: 'stapler validate file', text: 'Checks that a stapled ticket is present and valid.' },
};
