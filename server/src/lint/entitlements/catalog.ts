/**
 * The entitlement keys a Go developer shipping macOS software may meet: one source of truth for the linter, hover
 * and completion. Each entry names Apple's documentation page for the key; descriptions and the Go advice are ours.
 *
 * Categories: `runtime-exception` (relaxes a hardened-runtime protection), `resource-access` (hardened-runtime access
 * to protected resources), `sandbox` (only meaningful with App Sandbox on), `restricted` (must be authorized by a
 * provisioning profile), `development` (never in a release signature), `capability` (other services).
 */

export type EntitlementType = 'boolean' | 'string' | 'array' | 'dictionary';
export type EntitlementCategory =
  'runtime-exception' | 'resource-access' | 'sandbox' | 'restricted' | 'development' | 'capability';
export type Distribution = 'developer-id' | 'mac-app-store';

export interface EntitlementInfo {
  key: string;
  type: EntitlementType;
  /** Apple's name for it. */
  title: string;
  /** What it allows, in our words. */
  description: string;
  category: EntitlementCategory;
  distribution: Distribution[];
  /** What a Go developer should know, when there is something specific. */
  go?: string;
  url: string;
}

const DOCS = 'https://developer.apple.com/documentation/bundleresources/entitlements/';

/** The hardened-runtime exceptions that form a superset cascade (Apple DTS, forum thread 776290). */
export const JIT_CASCADE = [
  'com.apple.security.cs.allow-jit',
  'com.apple.security.cs.allow-unsigned-executable-memory',
  'com.apple.security.cs.disable-executable-page-protection',
];
const BOTH: Distribution[] = ['developer-id', 'mac-app-store'];

function entry(
  key: string,
  type: EntitlementType,
  category: EntitlementCategory,
  title: string,
  description: string,
  extra: Partial<EntitlementInfo> = {},
): EntitlementInfo {
  return { key, type, category, title, description, distribution: BOTH, url: `${DOCS}${key}`, ...extra };
}

const NO_JIT_IN_GO =
  'Pure Go code never creates executable memory at run time, so a Go program does not need this. Only cgo code or a linked C library that JIT-compiles (a JavaScript engine, LuaJIT, PCRE2 with JIT) does.';

