/**
 * Rules for build and release configuration (Makefiles, shell scripts, GoReleaser, GitHub workflows, VS Code tasks)
 * and for go.mod. Most cite their own sources: the Go toolchain and Apple's command-line tools.
 */
import { DISTRIBUTION_SIGNED, NOTARIZING, RESOLVING } from './sources';
import type { Rule, RuleSource } from './types';

const GO_LINK: RuleSource = { label: 'Go: cmd/link documentation', url: 'https://pkg.go.dev/cmd/link' };
const GO_HEAD: RuleSource = {
  label: 'Go source: cmd/internal/objabi/head.go (HeadType.Set)',
  url: 'https://github.com/golang/go/blob/master/src/cmd/internal/objabi/head.go',
};
const GO_CONFIG: RuleSource = {
  label: 'Go source: cmd/link/internal/ld/config.go (on darwin/arm64 "everything is PIE")',
  url: 'https://github.com/golang/go/blob/master/src/cmd/link/internal/ld/config.go',
};
const GO_LOAD: RuleSource = {
  label: 'Go source: cmd/go/internal/load/pkg.go ("requires external (cgo) linking, but cgo is not enabled")',
  url: 'https://github.com/golang/go/blob/master/src/cmd/go/internal/load/pkg.go',
};
const GO_CGO: RuleSource = {
  label: 'Go: cmd/cgo documentation (cgo is off by default when cross-compiling)',
  url: 'https://pkg.go.dev/cmd/cgo',
};
const GO_BUILD: RuleSource = {
  label: 'Go: go help build',
  url: 'https://pkg.go.dev/cmd/go#hdr-Compile_packages_and_dependencies',
};
const CUSTOMIZING: RuleSource = {
  label: 'Apple: Customizing the notarization workflow',
  url: 'https://developer.apple.com/documentation/security/customizing-the-notarization-workflow',
};
const DEEP_HARMFUL: RuleSource = {
  label: 'Apple DTS: --deep Considered Harmful',
  url: 'https://developer.apple.com/forums/thread/129980',
};
const CODESIGN_MAN: RuleSource = {
  label: 'codesign(1)',
  url: 'https://keith.github.io/xcode-man-pages/codesign.1.html',
};
const NOTARYTOOL_MAN: RuleSource = {
  label: 'notarytool(1)',
  url: 'https://keith.github.io/xcode-man-pages/notarytool.1.html',
};
const STAPLER_MAN: RuleSource = { label: 'stapler(1)', url: 'https://keith.github.io/xcode-man-pages/stapler.1.html' };

