/**
 * The catalog of rules, readiness checks and lint rules alike: the one place a rule's id, title, explanation, fix,
 * default severity and sources live. CLI output, the language server and the pages under docs/rules/ (written by
 * `npm run docs`) all read it.
 * Sources are Apple's documentation, Apple engineers' forum answers, or the Go toolchain's source.
 */

import { BUILD_RULES } from './buildRules';

export interface RuleSource {
  label: string;
  url: string;
}

export type Severity = 'error' | 'warning' | 'info' | 'hint';

export interface Rule {
  id: string;
  title: string;
  /** Severity of the rule's diagnostics when it runs as a lint rule (editor and `go-macos-sign lint`). */
  severity?: Severity;
  /** Why the rule exists, in a sentence or two. */
  why: string;
  /** What to do when it fails. */
  fix: string;
  sources: RuleSource[];
}

const NOTARIZING: RuleSource = {
  label: 'Apple: Notarizing macOS software before distribution',
  url: 'https://developer.apple.com/documentation/security/notarizing-macos-software-before-distribution',
};
/** Anchors as Apple's notary service puts them in the `docUrl` of real notarization logs. */
const RESOLVING = (anchor: string, label: string): RuleSource => ({
  label: `Apple: Resolving common notarization issues — ${label}`,
  url: `https://developer.apple.com/documentation/security/notarizing_macos_software_before_distribution/resolving_common_notarization_issues#${anchor}`,
});

