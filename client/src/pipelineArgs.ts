/**
 * From the user's settings to the go-macos-sign CLI command line of each pipeline step: the one place the client
 * decides arguments, so tasks, palette commands and tree actions run exactly what a terminal or CI would.
 * Pure (no `vscode` import): unit-tested. Secrets never appear here; they travel in the environment of the process.
 */

export type Step = 'build' | 'sign' | 'notarize' | 'staple' | 'verify' | 'release' | 'lint';

export interface PipelineSettings {
  package: string;
  name: string;
  outputDirectory: string;
  ldflags: string;
  cgo: 'default' | '0' | '1';
  architectures: string[];
  identity: string;
  /** A PKCS#12 file holding the Developer ID identity, for the builtin signer (its password is in secret storage). */
  p12: string;
  identifier: string;
  entitlements: string;
  method: 'keychainProfile' | 'apiKey';
  keychainProfile: string;
  keyId: string;
  issuer: string;
  timeout: string;
  toolPaths: Record<string, string>;
}

export class SettingsError extends Error {}

/** The program's name: the setting, else the package folder's name. */
export function programName(s: PipelineSettings): string {
  if (s.name) return s.name;
  const parts = s.package
    .replace(/\/+$/, '')
    .split('/')
    .filter((p) => p && p !== '.');
  return parts[parts.length - 1] ?? 'program';
}

/** Where `release` and `build` leave the final artifact. */
export function defaultArtifact(s: PipelineSettings): string {
  return `${s.outputDirectory.replace(/\/+$/, '')}/${programName(s)}`;
}

function toolArgs(s: PipelineSettings): string[] {
  return Object.entries(s.toolPaths).flatMap(([name, p]) => (name && p ? ['--tool', `${name}=${p}`] : []));
}

function buildArgs(s: PipelineSettings): string[] {
  return [
    '--package',
    s.package,
    '--out',
    s.outputDirectory,
    '--name',
    programName(s),
    '--arch',
    (s.architectures.length > 0 ? s.architectures : ['arm64', 'amd64']).join(','),
    ...(s.ldflags ? ['--ldflags', s.ldflags] : []),
    ...(s.cgo !== 'default' ? ['--cgo', s.cgo] : []),
  ];
}

/**
 * A .p12 file signs with the builtin signer on any OS; a keychain identity name needs macOS's codesign. The CLI picks
 * the signer from what it is given, so the same settings work on a Mac, on Linux and in CI.
 */
function signArgs(s: PipelineSettings): string[] {
  if (!s.identity && !s.p12)
    throw new SettingsError(
      'No signing identity: run "Go macOS: Choose Signing Identity" (a keychain identity on macOS, or a .p12 file anywhere).',
    );
  return [
    ...(s.p12 ? ['--p12', s.p12] : ['--identity', s.identity]),
    ...(s.identifier ? ['--identifier', s.identifier] : []),
    ...(s.entitlements ? ['--entitlements', s.entitlements] : []),
  ];
}

function authArgs(s: PipelineSettings): string[] {
  if (s.method === 'keychainProfile') {
    if (!s.keychainProfile)
      throw new SettingsError('No keychain profile: run "Go macOS: Set Up Notarization Credentials".');
    return ['--keychain-profile', s.keychainProfile];
  }
  if (!s.keyId) throw new SettingsError('No API key id: run "Go macOS: Set Up Notarization Credentials".');
  // The key's contents come from secret storage through GO_MACOS_SIGN_NOTARY_KEY, never as an argument.
  return ['--key-id', s.keyId, ...(s.issuer ? ['--issuer', s.issuer] : [])];
}

/**
 * How the CLI authenticates to the notary service, given the setting: a keychain profile needs notarytool, which only
 * runs through xcrun on a Mac (or a tool path naming one), so elsewhere the App Store Connect API key is the way; the
 * CLI then talks to the Notary REST API itself (its default where xcrun does not run).
 */
export function notaryMethod(
  configured: PipelineSettings['method'],
  onMac: boolean,
  xcrunPath: string | undefined,
): PipelineSettings['method'] {
  return configured === 'apiKey' || (!onMac && !xcrunPath) ? 'apiKey' : 'keychainProfile';
}

/** The CLI arguments (after the script path) for a step; `artifact` for sign, notarize and staple. */
export function cliArgs(step: Step, s: PipelineSettings, artifact = defaultArtifact(s), json = false): string[] {
  const out = json ? ['--json'] : [];
  switch (step) {
    case 'build':
      return ['build', ...out, ...buildArgs(s), ...toolArgs(s)];
    case 'sign':
      return ['sign', ...out, ...signArgs(s), ...toolArgs(s), '--', artifact];
    case 'notarize':
      return ['notarize', ...out, ...authArgs(s), '--timeout', s.timeout || '30m', ...toolArgs(s), '--', artifact];
    case 'staple':
      return ['staple', ...out, ...toolArgs(s), '--', artifact];
    case 'verify':
      // Intact signatures and the readiness checks everywhere; on a Mac also codesign --verify --strict and spctl.
      return ['verify', '--readiness', ...toolArgs(s), '--', artifact];
    case 'release':
      return [
        'release',
        ...out,
        ...buildArgs(s),
        ...signArgs(s),
        ...authArgs(s),
        '--timeout',
        s.timeout || '30m',
        ...toolArgs(s),
      ];
    case 'lint':
      return ['lint', '.'];
  }
}

/** Which secrets a step's process needs in its environment: the notary key, the .p12 password. */
export function stepSecrets(step: Step): { notary: boolean; signing: boolean } {
  return {
    notary: step === 'notarize' || step === 'release',
    signing: step === 'sign' || step === 'release',
  };
}

/** `security find-identity -v -p codesigning` lines: `  1) <SHA-1> "Developer ID Application: NAME (TEAMID)"`. */
export function parseIdentities(output: string): { hash: string; name: string; developerId: boolean }[] {
  return [...output.matchAll(/^\s*\d+\)\s+([0-9A-F]{40})\s+"([^"]+)"/gim)].map((m) => ({
    hash: m[1],
    name: m[2],
    developerId: /^Developer ID Application:/.test(m[2]),
  }));
}
