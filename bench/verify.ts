/**
 * Benchmark: verifying every code page of a large real binary, against the physical floor of hashing those bytes
 * once with the CPU's SHA instructions, measured in the same run.
 *
 *   npm run bench [-- FILE]        (bundles this file to dist/bench-verify.js and runs it)
 *
 * Default input: next-swc.darwin-arm64.node from @next/swc-darwin-arm64@16.4.6 (about 90 MB, a real Mach-O written
 * by others), downloaded once into the test cache. Prints:
 *   - in-process verification throughput (MB/s of signed bytes) single-threaded and with worker threads, and each
 *     as a ratio of `openssl speed -evp sha256 -bytes 4096` (OpenSSL hashing 4 KiB blocks, the page size we hash);
 *   - whole-process time of `go-macos-sign verify FILE` against `openssl dgst -sha256 FILE` and `sha256sum FILE`;
 *   - peak resident memory of `go-macos-sign verify`, with node's own start-up footprint for comparison.
 * Not a test: it asserts nothing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseFatArchs, sniffMachO } from '../server/src/macho/container';
import { parseMachO } from '../server/src/macho/loadCommands';
import { readSignature } from '../server/src/macho/signature';
import { FileSource, ByteSource } from '../server/src/macho/source';
import { verifySignature } from '../server/src/macho/verify';
import { npmPackage } from '../test/support/tools';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
/** The bench runs bundled from dist/ (so its worker threads load dist/pageWorker.js, as the CLI's do). */
const REPO = path.resolve(__dirname, '..');
const MB = 1e6;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function defaultFile(): string {
  return path.join(npmPackage('@next/swc-darwin-arm64@16.4.6'), 'next-swc.darwin-arm64.node');
}

/** OpenSSL's SHA-256 rate on 4 KiB blocks, bytes per second. */
function opensslRate(): number {
  const out = execFileSync('openssl', ['speed', '-evp', 'sha256', '-bytes', '4096', '-seconds', '3'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const line = out.trim().split('\n').at(-1)!; // "sha256   1960015.87k"
  return Number(line.trim().split(/\s+/).at(-1)!.replace(/k$/, '')) * 1000;
}

/** Wall time and peak RSS (KiB) of a whole process, via GNU time. */
function timeProcess(cmd: string, args: string[]): { seconds: number; maxRssKiB: number; status: number | null } {
  const started = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], { encoding: 'utf8', maxBuffer: 64 * MB });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const maxRssKiB = Number(r.stderr.trim().split('\n').at(-1));
  return { seconds, maxRssKiB, status: r.status };
}

async function signedSlices(file: FileSource): Promise<ByteSource[]> {
  const head = file.read(0, 8);
  if (sniffMachO(head) === 'universal') return parseFatArchs(file).map((a) => file.slice(a.offset, a.size, file.name));
  return [file];
}

/** Seconds to verify every slice's pages in-process, and the number of signed bytes hashed. */
async function verifyInProcess(
  fileName: string,
  parallel: boolean,
): Promise<{ seconds: number; bytes: number; valid: boolean }> {
  const file = await FileSource.open(fileName);
  try {
    let bytes = 0;
    let valid = true;
    const started = process.hrtime.bigint();
    for (const slice of await signedSlices(file)) {
      const image = parseMachO(slice);
      const signature = readSignature(slice, image);
      const report = await verifySignature(slice, image, signature, {}, { parallel });
      valid &&= report.valid;
      bytes += signature?.codeDirectories.reduce((n, cd) => n + cd.codeLimit, 0) ?? 0;
    }
    return { seconds: Number(process.hrtime.bigint() - started) / 1e9, bytes, valid };
  } finally {
    await file.close();
  }
}

async function main(): Promise<void> {
  const target = process.argv[2] ?? defaultFile();
  const size = fs.statSync(target).size;
  const cli = path.join(REPO, 'dist', 'cli.js');
  console.log(`file: ${target} (${(size / MB).toFixed(1)} MB)`);

  const floor = opensslRate();
  console.log(`floor: openssl speed -evp sha256 -bytes 4096: ${(floor / MB).toFixed(0)} MB/s`);

  for (const parallel of [false, true]) {
    const runs: number[] = [];
    let bytes = 0;
    for (let i = 0; i < RUNS + 1; i++) {
      const r = await verifyInProcess(target, parallel);
      if (!r.valid) console.log('  (note: the signature does not verify; timing still covers every page)');
      if (i > 0) runs.push(r.seconds); // the first run warms the page cache
      bytes = r.bytes;
    }
    const rate = bytes / median(runs);
    console.log(
      `in-process verify (${parallel ? 'worker threads' : 'one thread'}): ${(rate / MB).toFixed(0)} MB/s, ` +
        `${((rate / floor) * 100).toFixed(0)}% of OpenSSL's rate (median of ${RUNS}, ${(bytes / MB).toFixed(1)} MB signed)`,
    );
  }

  const measure = (cmd: string, args: string[]) => {
    timeProcess(cmd, args); // warm-up
    const runs = Array.from({ length: RUNS }, () => timeProcess(cmd, args));
    return {
      seconds: median(runs.map((r) => r.seconds)),
      maxRssKiB: Math.max(...runs.map((r) => r.maxRssKiB)),
      status: runs[0].status,
    };
  };
  const ours = measure(process.execPath, [cli, 'verify', target]);
  const dgst = measure('openssl', ['dgst', '-sha256', target]);
  const sum = measure('sha256sum', [target]);
  console.log(`whole process (median of ${RUNS}):`);
  console.log(`  go-macos-sign verify  ${ours.seconds.toFixed(3)} s  (exit ${ours.status})`);
  console.log(
    `  openssl dgst -sha256  ${dgst.seconds.toFixed(3)} s  -> go-macos-sign / openssl = ${(ours.seconds / dgst.seconds).toFixed(2)}`,
  );
  console.log(
    `  sha256sum             ${sum.seconds.toFixed(3)} s  -> go-macos-sign / sha256sum = ${(ours.seconds / sum.seconds).toFixed(2)}`,
  );
  const nodeAlone = measure(process.execPath, ['-e', '0']);
  console.log(
    `peak memory of go-macos-sign verify: ${(ours.maxRssKiB / 1024).toFixed(0)} MiB for a ${(size / MB).toFixed(0)} MB file ` +
      `(node alone: ${(nodeAlone.maxRssKiB / 1024).toFixed(0)} MiB; openssl dgst: ${(dgst.maxRssKiB / 1024).toFixed(0)} MiB). ` +
      'Buffers are fixed-size chunks, so this does not grow with the file.',
  );
}

void main();
