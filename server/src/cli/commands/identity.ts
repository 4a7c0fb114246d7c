/**
 * `identity (--p12 FILE | --key KEY.pem --cert CERT.pem [--chain CHAIN.pem]) [--json]`: opens a signing identity as
 * the builtin signer would (the .p12 password from GO_MACOS_SIGN_P12_PASSWORD, never an argument) and says whom it
 * signs as, without signing anything. Exit 0 when it can sign an application for Developer ID distribution, 2 with one
 * line when it cannot (a password that does not open the file, no key, an expired certificate, the wrong certificate
 * type): the check the editor's identity picker runs before it saves a password, and a quick check in CI.
 */
import * as path from 'node:path';
import type { IdentityJson } from '../../protocol';
import { Command, lastValue, UsageError } from '../command';

export const identity: Command = {
  name: 'identity',
  group: 'setup',
  summary:
    'open a signing identity as the builtin signer would and print whom it signs as (nothing is signed);\n' +
    'exit 2 when it cannot sign an application (wrong password, expired, not Developer ID Application)',
  usage: '(--p12 FILE | --key KEY.pem --cert CERT.pem [--chain CHAIN.pem]) [--json]',
  options: [
    { flag: '--p12', value: 'FILE', help: 'a .p12 identity (password: $GO_MACOS_SIGN_P12_PASSWORD)' },
    { flag: '--key', value: 'FILE', help: 'a PEM private key, with --cert' },
    { flag: '--cert', value: 'FILE', help: 'the PEM certificate of --key' },
    { flag: '--chain', value: 'FILE', help: "PEM certificates above --cert (default: Apple's Developer ID chain)" },
    { flag: '--json', help: 'machine-readable output' },
  ],
  async run(args, io) {
    if (args.paths.length > 0) throw new UsageError('identity takes no paths: give --p12 FILE or --key and --cert');
    const file = (flag: string) => {
      const value = lastValue(args, flag);
      return value === undefined ? undefined : path.resolve(value);
    };
    const [p12, key, cert, chain] = [file('--p12'), file('--key'), file('--cert'), file('--chain')];
    if (p12 && (key || cert)) throw new UsageError('choose one identity: --p12 or --key/--cert');
    if (!p12 && !(key && cert)) throw new UsageError('identity needs --p12 FILE, or --key KEY.pem and --cert CERT.pem');
    if (chain && !cert) throw new UsageError('--chain completes --cert; it needs --key and --cert');
    // Loaded here: node-forge is only needed to open an identity.
    const { KIND_NAMES, loadP12File, loadPemFiles, requireApplicationSigning } =
      require('../../sign/identity') as typeof import('../../sign/identity');
    const { readCertificateDer } = require('../../macho/certificate') as typeof import('../../macho/certificate');
    const env = io.env ?? process.env;
    const loaded = p12 ? loadP12File(p12, env.GO_MACOS_SIGN_P12_PASSWORD ?? '') : loadPemFiles(key!, cert!, chain);
    requireApplicationSigning(loaded);
    const result: IdentityJson = {
      name: loaded.commonName,
      teamId: loaded.teamId,
      kind: loaded.kind,
      kindName: KIND_NAMES[loaded.kind],
      notAfter: readCertificateDer(loaded.certificate, 'the signing certificate').notAfter,
      chain: loaded.chain.length,
    };
    if (args.flags.has('--json')) io.out(JSON.stringify(result, null, 2));
    else
      io.out(
        `${result.name} (${result.kindName}${result.teamId ? `, team ${result.teamId}` : ''}, valid until ${result.notAfter})`,
      );
    return 0;
  },
};
