/**
 * notarytool's command lines and outputs, run through `xcrun` as Apple documents. Authentication uses notarytool's own
 * options: a keychain profile (made once with `notarytool store-credentials`, which is also how an Apple ID and its
 * app-specific password are used without ever appearing in a command line) or an App Store Connect API key file.
 * Submitting and waiting are separate calls so the submission id can be saved before the long wait.
 */

export type NotaryAuth =
  | { kind: 'keychain-profile'; profile: string; keychain?: string }
  | { kind: 'api-key'; keyFile: string; keyId: string; issuer?: string };

export function authArgs(auth: NotaryAuth): string[] {
  if (auth.kind === 'keychain-profile')
    return ['--keychain-profile', auth.profile, ...(auth.keychain ? ['--keychain', auth.keychain] : [])];
  return ['--key', auth.keyFile, '--key-id', auth.keyId, ...(auth.issuer ? ['--issuer', auth.issuer] : [])];
}

export const submitArgs = (file: string, auth: NotaryAuth) => [
  'notarytool',
  'submit',
  file,
  ...authArgs(auth),
  '--output-format',
  'json',
];
export const waitArgs = (id: string, auth: NotaryAuth, timeout: string) => [
  'notarytool',
  'wait',
  id,
  ...authArgs(auth),
  '--timeout',
  timeout,
  '--output-format',
  'json',
];
export const logArgs = (id: string, auth: NotaryAuth, output: string) => [
  'notarytool',
  'log',
  id,
  ...authArgs(auth),
  output,
];

function json(text: string, what: string): Record<string, unknown> {
  // notarytool may print progress lines before its JSON; the JSON object is the last line that starts with `{`.
  const line = text
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.trim().startsWith('{'));
  if (!line) throw new Error(`notarytool ${what} printed no JSON`);
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new Error(`notarytool ${what} printed invalid JSON`);
  }
}

/** `submit --output-format json`: `{"id": "...", "message": "Successfully uploaded file", "path": "..."}`. */
export function parseSubmit(stdout: string): { id: string; message: string } {
  const o = json(stdout, 'submit');
  if (typeof o.id !== 'string' || !/^[0-9a-f-]{8,}$/i.test(o.id))
    throw new Error('notarytool submit gave no submission id');
  return { id: o.id, message: typeof o.message === 'string' ? o.message : '' };
}

/** `wait --output-format json`: `{"id": "...", "status": "Accepted", "message": "Processing complete"}`. */
export function parseWait(stdout: string): { id: string; status: string; message: string } {
  const o = json(stdout, 'wait');
  return {
    id: typeof o.id === 'string' ? o.id : '',
    status: typeof o.status === 'string' ? o.status : 'unknown',
    message: typeof o.message === 'string' ? o.message : '',
  };
}