export const ENTITLEMENTS: EntitlementInfo[] = [
  // Hardened-runtime exceptions
  entry(
    'com.apple.security.cs.allow-jit',
    'boolean',
    'runtime-exception',
    'Allow execution of JIT-compiled code',
    'Lets the process map writable and executable memory with MAP_JIT.',
    { go: NO_JIT_IN_GO },
  ),
  entry(
    'com.apple.security.cs.allow-unsigned-executable-memory',
    'boolean',
    'runtime-exception',
    'Allow unsigned executable memory',
    'Lets the process create writable and executable memory without MAP_JIT; a superset of allow-jit.',
    { go: NO_JIT_IN_GO },
  ),
  entry(
    'com.apple.security.cs.disable-executable-page-protection',
    'boolean',
    'runtime-exception',
    'Disable executable memory protection',
    'Turns off code-signing protection of executable pages entirely; on Apple silicon the same as allow-unsigned-executable-memory.',
    { go: NO_JIT_IN_GO },
  ),
  entry(
    'com.apple.security.cs.allow-dyld-environment-variables',
    'boolean',
    'runtime-exception',
    'Allow DYLD environment variables',
    'Lets DYLD_* environment variables (library injection) take effect in the process.',
    {
      go: 'A Go program needs this only if it must honour DYLD_INSERT_LIBRARIES or DYLD_LIBRARY_PATH, which is rare and weakens it against injection.',
    },
  ),
  entry(
    'com.apple.security.cs.disable-library-validation',
    'boolean',
    'runtime-exception',
    'Disable library validation',
    'Lets the process load libraries, frameworks and plug-ins signed by other teams (or unsigned).',
    {
      go: 'A Go program needs this only if it loads code it did not sign itself: Go plugins (plugin.Open) built by someone else, or a C library opened with dlopen through cgo that another team signed.',
    },
  ),
  entry(
    'com.apple.security.cs.debugger',
    'boolean',
    'runtime-exception',
    'Debugging tool',
    'Lets the process attach to other processes as a debugger.',
    { go: 'Only for tools that are debuggers themselves, such as Delve; not for programs that want to be debugged.' },
  ),
  // Development only
  entry(
    'com.apple.security.get-task-allow',
    'boolean',
    'development',
    'Get task allow',
    'Lets other processes (debuggers) get the task port of this one.',
    {
      go: 'Delve needs it in debug builds; a release signature must not have it, or notarization fails.',
    },
  ),
  // Resource access under the hardened runtime
  entry(
    'com.apple.security.device.audio-input',
    'boolean',
    'resource-access',
    'Audio input',
    'Access to the microphone under the hardened runtime.',
  ),
  entry('com.apple.security.device.camera', 'boolean', 'resource-access', 'Camera', 'Access to the camera.'),
  entry(
    'com.apple.security.personal-information.location',
    'boolean',
    'resource-access',
    'Location',
    'Access to location services.',
  ),
  entry(
    'com.apple.security.personal-information.addressbook',
    'boolean',
    'resource-access',
    'Address book',
    "Access to the user's contacts.",
  ),
  entry(
    'com.apple.security.personal-information.calendars',
    'boolean',
    'resource-access',
    'Calendars',
    "Access to the user's calendars.",
  ),
  entry(
    'com.apple.security.personal-information.photos-library',
    'boolean',
    'resource-access',
    'Photos library',
    "Access to the user's photos library.",
  ),
  entry(
    'com.apple.security.automation.apple-events',
    'boolean',
    'resource-access',
    'Apple Events',
    'Lets the process send Apple Events to other apps (automation).',
  ),
  // App Sandbox
  entry(
    'com.apple.security.app-sandbox',
    'boolean',
    'sandbox',
    'App Sandbox',
    'Runs the process in the App Sandbox; required for the Mac App Store.',
    {
      go: 'A command-line tool distributed with Developer ID does not need the sandbox; a sandboxed tool run from Terminal cannot read files the user names on the command line without extra entitlements.',
    },
  ),
  entry(
    'com.apple.security.inherit',
    'boolean',
    'sandbox',
    'Inherit sandbox',
    'A helper tool inherits the sandbox of the app that starts it.',
  ),
  entry(
    'com.apple.security.network.client',
    'boolean',
    'sandbox',
    'Outgoing network connections',
    'Sandboxed process may open outgoing network connections.',
  ),
  entry(
    'com.apple.security.network.server',
    'boolean',
    'sandbox',
    'Incoming network connections',
    'Sandboxed process may listen for incoming connections.',
  ),
  entry(
    'com.apple.security.files.user-selected.read-only',
    'boolean',
    'sandbox',
    'User-selected files (read)',
    'Read access to files the user chooses in an open panel.',
  ),
  entry(
    'com.apple.security.files.user-selected.read-write',
    'boolean',
    'sandbox',
    'User-selected files (read/write)',
    'Read and write access to files the user chooses.',
  ),
  entry(
    'com.apple.security.files.downloads.read-only',
    'boolean',
    'sandbox',
    'Downloads folder (read)',
    'Read access to the Downloads folder.',
  ),
  entry(
    'com.apple.security.files.downloads.read-write',
    'boolean',
    'sandbox',
    'Downloads folder (read/write)',
    'Read and write access to the Downloads folder.',
  ),
  entry(
    'com.apple.security.files.bookmarks.app-scope',
    'boolean',
    'sandbox',
    'App-scoped bookmarks',
    'Security-scoped bookmarks that keep access to files across launches.',
  ),
  entry(
    'com.apple.security.files.bookmarks.document-scope',
    'boolean',
    'sandbox',
    'Document-scoped bookmarks',
    'Security-scoped bookmarks stored within documents.',
  ),
  ...(['pictures', 'music', 'movies'] as const).flatMap((folder) => [
    entry(
      `com.apple.security.assets.${folder}.read-only`,
      'boolean',
      'sandbox',
      `${folder[0].toUpperCase()}${folder.slice(1)} folder (read)`,
      `Read access to the ${folder[0].toUpperCase()}${folder.slice(1)} folder.`,
    ),
    entry(
      `com.apple.security.assets.${folder}.read-write`,
      'boolean',
      'sandbox',
      `${folder[0].toUpperCase()}${folder.slice(1)} folder (read/write)`,
      `Read and write access to the ${folder[0].toUpperCase()}${folder.slice(1)} folder.`,
    ),
  ]),
  entry('com.apple.security.device.usb', 'boolean', 'sandbox', 'USB', 'Sandboxed process may talk to USB devices.'),
  entry(
    'com.apple.security.device.bluetooth',
    'boolean',
    'sandbox',
    'Bluetooth',
    'Sandboxed process may use Bluetooth.',
  ),
  entry(
    'com.apple.security.device.microphone',
    'boolean',
    'sandbox',
    'Microphone (sandbox)',
    'Sandboxed process may use the microphone.',
  ),
  entry('com.apple.security.print', 'boolean', 'sandbox', 'Printing', 'Sandboxed process may print.'),
  // Capabilities shared by both distributions
  entry(
    'com.apple.security.smartcard',
    'boolean',
    'capability',
    'Smart cards',
    'Access to smart-card slots and smart cards through CryptoTokenKit (and, for sandboxed apps, the legacy PCSC API).',
    {
      go: 'Needed by Go programs that talk to PIV tokens or smart cards through cgo bindings to PCSC or CryptoTokenKit.',
    },
  ),
  entry(
    'com.apple.security.application-groups',
    'array',
    'capability',
    'App Groups',
    'Shared containers and IPC between apps of one team; values start with the team ID.',
  ),
  entry(
    'keychain-access-groups',
    'array',
    'capability',
    'Keychain access groups',
    'Keychain groups the process may share; values start with the team ID (App ID prefix).',
  ),
  // Restricted: authorized only by a provisioning profile
  entry(
    'com.apple.application-identifier',
    'string',
    'restricted',
    'Application identifier',
    'The App ID (TEAMID.bundle.id); comes from the provisioning profile.',
  ),
  entry(
    'com.apple.developer.team-identifier',
    'string',
    'restricted',
    'Team identifier',
    'The developer team ID; comes from the provisioning profile.',
  ),
  entry(
    'com.apple.developer.associated-domains',
    'array',
    'restricted',
    'Associated Domains',
    'Domains for universal links and shared web credentials.',
  ),
  entry(
    'com.apple.developer.aps-environment',
    'string',
    'restricted',
    'Push notifications environment',
    'APNs environment: development or production.',
  ),
  entry(
    'com.apple.developer.icloud-container-identifiers',
    'array',
    'restricted',
    'iCloud containers',
    'iCloud container identifiers the app may use.',
  ),
  entry(
    'com.apple.developer.icloud-services',
    'array',
    'restricted',
    'iCloud services',
    'iCloud services the app uses (CloudKit, CloudDocuments).',
  ),
  entry(
    'com.apple.developer.ubiquity-kvstore-identifier',
    'string',
    'restricted',
    'iCloud key-value store',
    'The iCloud key-value store identifier.',
  ),
  entry(
    'com.apple.developer.networking.networkextension',
    'array',
    'restricted',
    'Network Extensions',
    'Network extension types the app provides (VPN, content filter, DNS proxy...).',
    {
      go: 'Outside the Mac App Store, a network extension ships as a system extension, and the values carry the -systemextension suffix (packet-tunnel-provider-systemextension, for example).',
    },
  ),
  entry(
    'com.apple.developer.system-extension.install',
    'boolean',
    'restricted',
    'System Extension',
    'Lets the app install system extensions.',
  ),
  entry(
    'com.apple.developer.endpoint-security.client',
    'boolean',
    'restricted',
    'Endpoint Security',
    'Lets a system extension or daemon receive Endpoint Security events; Apple grants it on request.',
    {
      go: 'A Go daemon using Endpoint Security must be wrapped in an app-like bundle with an embedded provisioning profile; a bare executable cannot carry one.',
      distribution: ['developer-id'],
    },
  ),
];

