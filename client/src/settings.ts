/** Reads the pipeline settings of a workspace folder (resource-scoped), and the machine-wide tool paths. */
import * as vscode from 'vscode';
import { notaryMethod, PipelineSettings, Step, stepSecrets } from './pipelineArgs';

export function pipelineSettings(folder?: vscode.WorkspaceFolder): PipelineSettings {
  const c = vscode.workspace.getConfiguration('goMacosSign', folder?.uri);
  const str = (key: string, fallback = '') => {
    const v = c.get<unknown>(key);
    return typeof v === 'string' ? v : fallback;
  };
  const archs = c.get<unknown>('build.architectures');
  const tools = c.get<unknown>('toolPaths');
  const toolPaths: Record<string, string> =
    typeof tools === 'object' && tools !== null
      ? Object.fromEntries(Object.entries(tools).filter((e): e is [string, string] => typeof e[1] === 'string'))
      : {};
  return {
    package: str('build.package', '.'),
    name: str('build.name'),
    outputDirectory: str('build.outputDirectory', 'dist'),
    ldflags: str('build.ldflags'),
    cgo: (['0', '1'].includes(str('build.cgo')) ? str('build.cgo') : 'default') as PipelineSettings['cgo'],
    architectures: Array.isArray(archs) ? archs.filter((a): a is string => typeof a === 'string') : ['arm64', 'amd64'],
    identity: str('signing.identity'),
    p12: str('signing.p12'),
    identifier: str('signing.identifier'),
    entitlements: str('signing.entitlements'),
    method: notaryMethod(
      str('notarization.method') === 'apiKey' ? 'apiKey' : 'keychainProfile',
      process.platform === 'darwin',
      toolPaths.xcrun,
    ),
    keychainProfile: str('notarization.keychainProfile'),
    keyId: str('notarization.keyId'),
    issuer: str('notarization.issuer'),
    timeout: str('notarization.timeout', '30m'),
    toolPaths,
  };
}

/** Where the API key's contents live: VS Code's secret storage, never settings. */
export const NOTARY_KEY_SECRET = 'goMacosSign.notaryApiKey';

/** Where the .p12 file's password lives: VS Code's secret storage, keyed by the file, never settings. */
export function p12PasswordSecret(p12: string): string {
  return `goMacosSign.p12Password:${p12}`;
}

/** The environment that carries secrets to the CLI process of a step (never its arguments). */
export async function secretEnv(
  secrets: vscode.SecretStorage,
  settings: PipelineSettings,
  step: Step,
): Promise<Record<string, string>> {
  const needs = stepSecrets(step);
  const env: Record<string, string> = {};
  if (needs.notary && settings.method === 'apiKey') {
    const key = await secrets.get(NOTARY_KEY_SECRET);
    if (key) env.GO_MACOS_SIGN_NOTARY_KEY = key;
  }
  if (needs.signing && settings.p12) {
    const password = await secrets.get(p12PasswordSecret(settings.p12));
    if (password !== undefined) env.GO_MACOS_SIGN_P12_PASSWORD = password;
  }
  return env;
}

/**
 * Whether the user lets the server ask Apple's ticket service about artifacts (only their cdhashes are sent, as
 * Gatekeeper does). Application-scoped: a workspace cannot turn it on.
 */
export function checkTicketsOnline(): boolean {
  return vscode.workspace.getConfiguration('goMacosSign').get<unknown>('checkTicketsOnline') === true;
}