export const BUILD_RULES = {
  'ldflags/invalid-headtype': {
    id: 'ldflags/invalid-headtype',
    title: '-H names an object format the Go linker does not know',
    severity: 'error',
    why: 'The Go linker accepts only its own header types (darwin, ios, linux, windows...) and stops with `invalid headtype` on anything else, such as `-H=macOS`. For a darwin build the linker already picks the right one from GOOS.',
    fix: 'Remove `-H=...` from -ldflags; GOOS=darwin is all it takes.',
    sources: [GO_HEAD, GO_LINK],
  },
  'ldflags/sectcreate': {
    id: 'ldflags/sectcreate',
    title: '-sectcreate is an Apple linker flag, not a Go linker flag',
    severity: 'error',
    why: 'The Go linker rejects flags it does not define ("flag provided but not defined"). `-sectcreate` belongs to Apple\'s ld64, which Go runs only for external linking, through -extldflags. Entitlements never come from a __TEXT section: codesign --entitlements puts them in the signature.',
    fix: 'To embed an Info.plist in a command-line tool, build with cgo and `-ldflags "-linkmode=external -extldflags -Wl,-sectcreate,__TEXT,__info_plist,Info.plist"`. For entitlements, use `codesign --entitlements FILE`.',
    sources: [GO_LINK, GO_LOAD],
  },
  'ldflags/buildmode-in-ldflags': {
    id: 'ldflags/buildmode-in-ldflags',
    title: '-buildmode belongs to go build, not to -ldflags',
    severity: 'warning',
    why: "The go command chooses the build mode and tells the compiler and the linker; a -buildmode hidden in -ldflags reaches only the linker, behind the go command's back.",
    fix: 'Pass `-buildmode=...` to go build itself, or leave it out: the default is right for a program.',
    sources: [GO_BUILD, GO_CONFIG],
  },
  'ldflags/x-not-a-switch': {
    id: 'ldflags/x-not-a-switch',
    title: '-X sets a string variable; it is not a switch',
    severity: 'warning',
    why: '`-X importpath.name=value` only assigns a package-level string variable that is declared without an initializer or with a constant string. If the variable does not exist, is not a string, or the flag is written as if it turned on a linker feature, the linker silently does nothing.',
    fix: 'Name a `var name string` declared in the package being built (for example `-X main.version=1.2.3`), or remove the flag.',
    sources: [GO_LINK],
  },
  'build/buildmode-exe-noop': {
    id: 'build/buildmode-exe-noop',
    title: '-buildmode=exe changes nothing on darwin/arm64',
    severity: 'info',
    why: 'On darwin/arm64 the Go linker turns `exe` into `pie`: everything is position-independent there, as Apple requires. The flag neither avoids PIE nor helps signing.',
    fix: 'Remove `-buildmode=exe`.',
    sources: [GO_CONFIG],
  },
  'build/external-link-without-cgo': {
    id: 'build/external-link-without-cgo',
    title: 'External linking needs cgo',
    severity: 'error',
    why: 'With CGO_ENABLED=0 the go command refuses anything that needs the host linker: `-linkmode=external`, `-buildmode=c-shared|c-archive|plugin`, `-race`, `-msan`, `-asan` ("requires external (cgo) linking, but cgo is not enabled").',
    fix: 'Set CGO_ENABLED=1 (with a C toolchain for macOS), or drop the flag that needs external linking.',
    sources: [GO_LOAD, GO_CONFIG],
  },
  'build/extldflags-internal-link': {
    id: 'build/extldflags-internal-link',
    title: '-extldflags is ignored by internal linking',
    severity: 'warning',
    why: '-extldflags is handed to the host linker, which Go runs only for external linking. With CGO_ENABLED=0 the Go linker links by itself and the flags are silently dropped.',
    fix: 'Remove -extldflags, or enable cgo and link externally (`-linkmode=external`) if you really need host linker flags.',
    sources: [GO_LINK, GO_CGO],
  },
  'build/unsupported-goarch': {
    id: 'build/unsupported-goarch',
    title: 'darwin builds exist only for arm64 and amd64',
    severity: 'error',
    why: 'Go supports macOS on arm64 and amd64 only; other GOARCH values fail with "unsupported GOOS/GOARCH pair". A universal binary is made afterwards with lipo, not by a GOARCH value.',
    fix: 'Build GOARCH=arm64 and GOARCH=amd64 separately and combine them with `lipo -create -output OUT A B`.',
    sources: [
      { label: 'Go: go tool dist list (supported ports)', url: 'https://go.dev/doc/install/source#environment' },
    ],
  },
  'build/modify-after-sign': {
    id: 'build/modify-after-sign',
    title: 'The file is changed after it was signed',
    severity: 'error',
    why: 'strip, upx, install_name_tool and lipo rewrite the file, so the pages no longer match the signature: macOS kills the program on Apple silicon and notarization says "The signature of the binary is invalid."',
    fix: 'Do every modification first (strip, lipo...), then sign, then notarize.',
    sources: [
      RESOLVING('3087735', 'Ensure a valid code signature'),
      {
        label: 'golang/go#42684: macOS on arm64 requires codesigning',
        url: 'https://github.com/golang/go/issues/42684',
      },
    ],
  },
  'codesign/not-developer-id': {
    id: 'codesign/not-developer-id',
    title: 'A release must be signed with a Developer ID Application identity',
    severity: 'error',
    why: 'Notarization accepts only Developer ID signatures. Ad-hoc (`--sign -`), Apple Development / Mac Developer and Apple Distribution / Mac App Store identities are rejected: "The binary is not signed with a valid Developer ID certificate."',
    fix: 'Sign with `--sign "Developer ID Application: NAME (TEAMID)"` (see `security find-identity -v -p codesigning`).',
    sources: [
      NOTARIZING,
      RESOLVING('3087721', 'Use a valid Developer ID certificate'),
      {
        label: 'Apple DTS: the most common notarization messages',
        url: 'https://developer.apple.com/forums/thread/663988',
      },
    ],
  },
  'codesign/missing-runtime': {
    id: 'codesign/missing-runtime',
    title: 'Sign with the hardened runtime',
    severity: 'error',
    why: 'Notarization requires the hardened runtime on every executable: "The executable does not have the hardened runtime enabled."',
    fix: 'Add `--options runtime` to the codesign command.',
    sources: [NOTARIZING, RESOLVING('3087724', 'Enable hardened runtime')],
  },
  'codesign/missing-timestamp': {
    id: 'codesign/missing-timestamp',
    title: 'Sign with a secure timestamp',
    severity: 'error',
    why: 'Notarization requires a secure timestamp from Apple\'s server in the signature: "The signature does not include a secure timestamp." codesign adds one only when asked with --timestamp.',
    fix: 'Add `--timestamp` to the codesign command (it needs network access to timestamp.apple.com).',
    sources: [NOTARIZING, RESOLVING('3087733', 'Include a secure timestamp')],
  },
  'codesign/timestamp-none': {
    id: 'codesign/timestamp-none',
    title: '--timestamp=none makes the signature unnotarizable',
    severity: 'error',
    why: '`--timestamp=none` explicitly leaves out the secure timestamp that notarization requires. It has nothing to do with TCC or network time in CI; it only suits ad-hoc or development signatures.',
    fix: 'Replace `--timestamp=none` with `--timestamp` in release signing.',
    sources: [NOTARIZING, RESOLVING('3087733', 'Include a secure timestamp')],
  },
  'codesign/deep': {
    id: 'codesign/deep',
    title: 'Do not sign with --deep',
    severity: 'warning',
    why: '--deep is deprecated for signing since macOS 13: it applies the same options, entitlements included, to every nested piece of code, which is almost never right. For a bare Go binary there is nothing nested, so it does nothing at all.',
    fix: 'Remove --deep; sign nested code separately, from the inside out. (`codesign --verify --deep` is fine.)',
    sources: [DEEP_HARMFUL, CODESIGN_MAN],
  },
  'codesign/missing-force': {
    id: 'codesign/missing-force',
    title: 'Re-signing Go output needs --force',
    severity: 'warning',
    why: 'The Go linker already signs darwin/arm64 executables ad hoc, and codesign refuses to replace an existing signature unless told to ("is already signed").',
    fix: 'Add `--force` (`-f`) to the codesign command.',
    sources: [
      {
        label: "Go source: cmd/internal/codesign (the linker's ad-hoc signature)",
        url: 'https://github.com/golang/go/blob/master/src/cmd/internal/codesign/codesign.go',
      },
      CODESIGN_MAN,
    ],
  },
  'codesign/entitlements-file': {
    id: 'codesign/entitlements-file',
    title: 'The entitlements file exists and is valid',
    severity: 'error',
    why: 'codesign fails when the file given to --entitlements is missing, and a malformed or wrong entitlements file fails notarization or the program at launch.',
    fix: 'Point --entitlements at an existing plist and fix the problems reported in it.',
    sources: [DISTRIBUTION_SIGNED],
  },
  'notarytool/unsupported-container': {
    id: 'notarytool/unsupported-container',
    title: 'notarytool accepts only .zip, .dmg and .pkg',
    severity: 'error',
    why: "notarytool submit works only with zip archives, UDIF disk images and signed flat installer packages. A bare Mach-O, an .app folder or a .tar.gz is refused. The linter follows the file's variables (shell, make, workflow env, GoReleaser templates) and the commands that made the path (go build -o, lipo, ditto -c -k, zip, hdiutil, pkgbuild, cp), so a binary copied to `app.zip` is still a bare Mach-O; where a value cannot be known, it says nothing.",
    fix: 'Zip it first: `ditto -c -k --keepParent FILE FILE.zip`, then submit FILE.zip.',
    sources: [NOTARYTOOL_MAN, CUSTOMIZING],
  },
  'notarytool/auth': {
    id: 'notarytool/auth',
    title: 'notarytool needs exactly one complete set of credentials',
    severity: 'error',
    why: 'notarytool authenticates with a keychain profile (--keychain-profile), an App Store Connect API key (--key, --key-id, and --issuer for team keys) or an Apple ID (--apple-id, --team-id, --password). It reads no credentials from the environment; flags from altool or rcodesign are unknown to it; and a password written in a command line ends up in logs and process lists.',
    fix: 'Use one method completely, for example `--key "$KEY_PATH" --key-id "$KEY_ID" --issuer "$ISSUER"` in CI, or `--keychain-profile NAME` after `xcrun notarytool store-credentials NAME`.',
    sources: [
      NOTARYTOOL_MAN,
      {
        label: 'Apple DTS: keychain profiles cannot be exported; use an API key in CI',
        url: 'https://developer.apple.com/forums/thread/786582',
      },
    ],
  },
  'notarytool/no-wait': {
    id: 'notarytool/no-wait',
    title: 'Wait for the notarization result and read its log',
    severity: 'warning',
    why: 'Without --wait (or a later `notarytool wait`/`info`/`log`), the script goes on before Apple has answered: a later staple fails, and an Invalid verdict goes unnoticed.',
    fix: 'Add `--wait` (with `--timeout`), then run `notarytool log ID` to keep the log.',
    sources: [NOTARYTOOL_MAN],
  },
  'notarytool/altool': {
    id: 'notarytool/altool',
    title: 'altool can no longer notarize',
    severity: 'error',
    why: 'Since November 1, 2023 the Apple notary service no longer accepts uploads from altool.',
    fix: 'Use `xcrun notarytool submit FILE --wait` with a keychain profile or an API key.',
    sources: [NOTARIZING],
  },
  'stapler/unsupported-target': {
    id: 'stapler/unsupported-target',
    title: 'stapler works only on .app bundles, .dmg and .pkg',
    severity: 'error',
    why: 'A ticket cannot be stapled to a bare binary (stapler fails with Error 73) or to a zip. A notarized command-line tool is checked online by Gatekeeper instead. The path is judged by what the build file made it (a go build or lipo output is a bare binary, a ditto -c -k output a zip), through variables where the file says what they hold.',
    fix: 'Ship the notarized zip as is, or put the tool in a signed .pkg or .dmg, notarize that, and staple it.',
    sources: [CUSTOMIZING, STAPLER_MAN],
  },
  'spctl/bare-cli': {
    id: 'spctl/bare-cli',
    title: 'spctl --assess always rejects a bare command-line tool',
    severity: 'info',
    why: '`spctl --assess --type execute` answers "rejected (the code is valid but does not seem to be an app)" for every command-line tool, even Apple\'s own and notarized ones. It proves nothing about your binary.',
    fix: "Check the signature with `codesign --verify --strict --verbose=2 FILE`, and notarization by finding the binary's cdhash in the notary log's ticketContents.",
    sources: [
      {
        label: 'Apple: Resolving common notarization issues',
        url: 'https://developer.apple.com/documentation/security/resolving-common-notarization-issues',
      },
    ],
  },
  'goreleaser/cgo-enabled-key': {
    id: 'goreleaser/cgo-enabled-key',
    title: 'GoReleaser has no cgo_enabled setting',
    severity: 'warning',
    why: 'GoReleaser builds take cgo from the environment; a `cgo_enabled:` key is not part of its configuration and changes nothing, so a reader may believe cgo is off when it is not.',
    fix: 'Remove `cgo_enabled:` and set `env: [CGO_ENABLED=0]` (or 1) on the build.',
    sources: [{ label: 'GoReleaser: Builds (Go)', url: 'https://goreleaser.com/customization/builds/go/' }],
  },
  'gomod/cgo-dependency': {
    id: 'gomod/cgo-dependency',
    title: 'This requirement brings cgo code into the darwin build',
    severity: 'warning',
    why: 'Packages that import "C" change how the program is built for macOS: with CGO_ENABLED=0 they fail or lose the files that use cgo; cross-compiling from Linux or Windows needs a C toolchain with the macOS SDK; the linker switches to external linking; and loading third-party libraries at run time under the hardened runtime needs disable-library-validation.',
    fix: 'Build on a Mac (or with a macOS cross toolchain) with CGO_ENABLED=1, or switch to a pure-Go alternative when there is one.',
    sources: [GO_CGO, GO_LOAD],
  },
  'gomod/go-version': {
    id: 'gomod/go-version',
    title: 'The go directive is too old for signed macOS builds',
    severity: 'warning',
    why: 'Before Go 1.16 the linker did not sign darwin/arm64 executables (macOS on Apple silicon refuses unsigned code), and Go 1.12 and older wrote a macOS SDK version below 10.9, which notarization rejects ("The binary uses an SDK older than the 10.9 SDK.").',
    fix: 'Raise the go directive (and the toolchain you build with) to a supported Go release.',
    sources: [
      {
        label: 'golang/go#42684: macOS on arm64 requires codesigning',
        url: 'https://github.com/golang/go/issues/42684',
      },
      {
        label: 'golang/go#30488: notarization fails, SDK older than 10.9',
        url: 'https://github.com/golang/go/issues/30488',
      },
    ],
  },
} satisfies Record<string, Rule>;