const BY_KEY = new Map(ENTITLEMENTS.map((e) => [e.key, e]));

export function entitlement(key: string): EntitlementInfo | undefined {
  return BY_KEY.get(key);
}

/** Keys that only take effect inside the App Sandbox. */
export function isSandboxOnly(info: EntitlementInfo): boolean {
  return info.category === 'sandbox' && info.key !== 'com.apple.security.app-sandbox';
}

/**
 * Levenshtein distance if it is at most `cap`, else `cap + 1`. Only the diagonal band |i - j| <= cap can hold such a
 * path (Ukkonen), so each row costs 2·cap + 1 cells instead of the whole string: linting thousands of unknown keys
 * against the catalog stays cheap.
 */
export function editDistance(a: string, b: string, cap = 3): number {
  if (Math.abs(a.length - b.length) > cap) return cap + 1;
  const far = cap + 1;
  let previous = new Array<number>(b.length + 1).fill(far);
  for (let j = 0; j <= Math.min(b.length, cap); j++) previous[j] = j;
  for (let i = 1; i <= a.length; i++) {
    const current = new Array<number>(b.length + 1).fill(far);
    if (i <= cap) current[0] = i;
    let rowMin = current[0];
    const from = Math.max(1, i - cap);
    const to = Math.min(b.length, i + cap);
    for (let j = from; j <= to; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost, far);
      if (current[j] < rowMin) rowMin = current[j];
    }
    if (rowMin > cap) return far;
    previous = current;
  }
  return previous[b.length];
}

