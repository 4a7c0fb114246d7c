/** Reads the pipeline settings of a workspace folder (resource-scoped), and the machine-wide tool paths. */
import * as vscode from 'vscode';
import type { PipelineSettings } from './pipelineArgs';

export function pipelineSettings(folder?: vscode.WorkspaceFolder): PipelineSettings {
  const c = vscode.workspace.getConfiguration('goMacosSign', folder?.uri);
  const str = (key: string, fallback = '') => {
    const v = c.get<unknown>(key);
    return typeof v === 'string' ? v : fallback;
  };
  const archs = c.get<unknown>('build.architectures');
  const tools = c.get<unknown>('toolPaths');
  return {
    package: str('build.package', '.'),
    name: str('build.name'),
    outputDirectory: str('build.outputDirectory', 'dist'),
    ldflags: str('build.ldflags'),
    cgo: (['0', '1'].includes(str('build.cgo')) ? str('build.cgo') : 'default') as PipelineSettings['cgo'],
    architectures: Array.isArray(archs) ? archs.filter((a): a is string => typeof a === 'string') : ['arm64', 'amd64'],
    identity: str('signing.identity'),
    identifier: str('signing.identifier'),
    entitlements: str('signing.entitlements'),
    method: str('notarization.method') === 'apiKey' ? 'apiKey' : 'keychainProfile',
    keychainProfile: str('notarization.keychainProfile'),
    keyId: str('notarization.keyId'),
    issuer: str('notarization.issuer'),
    timeout: str('notarization.timeout', '30m'),
    toolPaths:
      typeof tools === 'object' && tools !== null
        ? Object.fromEntries(Object.entries(tools).filter((e): e is [string, string] => typeof e[1] === 'string'))
        : {},
  };
}

/** Where the API key's contents live: VS Code's secret storage, never settings. */
export const NOTARY_KEY_SECRET = 'goMacosSign.notaryApiKey';

/** The environment that carries secrets to the CLI process (never its arguments). */
export async function secretEnv(
  secrets: vscode.SecretStorage,
  settings: PipelineSettings,
): Promise<Record<string, string>> {
  if (settings.method !== 'apiKey') return {};
  const key = await secrets.get(NOTARY_KEY_SECRET);
  return key ? { GO_MACOS_SIGN_NOTARY_KEY: key } : {};
}
