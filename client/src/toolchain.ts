/**
 * What the toolchain language status says: which Go builds, which signer and which notary client the pipeline will
 * use, and whether their credentials are set. It decides as the CLI does (server/src/cli/signing.ts `signerFrom`,
 * server/src/cli/pipeline.ts `notaryBackend`) from the settings the client passes it, so the status names what a step
 * will actually run. Facts about the machine (tools found, secrets present) come in as booleans: no secret value ever
 * reaches this module. Pure (no `vscode` import): unit-tested.
 */
import type { PipelineSettings } from './pipelineArgs';

export interface ToolchainFacts {
  onMac: boolean;
  /** codesign / xcrun found: named in goMacosSign.toolPaths or on PATH. */
  codesign: boolean;
  xcrun: boolean;
  /** Whether secret storage holds the .p12's password and the App Store Connect key (never their values). */
  p12Password: boolean;
  notaryKey: boolean;
}

export interface SigningStatus {
  signer: 'codesign' | 'builtin' | 'none';
  notary: 'notarytool' | 'api' | 'none';
  /** One short line for the status bar: "builtin signer · Notary API". */
  text: string;
  /** What is set and what is missing, never a secret. */
  detail: string;
  /** True when nothing can sign or nothing can notarize: the status is a warning. */
  warning: boolean;
  /** The command that fixes the first missing piece. */
  fix?: { command: string; title: string };
}

export function signingStatus(s: PipelineSettings, f: ToolchainFacts): SigningStatus {
  const notes: string[] = [];
  // Signer: a .p12 goes to the builtin signer on any OS, a keychain identity to codesign (signerFrom's rule).
  let signer: SigningStatus['signer'] = 'none';
  if (s.p12) {
    signer = 'builtin';
    notes.push(
      `signs with the builtin signer and ${s.p12} (${f.p12Password ? 'password stored' : 'no password stored: empty password'})`,
    );
  } else if (s.identity) {
    if (f.codesign) {
      signer = 'codesign';
      notes.push('signs with codesign and a keychain identity');
    } else notes.push('a keychain identity needs codesign, which is not here (macOS only): use a .p12 file');
  } else notes.push('no signing identity (keychain identity or .p12 file)');

  // Notary: notarytool where xcrun runs; the Notary API with an API key elsewhere (notaryBackend's rule).
  let notary: SigningStatus['notary'] = 'none';
  const apiKey = s.method === 'apiKey' && Boolean(s.keyId) && f.notaryKey;
  if (s.method === 'apiKey' && !(s.keyId && f.notaryKey))
    notes.push(
      `API key incomplete: ${[!s.keyId && 'no key id', !f.notaryKey && 'no key stored'].filter(Boolean).join(', ')}`,
    );
  else if (s.method === 'keychainProfile' && !s.keychainProfile) notes.push('no keychain profile');
  if (apiKey && !f.onMac && !f.xcrun) {
    notary = 'api';
    notes.push('notarizes through the Notary API with the stored key');
  } else if (f.xcrun && (apiKey || (s.method === 'keychainProfile' && s.keychainProfile))) {
    notary = 'notarytool';
    notes.push(
      apiKey
        ? 'notarizes with notarytool and the stored key'
        : `notarizes with notarytool, profile ${s.keychainProfile}`,
    );
  } else if (s.method === 'keychainProfile' && s.keychainProfile)
    notes.push('a keychain profile needs notarytool (xcrun, macOS only): use an App Store Connect API key');
  else if (apiKey) notes.push('notarytool (xcrun) is not found on this Mac');

  const SIGNER = { codesign: 'codesign', builtin: 'builtin signer', none: 'cannot sign' };
  const NOTARY = { notarytool: 'notarytool', api: 'Notary API', none: 'cannot notarize' };
  const fix =
    signer === 'none'
      ? { command: 'goMacosSign.chooseIdentity', title: 'Choose Identity' }
      : notary === 'none'
        ? { command: 'goMacosSign.setUpCredentials', title: 'Set Up Credentials' }
        : undefined;
  return {
    signer,
    notary,
    text: `${SIGNER[signer]} · ${NOTARY[notary]}`,
    detail: notes.join('; '),
    warning: signer === 'none' || notary === 'none',
    ...(fix ? { fix } : {}),
  };
}

/** `go version` prints "go version go1.19.8 linux/amd64": the version and the host it runs on. */
export function parseGoVersion(output: string): { version: string; host: string } | undefined {
  const m = /^go version (go\S+|devel\b[^ ]*)(?:.*?\s(\w+\/\w+))?\s*$/m.exec(output);
  return m ? { version: m[1], host: m[2] ?? '' } : undefined;
}