const MAX_TYPO = 3;
const Q = 3;

/** The q-gram at `i` as a number (UTF-16 units packed), so counting needs no string allocation. */
function gramAt(text: string, i: number): number {
  return (text.charCodeAt(i) * 65536 + text.charCodeAt(i + 1)) * 65536 + text.charCodeAt(i + 2);
}

function qgrams(text: string): Map<number, number> {
  const grams = new Map<number, number>();
  for (let i = 0; i + Q <= text.length; i++) {
    const g = gramAt(text, i);
    grams.set(g, (grams.get(g) ?? 0) + 1);
  }
  return grams;
}

/** q-gram → [catalog index, occurrences] for every catalog key: the filter in front of edit distance. */
let gramIndex: Map<number, [number, number][]> | null = null;

function index(): Map<number, [number, number][]> {
  if (gramIndex) return gramIndex;
  const built = new Map<number, [number, number][]>();
  ENTITLEMENTS.forEach((e, i) => {
    for (const [g, n] of qgrams(e.key)) built.set(g, [...(built.get(g) ?? []), [i, n]]);
  });
  return (gramIndex = built);
}

/**
 * The catalog key closest to `key`, if it is close enough to be a typo. Two strings within edit distance k share at
 * least max(|a|,|b|) − q + 1 − k·q q-grams (Ukkonen's q-gram lemma), so only keys that pass that count are compared
 * by edit distance; a key like "com.example.x" shares almost nothing with Apple's and costs a few map look-ups.
 */
export function suggestKey(key: string): string | undefined {
  // Re-linting as the user types asks about the same keys again and again: remember the answers (bounded).
  const cached = suggestions.get(key);
  if (cached !== undefined) return cached ?? undefined;
  if (suggestions.size >= 10_000) suggestions.clear();
  const found = closestKey(key);
  suggestions.set(key, found ?? null);
  return found;
}

/** null: "no suggestion", remembered as such. */
const suggestions = new Map<string, string | null>();

function closestKey(key: string): string | undefined {
  const grams = index();
  const shared = new Int32Array(ENTITLEMENTS.length);
  const seen = new Map<number, number>(); // occurrences so far of each indexed gram, for multiset counting
  for (let p = 0; p + Q <= key.length; p++) {
    const g = gramAt(key, p);
    const list = grams.get(g);
    if (!list) continue;
    const n = (seen.get(g) ?? 0) + 1;
    seen.set(g, n);
    for (const [i, m] of list) if (n <= m) shared[i]++;
  }
  let best: { key: string; distance: number } | undefined;
  ENTITLEMENTS.forEach((e, i) => {
    if (shared[i] < Math.max(key.length, e.key.length) - Q + 1 - MAX_TYPO * Q) return;
    const distance = editDistance(key, e.key, MAX_TYPO);
    if (distance <= MAX_TYPO && (!best || distance < best.distance)) best = { key: e.key, distance };
  });
  return best?.key;
}

/** Info.plist keys that people put in entitlements files by mistake (and the reverse check uses the catalog). */
export const INFO_PLIST_KEY =
  /^(CF[A-Z]|NS[A-Z]\w*UsageDescription$|LS[A-Z]|NSHumanReadableCopyright$|NSPrincipalClass$|NSHighResolutionCapable$)/;