export const RULES = {
  'signature/present': {
    id: 'signature/present',
    title: 'Every architecture is code-signed',
    why: 'macOS on Apple silicon refuses to run unsigned arm64 code, and notarization rejects unsigned binaries ("The binary is not signed."). Go signs darwin/arm64 output ad hoc, but leaves darwin/amd64 output unsigned.',
    fix: 'Sign the file with `codesign --force --options runtime --timestamp --sign "Developer ID Application: NAME (TEAMID)" FILE`. A universal file is signed in one call, after `lipo`.',
    sources: [NOTARIZING, { label: 'golang/go#42684: macOS on arm64 requires codesigning', url: 'https://github.com/golang/go/issues/42684' }],
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
    sources: [NOTARIZING, RESOLVING('3087721', 'Use a valid Developer ID certificate'), { label: 'Apple DTS: the most common notarization messages', url: 'https://developer.apple.com/forums/thread/663988' }],
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
  'entitlements/get-task-allow': {
    id: 'entitlements/get-task-allow',
    title: 'No get-task-allow entitlement',
    severity: 'error',
    why: 'com.apple.security.get-task-allow lets debuggers attach; notarization rejects it set to any variation of true ("The executable requests the com.apple.security.get-task-allow entitlement.").',
    fix: 'Remove the key from the entitlements file used for release signing; keep it only in a debug entitlements file.',
    sources: [NOTARIZING, RESOLVING('3087731', 'Avoid the get-task-allow entitlement')],
  },
  'entitlements/restricted-needs-profile': {
    id: 'entitlements/restricted-needs-profile',
    title: 'Restricted entitlements come with a provisioning profile',
    severity: 'warning',
    why: 'com.apple.developer.* entitlements are restricted: a provisioning profile must authorize them, and a bare executable cannot embed one, so macOS refuses to launch it.',
    fix: 'Remove the restricted entitlement, or ship the program inside an app-like bundle with Contents/embedded.provisionprofile.',
    sources: [{ label: 'Apple: Signing a daemon with a restricted entitlement', url: 'https://developer.apple.com/documentation/xcode/signing-a-daemon-with-a-restricted-entitlement' }],
  },
  'macho/min-sdk': {
    id: 'macho/min-sdk',
    title: 'Built against the macOS 10.9 SDK or later',
    why: 'Notarization rejects binaries whose LC_BUILD_VERSION or LC_VERSION_MIN_MACOSX records an SDK older than 10.9 ("The binary uses an SDK older than the 10.9 SDK."). Go 1.12 and older wrote such values.',
    fix: 'Build with a current Go toolchain (and, with cgo, a current Xcode or macOS SDK).',
    sources: [RESOLVING('3087723', 'Use the macOS 10.9 SDK or later'), { label: 'golang/go#30488', url: 'https://github.com/golang/go/issues/30488' }],
  },
  'macho/architectures': {
    id: 'macho/architectures',
    title: 'The file contains the expected architectures',
    why: 'Apple accepts arm64-only, x86_64-only and universal binaries alike; the right set is your choice ("arm64 only" is not an Apple rule). This rule checks the file against the set you configure (`goMacosSign.architectures`, `--arch`).',
    fix: 'Build each GOARCH you ship and combine them with `lipo -create -output FILE FILE_arm64 FILE_amd64` before signing.',
    sources: [{ label: 'codesign(1): codesign signs all architectures of a universal file', url: 'https://keith.github.io/xcode-man-pages/codesign.1.html' }],
  },
  'signature/identifier': {
    id: 'signature/identifier',
    title: 'A meaningful, consistent signing identifier',
    why: 'The Go linker signs every darwin/arm64 binary with the identifier "a.out", whatever the file is called; the identifier ends up in the designated requirement and in notarization records. Slices of one universal file signed with different identifiers usually mean they were signed separately.',
    fix: 'Pass `--identifier com.example.tool` to codesign (for an app, use its CFBundleIdentifier).',
    sources: [{ label: 'Go: cmd/link signs with identifier "a.out" (src/cmd/link/internal/ld/macho.go)', url: 'https://github.com/golang/go/blob/master/src/cmd/link/internal/ld/macho.go' }],
  },
  'plist/syntax': {
    id: 'plist/syntax',
    title: 'The property list is well-formed',
    severity: 'error',
    why: 'codesign cannot read an entitlements file or Info.plist that is not well-formed XML in the property-list vocabulary (dict, key, string, true, ...), and fails the signing step.',
    fix: 'Correct the XML at the marked position; `plutil -lint FILE` on a Mac checks the same thing.',
    sources: [{ label: 'Apple: Creating distribution-signed code for macOS', url: 'https://developer.apple.com/documentation/xcode/creating-distribution-signed-code-for-the-mac' }],
  },
  'plist/binary': {
    id: 'plist/binary',
    title: 'Entitlements are an XML property list',
    severity: 'error',
    why: 'Apple requires entitlements as a property list in the standard XML format; a binary plist cannot be reviewed or diffed and is not what codesign expects.',
    fix: 'Convert it: `plutil -convert xml1 FILE`.',
    sources: [{ label: 'Apple: Creating distribution-signed code for macOS', url: 'https://developer.apple.com/documentation/xcode/creating-distribution-signed-code-for-the-mac' }, NOTARIZING],
  },
  'entitlements/format': {
    id: 'entitlements/format',
    title: 'Plain XML: LF line endings, no comments, no BOM, ASCII, a dictionary at the root',
    severity: 'error',
    why: 'Apple asks for entitlements as an XML property list with LF line endings, no comments and no byte-order mark, ASCII-encoded, whose root is a dictionary; notarization checks that entitlements are properly formatted. Declared XML entities are never expanded by this tool (they are a classic attack on XML readers).',
    fix: 'Remove comments and the BOM, convert CRLF to LF, spell keys and values in ASCII, and keep a single <dict> at the root.',
    sources: [{ label: 'Apple: Creating distribution-signed code for macOS', url: 'https://developer.apple.com/documentation/xcode/creating-distribution-signed-code-for-the-mac' }, NOTARIZING],
  },
  'entitlements/duplicate-key': {
    id: 'entitlements/duplicate-key',
    title: 'Each entitlement appears once',
    severity: 'error',
    why: 'A dictionary with the same key twice is ambiguous: readers keep one of the values, so the entitlement you read is not necessarily the one the system applies.',
    fix: 'Keep one entry for the key, with the value you mean.',
    sources: [{ label: 'Apple: Entitlements (Bundle Resources)', url: 'https://developer.apple.com/documentation/bundleresources/entitlements' }],
  },
  'entitlements/false-value': {
    id: 'entitlements/false-value',
    title: 'Leave out entitlements that are false',
    severity: 'warning',
    why: 'Boolean entitlements default to false; Apple\'s hardened-runtime documentation says not to include an entitlement whose value is false. The entry only adds noise and review burden.',
    fix: 'Delete the key and its <false/> value.',
    sources: [{ label: 'Apple: Hardened Runtime', url: 'https://developer.apple.com/documentation/security/hardened_runtime' }],
  },
  'entitlements/jit-cascade': {
    id: 'entitlements/jit-cascade',
    title: 'At most one of the JIT and executable-memory exceptions',
    severity: 'warning',
    why: 'allow-jit, allow-unsigned-executable-memory and disable-executable-page-protection form a cascade in which each is a superset of the previous; setting more than one only weakens the hardened runtime further. Apple DTS: "Only set one of these entitlements".',
    fix: 'Keep the narrowest one your code needs (allow-jit if it maps memory with MAP_JIT).',
    sources: [{ label: 'Apple Developer Forums (DTS): the allow-jit cascade', url: 'https://developer.apple.com/forums/thread/776290' }, { label: 'Apple: Allow execution of JIT-compiled code entitlement', url: 'https://developer.apple.com/documentation/bundleresources/entitlements/com.apple.security.cs.allow-jit' }],
  },
  'entitlements/unknown-key': {
    id: 'entitlements/unknown-key',
    title: 'Entitlement keys are ones Apple documents',
    severity: 'warning',
    why: 'A misspelled key is silently ignored by macOS: the capability you meant to grant is simply missing at run time, and the error surfaces far from its cause.',
    fix: 'Use the suggested spelling, or check the key against Apple\'s entitlements reference.',
    sources: [{ label: 'Apple: Entitlements (Bundle Resources)', url: 'https://developer.apple.com/documentation/bundleresources/entitlements' }],
  },
  'entitlements/wrong-type': {
    id: 'entitlements/wrong-type',
    title: 'Entitlement values have the documented type',
    severity: 'error',
    why: 'Each entitlement has a documented value type; hardened-runtime exceptions are Booleans. A <string>true</string> is not <true/>, and the system does not grant it.',
    fix: 'Use the value type from Apple\'s page for the key (for Boolean entitlements: <true/>).',
    sources: [{ label: 'Apple: Hardened Runtime', url: 'https://developer.apple.com/documentation/security/hardened_runtime' }],
  },
  'entitlements/unneeded-for-go': {
    id: 'entitlements/unneeded-for-go',
    title: 'JIT and executable-memory exceptions are rarely needed by Go programs',
    severity: 'info',
    why: 'Go compiles ahead of time and never writes executable code at run time, so a pure-Go program runs under the hardened runtime without these exceptions. They are copied from Electron templates, where V8 needs them. Only cgo code or a C library that JIT-compiles needs one.',
    fix: 'Remove the exception unless your program links C code that JIT-compiles; then keep only allow-jit.',
    sources: [{ label: 'Apple: Allow execution of JIT-compiled code entitlement', url: 'https://developer.apple.com/documentation/bundleresources/entitlements/com.apple.security.cs.allow-jit' }, { label: 'Apple: Hardened Runtime', url: 'https://developer.apple.com/documentation/security/hardened_runtime' }],
  },
  'entitlements/library-validation': {
    id: 'entitlements/library-validation',
    title: 'Disable library validation only to load other teams\' code',
    severity: 'info',
    why: 'Library validation makes the process load only code signed by Apple or by the same team. A Go program needs the exception only when it loads code signed by someone else: a Go plugin built by another team, or a third-party dylib opened through cgo.',
    fix: 'Remove it if the program loads no such code; otherwise keep it and document why.',
    sources: [{ label: 'Apple: Disable library validation entitlement', url: 'https://developer.apple.com/documentation/bundleresources/entitlements/com.apple.security.cs.disable-library-validation' }],
  },
  'entitlements/app-sandbox-cli': {
    id: 'entitlements/app-sandbox-cli',
    title: 'App Sandbox is for Mac App Store apps, not Developer ID command-line tools',
    severity: 'info',
    why: 'The App Sandbox is required only for Mac App Store distribution. A sandboxed command-line tool started from Terminal cannot read or write the paths the user gives it without extra entitlements, which surprises users; Developer ID tools do not need it.',
    fix: 'Remove com.apple.security.app-sandbox for a Developer ID command-line tool; keep it for an app you submit to the Mac App Store.',
    sources: [{ label: 'Apple: App Sandbox', url: 'https://developer.apple.com/documentation/security/app-sandbox' }],
  },
  'entitlements/sandbox-key-without-sandbox': {
    id: 'entitlements/sandbox-key-without-sandbox',
    title: 'Sandbox entitlements need the App Sandbox',
    severity: 'warning',
    why: 'Entitlements such as network.client or files.user-selected.read-write loosen the App Sandbox; without com.apple.security.app-sandbox they have no effect and only mislead readers.',
    fix: 'Remove them, or enable com.apple.security.app-sandbox if the app is meant to be sandboxed.',
    sources: [
      { label: 'Apple: App Sandbox', url: 'https://developer.apple.com/documentation/security/app-sandbox' },
      { label: 'Apple (archive): Enabling App Sandbox — "If App Sandbox is not enabled, the other keys in this section are meaningless"', url: 'https://developer.apple.com/library/archive/documentation/Miscellaneous/Reference/EntitlementKeyReference/Chapters/EnablingAppSandbox.html' },
    ],
  },
  'entitlements/wrong-file': {
    id: 'entitlements/wrong-file',
    title: 'Info.plist keys belong in Info.plist, not in entitlements',
    severity: 'warning',
    why: 'Keys such as CFBundleIdentifier or NSCameraUsageDescription are read from the bundle\'s Info.plist; in an entitlements file they are ignored, and the usage description the user should see never appears.',
    fix: 'Move the key to Contents/Info.plist (or, for a bare tool, the embedded __TEXT,__info_plist section).',
    sources: [{ label: 'Apple: Information Property List', url: 'https://developer.apple.com/documentation/bundleresources/information-property-list' }],
  },
  ...BUILD_RULES,
} satisfies Record<string, Rule>;

export type RuleId = keyof typeof RULES;

/** Where a rule's page is published (the address is part of the client contract, so it lives in protocol.ts). */
export { ruleDocUrl } from '../protocol';
