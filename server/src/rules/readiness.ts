/**
 * Rules for the signed artifact itself: a binary's signature and Mach-O headers (checks/readiness.ts), a disk image's
 * or an installer package's own signature (checks/containers.ts), and the online ticket (checks/notarization.ts).
 * Readiness checks report them when inspecting; they have no lint severity.
 */
import type { Rule } from './types';
import { NOTARIZING, RESOLVING } from './sources';

export const READINESS_RULES = {
  'signature/present': {
    id: 'signature/present',
    title: 'Every architecture is code-signed',
    why: 'macOS on Apple silicon refuses to run unsigned arm64 code, and notarization rejects unsigned binaries ("The binary is not signed."). Go signs darwin/arm64 output ad hoc, but leaves darwin/amd64 output unsigned.',
    fix: 'Sign the file with `codesign --force --options runtime --timestamp --sign "Developer ID Application: NAME (TEAMID)" FILE`. A universal file is signed in one call, after `lipo`.',
    sources: [
      NOTARIZING,
      {
        label: 'golang/go#42684: macOS on arm64 requires codesigning',
        url: 'https://github.com/golang/go/issues/42684',
      },
    ],
  },
  'signature/intact': {
    id: 'signature/intact',
    title: 'The signature matches the file',
    why: 'A page or sealed component that no longer matches its hash means the file changed after signing (strip, install_name_tool, lipo or a byte patch). macOS kills such a process and notarization reports "The signature of the binary is invalid."',
    fix: 'Re-sign after the last modification, and do nothing to the file after signing.',
    sources: [RESOLVING('3087735', 'Ensure a valid code signature')],
  },
  'signature/developer-id': {
    id: 'signature/developer-id',
    title: 'Signed with a Developer ID Application certificate',
    why: 'Only Developer ID Application signatures can be notarized for distribution outside the Mac App Store. Ad-hoc and linker signatures (what `go build` produces), Apple Development and Apple Distribution identities are rejected ("The binary is not signed with a valid Developer ID certificate.").',
    fix: 'Re-sign with `codesign --force --sign "Developer ID Application: NAME (TEAMID)" ...`; find the identity with `security find-identity -v -p codesigning`.',
    sources: [
      NOTARIZING,
      RESOLVING('3087721', 'Use a valid Developer ID certificate'),
      {
        label: 'Apple DTS: the most common notarization messages',
        url: 'https://developer.apple.com/forums/thread/663988',
      },
    ],
  },
  'signature/hardened-runtime': {
    id: 'signature/hardened-runtime',
    title: 'Hardened runtime is enabled',
    why: 'Notarization requires the hardened runtime on every executable ("The executable does not have the hardened runtime enabled.").',
    fix: 'Add `--options runtime` to the codesign command.',
    sources: [NOTARIZING, RESOLVING('3087724', 'Enable hardened runtime')],
  },
  'signature/secure-timestamp': {
    id: 'signature/secure-timestamp',
    title: 'The signature has a secure timestamp',
    why: 'Notarization requires a timestamp from Apple\'s time-stamp service in the signature ("The signature does not include a secure timestamp."). The signer\'s own signing time does not count.',
    fix: 'Add `--timestamp` to the codesign command and never pass `--timestamp=none` in a release build.',
    sources: [NOTARIZING, RESOLVING('3087733', 'Include a secure timestamp')],
  },
  'signature/algorithm': {
    id: 'signature/algorithm',
    title: 'A CodeDirectory hashed with SHA-256',
    why: 'A slice whose CodeDirectories all use SHA-1 (what old versions of codesign wrote, or a tool that only knows the old format) is refused by notarization ("The signature algorithm used is too weak."). Current codesign and the builtin signer write a SHA-256 CodeDirectory, with a SHA-1 one beside it only for old deployment targets.',
    fix: 'Re-sign with a current codesign (or `go-macos-sign sign`), which adds a SHA-256 CodeDirectory.',
    sources: [
      RESOLVING('3087735', 'Ensure a valid code signature'),
      {
        label: 'WalletWasabi#3183: a notarization log reporting "The signature algorithm used is too weak."',
        url: 'https://github.com/zkSNACKs/WalletWasabi/issues/3183',
      },
    ],
  },
  'entitlements/well-formed': {
    id: 'entitlements/well-formed',
    title: 'The embedded entitlements can be read',
    why: 'An entitlements blob in the signature that is not a well-formed property list (a binary plist, a truncated or mangled file, bad DER) is refused by notarization ("Embedded entitlements are invalid: syntax error near line 1"), and macOS ignores such entitlements.',
    fix: 'Check the entitlements file with `go-macos-sign lint` (or `plutil -lint`), keep it as XML, and re-sign.',
    sources: [
      RESOLVING('3561456', 'Ensure properly formatted entitlements'),
      {
        label:
          'electron-builder#4825: a notarization log with "Embedded entitlements are invalid: syntax error near line 1"',
        url: 'https://github.com/electron-userland/electron-builder/issues/4825',
      },
    ],
  },
  'signature/identifier': {
    id: 'signature/identifier',
    title: 'A meaningful, consistent signing identifier',
    why: 'The Go linker signs every darwin/arm64 binary with the identifier "a.out", whatever the file is called; the identifier ends up in the designated requirement and in notarization records. Slices of one universal file signed with different identifiers usually mean they were signed separately.',
    fix: 'Pass `--identifier com.example.tool` to codesign (for an app, use its CFBundleIdentifier).',
    sources: [
      {
        label: 'Go: cmd/link signs with identifier "a.out" (src/cmd/link/internal/ld/macho.go)',
        url: 'https://github.com/golang/go/blob/master/src/cmd/link/internal/ld/macho.go',
      },
    ],
  },
  'macho/min-sdk': {
    id: 'macho/min-sdk',
    title: 'Built against the macOS 10.9 SDK or later',
    why: 'Notarization rejects binaries whose LC_BUILD_VERSION or LC_VERSION_MIN_MACOSX records an SDK older than 10.9 ("The binary uses an SDK older than the 10.9 SDK."). Go 1.12 and older wrote such values.',
    fix: 'Build with a current Go toolchain (and, with cgo, a current Xcode or macOS SDK).',
    sources: [
      RESOLVING('3087723', 'Use the macOS 10.9 SDK or later'),
      { label: 'golang/go#30488', url: 'https://github.com/golang/go/issues/30488' },
    ],
  },
  'macho/architectures': {
    id: 'macho/architectures',
    title: 'The file contains the expected architectures',
    why: 'Apple accepts arm64-only, x86_64-only and universal binaries alike; the right set is your choice ("arm64 only" is not an Apple rule). This rule checks the file against the set you configure (`goMacosSign.architectures`, `--arch`).',
    fix: 'Build each GOARCH you ship and combine them with `lipo -create -output FILE FILE_arm64 FILE_amd64` before signing.',
    sources: [
      {
        label: 'codesign(1): codesign signs all architectures of a universal file',
        url: 'https://keith.github.io/xcode-man-pages/codesign.1.html',
      },
    ],
  },
  'notarization/ticket': {
    id: 'notarization/ticket',
    title: "Apple's ticket service knows a notarization ticket for every cdhash",
    why: 'Once notarization accepts a submission, Apple publishes a ticket for each cdhash it covered in a public database that Gatekeeper asks on first launch, sending only the cdhash (`inspect --online` asks the same question, the same way). No ticket means Gatekeeper will refuse the file unless a ticket is stapled. A ticket Apple withdrew (a deleted record) is not a ticket: Gatekeeper refuses such a file, so that fails; a missing one only warns, since every build lacks a ticket until it is notarized. When the service cannot be asked (offline), the result is not applicable, never a failure.',
    fix: 'Notarize the artifact you ship (`go-macos-sign notarize`); if it was notarized a moment ago, ask again shortly (tickets appear soon after `Accepted`). A withdrawn ticket needs a new build, signed and notarized again.',
    sources: [
      {
        label: 'Apple: Customizing the notarization workflow (tickets, stapling, online checks)',
        url: 'https://developer.apple.com/documentation/security/customizing-the-notarization-workflow',
      },
      {
        label: 'rcodesign ticket_lookup.rs: the public CloudKit lookup of tickets by cdhash',
        url: 'https://github.com/indygreg/apple-platform-rs/blob/main/apple-codesign/src/ticket_lookup.rs',
      },
    ],
  },
  'dmg/signature': {
    id: 'dmg/signature',
    title: 'The disk image carries an intact Developer ID signature',
    why: "A disk image's own signature (located by its koly trailer) is what a stapled ticket is attached to, and the cdhash its notarization is looked up by. An unsigned image can still be notarized, but neither this tool's stapler nor Gatekeeper's offline check has a cdhash to work with; an image modified after signing fails verification.",
    fix: 'Sign the finished image: `codesign --sign "Developer ID Application: NAME (TEAMID)" --timestamp app.dmg` (or `go-macos-sign sign`), then notarize and staple it. Change nothing in the image after signing.',
    sources: [
      NOTARIZING,
      {
        label: 'stapler(1): stapler works with UDIF disk images, signed flat packages and code-signed bundles',
        url: 'https://keith.github.io/xcode-man-pages/stapler.1.html',
      },
      {
        label: "rcodesign dmg.rs: a disk image's signature and the koly trailer",
        url: 'https://github.com/indygreg/apple-platform-rs/blob/main/apple-codesign/src/dmg.rs',
      },
    ],
  },
  'pkg/signature': {
    id: 'pkg/signature',
    title: 'The installer package is signed with a Developer ID Installer certificate',
    why: 'notarytool submits only signed flat installer packages, and stapler staples only signed ones; Apple signs installers with a Developer ID Installer certificate (not the Application one). A package signed only with the RSA `<signature>` and no CMS `<x-signature>` cannot be stapled ("CDHash must be set").',
    fix: 'Sign the package: `productsign --sign "Developer ID Installer: NAME (TEAMID)" --timestamp in.pkg out.pkg` (or `pkgbuild --sign`), then check with `pkgutil --check-signature out.pkg`.',
    sources: [
      RESOLVING('3087721', 'Use a valid Developer ID certificate'),
      {
        label: 'notarytool(1): submit works only with UDIF disk images, signed flat installer packages and zip files',
        url: 'https://keith.github.io/xcode-man-pages/notarytool.1.html',
      },
      {
        label: 'rcodesign stapling.rs: stapling a flat package',
        url: 'https://github.com/indygreg/apple-platform-rs/blob/main/apple-codesign/src/stapling.rs',
      },
    ],
  },
} satisfies Record<string, Rule>;
