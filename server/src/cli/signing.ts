/**
 * From the command line to a signer: Apple's codesign with a keychain identity, or the builtin signer with a .p12
 * file, a PEM key and certificate, or ad hoc.
 *
 * `--via` chooses; without it, what the user gave decides (a .p12 or PEM identity can only be used by the builtin
 * signer, a keychain name only by codesign), and otherwise the platform: codesign on macOS, builtin elsewhere. The
 * .p12 password comes from GO_MACOS_SIGN_P12_PASSWORD (VS Code passes its secret storage's copy there), never from
 * an argument, where other users could read it in the process list.
 */
import * as path from 'node:path';
import { InputError } from '../errors';
import { readFileBounded } from '../fileAccess';
import { parseEntitlements } from '../sign/entitlements';
import type { Signer } from '../pipeline/steps';
import { lastValue, ParsedArgs, UsageError } from './command';

/** The option that names the PEM private key: `--key` for `sign`; `release` uses `--key` for the notary key. */
export type KeyFlag = '--key' | '--cert-key';

export function signerFrom(
  a: ParsedArgs,
  { env, cwd, onMac, keyFlag }: { env: NodeJS.ProcessEnv; cwd: string; onMac: boolean; keyFlag: KeyFlag },
): Signer {
  const one = (flag: string) => lastValue(a, flag);
  const file = (flag: string) => {
    const value = one(flag);
    return value === undefined ? undefined : path.resolve(cwd, value);
  };
  const p12 = file('--p12');
  const key = file(keyFlag);
  const cert = file('--cert');
  const chain = file('--chain');
  const adhoc = a.flags.has('--adhoc');
  const named = one('--identity') ?? (p12 || key || cert || adhoc ? undefined : env.GO_MACOS_SIGN_IDENTITY);
  const given = [p12 && '--p12', (key || cert) && `${keyFlag}/--cert`, adhoc && '--adhoc', named && '--identity'];
  const chosen = given.filter((g): g is string => typeof g === 'string');
  if (chosen.length > 1) throw new UsageError(`choose one identity: ${chosen.join(' or ')}`);
  if (chosen.length === 0) {
    throw new UsageError(
      `signing needs an identity: --p12 FILE (password in GO_MACOS_SIGN_P12_PASSWORD), ${keyFlag} KEY.pem --cert CERT.pem, --adhoc, or on macOS --identity "Developer ID Application: NAME (TEAMID)" (or GO_MACOS_SIGN_IDENTITY)`,
    );
  }
  if ((key === undefined) !== (cert === undefined)) throw new UsageError(`${keyFlag} and --cert go together`);
  if (chain && !cert) throw new UsageError(`--chain completes --cert; it needs ${keyFlag} and --cert`);

  const via = one('--via') ?? (named ? 'codesign' : p12 || key ? 'builtin' : onMac ? 'codesign' : 'builtin');
  if (via !== 'builtin' && via !== 'codesign') throw new UsageError(`--via takes builtin or codesign, not ${via}`);
  const runtime = !a.flags.has('--no-runtime');
  const timestamp = !a.flags.has('--no-timestamp');
  const identifier = one('--identifier');
  const entitlementsFile = file('--entitlements');

  if (via === 'codesign') {
    if (p12 || key) {
      throw new UsageError(
        'codesign signs with a keychain identity (--identity); a .p12 or PEM identity is for --via builtin',
      );
    }
    const identity = adhoc ? '-' : named!;
    return { via, options: { identity, identifier, entitlements: entitlementsFile, runtime, timestamp } };
  }
  if (named) {
    throw new UsageError(
      `the builtin signer cannot reach a keychain: export the identity to a .p12 file and give --p12 FILE, or ${keyFlag} KEY.pem --cert CERT.pem`,
    );
  }
  // Loaded here, not at start-up: node-forge is only needed to sign.
  const { loadP12File, loadPemFiles, timestampUrlFromEnv } = require('../sign') as typeof import('../sign');
  const identity = p12
    ? loadP12File(p12, env.GO_MACOS_SIGN_P12_PASSWORD ?? '')
    : key && cert
      ? loadPemFiles(key, cert, chain)
      : null;
  return {
    via,
    entitlementsFile,
    request: {
      identity,
      identifier,
      entitlements: entitlementsFile ? readEntitlements(entitlementsFile) : undefined,
      runtime,
      timestampUrl: identity && timestamp ? timestampUrlFromEnv(env) : null,
    },
  };
}

/**
 * `universal --via builtin|lipo`: lipo (or llvm-lipo) unless asked otherwise; the builtin writer needs no tool and
 * writes the same bytes. `release` picks the builtin writer with the builtin signer (cli/pipeline.ts).
 */
export function universalVia(a: ParsedArgs): 'builtin' | 'lipo' {
  const via = lastValue(a, '--via') ?? 'lipo';
  if (via !== 'builtin' && via !== 'lipo') throw new UsageError(`--via takes builtin or lipo, not ${via}`);
  return via;
}

/** The entitlements file's bytes, checked here so that a bad file is named in the one-line error. */
function readEntitlements(file: string): Buffer {
  const bytes = readFileBounded(file, 'text');
  try {
    parseEntitlements(bytes);
  } catch (error) {
    if (error instanceof InputError) throw new InputError(`${file}: ${error.message}`);
    throw error;
  }
  return bytes;
}
