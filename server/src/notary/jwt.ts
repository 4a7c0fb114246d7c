/**
 * The bearer token of the Notary REST API: an ES256 JWT signed with an App Store Connect API key (.p8).
 *
 * Contract: `loadApiKey` turns the .p8 text into a key object, or throws an InputError of one line saying what is wrong
 * with it (never its contents). `mintToken` is pure given its clock: header `{alg: ES256, kid, typ: JWT}`, claims
 * `{iss, iat, exp, aud: "appstoreconnect-v1", scope: ["/notary/v2"]}` per Apple's "Generating Tokens for API Requests"
 * (an individual key has no issuer and says `sub: "user"` instead; Apple's "Creating API Keys" says individual keys
 * cannot use notarytool's service, so callers refuse them with a message first). Apple refuses tokens that live more
 * than 20 minutes, and a wait can last hours: callers mint a fresh token for every request, never one per wait.
 * JWS wants the raw r||s signature (64 bytes), not DER: `dsaEncoding: 'ieee-p1363'`.
 */
import { createPrivateKey, KeyObject, sign } from 'node:crypto';
import { InputError } from '../errors';
import { issuerProblem, keyIdProblem } from './keyFile';

export const AUDIENCE = 'appstoreconnect-v1';
export const NOTARY_SCOPE = '/notary/v2';
/** How long a token lives: well under Apple's 20-minute ceiling, so a slow clock or a slow request stays inside it. */
export const TOKEN_LIFETIME_S = 10 * 60;

export interface ApiKey {
  keyId: string;
  /** The issuer UUID of a team key; null for an individual key. */
  issuer: string | null;
  key: KeyObject;
}

/** Reads an App Store Connect key (.p8: PKCS#8 PEM of a P-256 key); every failure is one line naming the fix. */
export function loadApiKey(pem: string, keyId: string, issuer: string | null): ApiKey {
  const idProblem = keyIdProblem(keyId);
  if (idProblem) throw new InputError(idProblem);
  if (issuer !== null) {
    const problem = issuerProblem(issuer);
    if (problem) throw new InputError(problem);
  }
  const text = pem.trim();
  const bad = (why: string) =>
    new InputError(
      `the App Store Connect key (.p8) ${why}: use the AuthKey_${keyId}.p8 file App Store Connect gave you`,
    );
  if (!/^-----BEGIN PRIVATE KEY-----[\s\S]+-----END PRIVATE KEY-----$/.test(text))
    throw bad(
      /BEGIN EC PRIVATE KEY/.test(text)
        ? 'is a SEC1 "EC PRIVATE KEY", not the PKCS#8 "PRIVATE KEY" App Store Connect issues'
        : /BEGIN/.test(text)
          ? 'is not a "PRIVATE KEY" PEM block'
          : 'is not PEM text (no -----BEGIN PRIVATE KEY----- line)',
    );
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: text, format: 'pem' });
  } catch {
    throw bad('cannot be read (damaged or truncated base64)');
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
    throw bad(`is a ${key.asymmetricKeyType ?? 'unknown'} key, not an ECDSA P-256 key`);
  return { keyId, issuer, key };
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/** A token for one request, issued at `nowMs` (the caller's clock). */
export function mintToken(apiKey: ApiKey, nowMs: number, lifetimeS = TOKEN_LIFETIME_S): string {
  const iat = Math.floor(nowMs / 1000);
  const header = { alg: 'ES256', kid: apiKey.keyId, typ: 'JWT' };
  const claims = {
    ...(apiKey.issuer !== null ? { iss: apiKey.issuer } : { sub: 'user' }),
    iat,
    exp: iat + Math.min(lifetimeS, 20 * 60),
    aud: AUDIENCE,
    scope: [NOTARY_SCOPE],
  };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const signature = sign('sha256', Buffer.from(input), { key: apiKey.key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${b64url(signature)}`;
}
