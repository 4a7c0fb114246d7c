/**
 * Benchmark: signing an 80-90 MB binary with the builtin signer, against verifying the same file and against the
 * physical floor measured in the same run (`openssl dgst -sha256` reading and hashing the file).
 *
 *   npm run bench                   (bundles this file to dist/bench-sign.js and runs it on the production CLI)
 *
 * Input: the file bench/verify.ts uses (next-swc.darwin-arm64.node, about 90 MB, re-signed ad hoc by the independent
 * Python signer). Prints, for whole processes (a fresh copy of the file for each signing run, not timed):
 *   - `go-macos-sign sign --adhoc` and `sign --key --cert --no-timestamp` (a test RSA identity made by openssl in
 *     the run; no time-stamp authority, whose network round trip is not ours to measure) against
 *     `go-macos-sign verify` (the goal: signing under 2x verifying) and `openssl dgst -sha256`;
 *   - peak resident memory of each.
 * Every figure is a wall time on a machine that may be shared: the load average is printed with them. Not a test.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { opensslCertificate } from '../test/support/testPki';
import { benchBinary, load, ProcessTiming, timeCliSign, timeCliVerify, timeOpensslDgst } from './wholeProcess';

/** A self-signed RSA-2048 code-signing certificate and its key, made by openssl for this run. */
function testIdentity(dir: string): { key: string; cert: string } {
  const made = opensslCertificate(dir, 'bench', '/CN=go-macos-sign bench/OU=BENCH12345/O=Bench', {
    extensions: ['extendedKeyUsage=codeSigning'],
  });
  return { key: made.key, cert: made.pem };
}

function row(what: string, t: ProcessTiming, floor: ProcessTiming, verify: ProcessTiming): string {
  const ms = (s: number) => `${(s * 1000).toFixed(0).padStart(5)} ms`;
  return `${what.padEnd(44)} ${ms(t.seconds)} (fastest ${ms(t.fastest)})  ${(t.seconds / floor.seconds).toFixed(2)}x openssl dgst  ${(t.seconds / verify.seconds).toFixed(2)}x verify  peak ${(t.maxRssKiB / 1024).toFixed(0)} MiB${t.status === 0 ? '' : `  (exit ${t.status})`}`;
}

function main(): void {
  const file = benchBinary();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gms-bench-identity-'));
  try {
    const identity = testIdentity(dir);
    const size = fs.statSync(file).size;
    console.log(`sign benchmark: ${path.basename(file)}, ${(size / 1e6).toFixed(1)} MB; load ${load()}`);
    const floor = timeOpensslDgst(file);
    const verify = timeCliVerify(file);
    const adhoc = timeCliSign(file, ['--via', 'builtin', '--adhoc']);
    const withKey = timeCliSign(file, [
      '--via',
      'builtin',
      '--key',
      identity.key,
      '--cert',
      identity.cert,
      '--no-timestamp',
    ]);
    console.log(row('openssl dgst -sha256', floor, floor, verify));
    console.log(row('go-macos-sign verify', verify, floor, verify));
    console.log(row('go-macos-sign sign --adhoc', adhoc, floor, verify));
    console.log(row('go-macos-sign sign --key --cert --no-timestamp', withKey, floor, verify));
    const worst = Math.max(adhoc.seconds, withKey.seconds) / verify.seconds;
    console.log(`signing / verifying: ${worst.toFixed(2)}x (goal: under 2x); load ${load()}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
}

main();
