/**
 * Rules for entitlements: what the entitlements file may contain and how. The linter reports all of them on the
 * entitlements file; the readiness checks report get-task-allow and restricted-needs-profile on the signed binary.
 */
import type { Rule } from './types';
import { DISTRIBUTION_SIGNED, NOTARIZING, RESOLVING } from './sources';

export const ENTITLEMENT_RULES = {
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
    sources: [
      {
        label: 'Apple: Signing a daemon with a restricted entitlement',
        url: 'https://developer.apple.com/documentation/xcode/signing-a-daemon-with-a-restricted-entitlement',
      },
    ],
  },
  'entitlements/format': {
    id: 'entitlements/format',
    title: 'Plain XML: LF line endings, no comments, no BOM, ASCII, a dictionary at the root',
    severity: 'error',
    why: 'Apple asks for entitlements as an XML property list with LF line endings, no comments and no byte-order mark, ASCII-encoded, whose root is a dictionary; notarization checks that entitlements are properly formatted. Declared XML entities are never expanded by this tool (they are a classic attack on XML readers).',
    fix: 'Remove comments and the BOM, convert CRLF to LF, spell keys and values in ASCII, and keep a single <dict> at the root.',
    sources: [DISTRIBUTION_SIGNED, NOTARIZING],
  },
  'entitlements/duplicate-key': {
    id: 'entitlements/duplicate-key',
    title: 'Each entitlement appears once',
    severity: 'error',
    why: 'A dictionary with the same key twice is ambiguous: readers keep one of the values, so the entitlement you read is not necessarily the one the system applies.',
    fix: 'Keep one entry for the key, with the value you mean.',
    sources: [
      {
        label: 'Apple: Entitlements (Bundle Resources)',
        url: 'https://developer.apple.com/documentation/bundleresources/entitlements',
      },
    ],
  },
  'entitlements/false-value': {
    id: 'entitlements/false-value',
    title: 'Leave out entitlements that are false',
    severity: 'warning',
    why: "Boolean entitlements default to false; Apple's hardened-runtime documentation says not to include an entitlement whose value is false. The entry only adds noise and review burden.",
    fix: 'Delete the key and its <false/> value.',
    sources: [
      { label: 'Apple: Hardened Runtime', url: 'https://developer.apple.com/documentation/security/hardened_runtime' },
    ],
  },
  'entitlements/jit-cascade': {
    id: 'entitlements/jit-cascade',
    title: 'At most one of the JIT and executable-memory exceptions',
    severity: 'warning',
    why: 'allow-jit, allow-unsigned-executable-memory and disable-executable-page-protection form a cascade in which each is a superset of the previous; setting more than one only weakens the hardened runtime further. Apple DTS: "Only set one of these entitlements".',
    fix: 'Keep the narrowest one your code needs (allow-jit if it maps memory with MAP_JIT).',
    sources: [
      {
        label: 'Apple Developer Forums (DTS): the allow-jit cascade',
        url: 'https://developer.apple.com/forums/thread/776290',
      },
      {
        label: 'Apple: Allow execution of JIT-compiled code entitlement',
        url: 'https://developer.apple.com/documentation/bundleresources/entitlements/com.apple.security.cs.allow-jit',
      },
    ],
  },
  'entitlements/unknown-key': {
    id: 'entitlements/unknown-key',
    title: 'Entitlement keys are ones Apple documents',
    severity: 'warning',
    why: 'A misspelled key is silently ignored by macOS: the capability you meant to grant is simply missing at run time, and the error surfaces far from its cause.',
    fix: "Use the suggested spelling, or check the key against Apple's entitlements reference.",
    sources: [
      {
        label: 'Apple: Entitlements (Bundle Resources)',
        url: 'https://developer.apple.com/documentation/bundleresources/entitlements',
      },
    ],
  },
  'entitlements/wrong-type': {
    id: 'entitlements/wrong-type',
    title: 'Entitlement values have the documented type',
    severity: 'error',
    why: 'Each entitlement has a documented value type; hardened-runtime exceptions are Booleans. A <string>true</string> is not <true/>, and the system does not grant it.',
    fix: "Use the value type from Apple's page for the key (for Boolean entitlements: <true/>).",
    sources: [
      { label: 'Apple: Hardened Runtime', url: 'https://developer.apple.com/documentation/security/hardened_runtime' },
    ],
  },
  'entitlements/unneeded-for-go': {
    id: 'entitlements/unneeded-for-go',
    title: 'JIT and executable-memory exceptions are rarely needed by Go programs',
    severity: 'info',
    why: 'Go compiles ahead of time and never writes executable code at run time, so a pure-Go program runs under the hardened runtime without these exceptions. They are copied from Electron templates, where V8 needs them. Only cgo code or a C library that JIT-compiles needs one.',
    fix: 'Remove the exception unless your program links C code that JIT-compiles; then keep only allow-jit.',
    sources: [
      {
        label: 'Apple: Allow execution of JIT-compiled code entitlement',
        url: 'https://developer.apple.com/documentation/bundleresources/entitlements/com.apple.security.cs.allow-jit',
      },
      { label: 'Apple: Hardened Runtime', url: 'https://developer.apple.com/documentation/security/hardened_runtime' },
    ],
  },
  'entitlements/library-validation': {
    id: 'entitlements/library-validation',
    title: "Disable library validation only to load other teams' code",
    severity: 'info',
    why: 'Library validation makes the process load only code signed by Apple or by the same team. A Go program needs the exception only when it loads code signed by someone else: a Go plugin built by another team, or a third-party dylib opened through cgo.',
    fix: 'Remove it if the program loads no such code; otherwise keep it and document why.',
    sources: [
      {
        label: 'Apple: Disable library validation entitlement',
        url: 'https://developer.apple.com/documentation/bundleresources/entitlements/com.apple.security.cs.disable-library-validation',
      },
    ],
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
      {
        label:
          'Apple (archive): Enabling App Sandbox — "If App Sandbox is not enabled, the other keys in this section are meaningless"',
        url: 'https://developer.apple.com/library/archive/documentation/Miscellaneous/Reference/EntitlementKeyReference/Chapters/EnablingAppSandbox.html',
      },
    ],
  },
  'entitlements/wrong-file': {
    id: 'entitlements/wrong-file',
    title: 'Info.plist keys belong in Info.plist, not in entitlements',
    severity: 'warning',
    why: "Keys such as CFBundleIdentifier or NSCameraUsageDescription are read from the bundle's Info.plist; in an entitlements file they are ignored, and the usage description the user should see never appears.",
    fix: 'Move the key to Contents/Info.plist (or, for a bare tool, the embedded __TEXT,__info_plist section).',
    sources: [
      {
        label: 'Apple: Information Property List',
        url: 'https://developer.apple.com/documentation/bundleresources/information-property-list',
      },
    ],
  },
} satisfies Record<string, Rule>;
