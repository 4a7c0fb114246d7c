/**
 * App Store Connect API keys for notarytool: the formats of their ids, and the private temporary file that carries a
 * key given as a secret (GO_MACOS_SIGN_NOTARY_KEY) to notarytool, which only reads keys from files.
 *
 * Contract: `keyIdProblem`/`issuerProblem` are pure and say why a value is not App Store Connect's format (null when it
 * is); callers refuse before anything is written. `writePrivateKey` creates AuthKey_<ID>.p8 in a folder of its own
 * (mkdtemp: new, 0700, unguessable), exclusively and with mode 0600, so nothing already there (a planted file or
 * symlink) is followed or reused, and registers the folder's removal before the first byte is written.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** A key id: 10 upper-case letters or digits, as in AuthKey_2X9R4HXF34.p8. */
const KEY_ID = /^[A-Z0-9]{10}$/;
/** An issuer id: a UUID, as App Store Connect shows it. */
const ISSUER = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function keyIdProblem(keyId: string): string | null {
  return KEY_ID.test(keyId)
    ? null
    : `an App Store Connect key id is 10 upper-case letters or digits, not ${JSON.stringify(keyId)}`;
}

export function issuerProblem(issuer: string): string | null {
  return ISSUER.test(issuer) ? null : `an App Store Connect issuer id is a UUID, not ${JSON.stringify(issuer)}`;
}

/** Writes `contents` to a new private key file for `keyId` (already checked); `cleanup` gets its removal. */
export function writePrivateKey(keyId: string, contents: string, cleanup: (() => void)[], tmp = os.tmpdir()): string {
  if (keyIdProblem(keyId)) throw new Error('writePrivateKey: the key id must be checked first');
  const dir = fs.mkdtempSync(path.join(tmp, 'gms-key-'));
  cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, `AuthKey_${keyId}.p8`);
  // 'wx' is O_CREAT|O_EXCL: the open fails on anything already there, a planted symbolic link included.
  fs.writeFileSync(file, contents, { flag: 'wx', mode: 0o600 });
  return file;
}
