/**
 * Benchmark: hashing and verifying every code page of an 80-90 MB binary, against the physical floor measured in the
 * same run: OpenSSL hashing 4 KiB blocks on one core, and `openssl dgst -sha256` reading and hashing the same file.
 *
 *   npm run bench [-- FILE]        (bundles this file to dist/bench-verify.js and runs it on the production CLI)
 *
 * Default input, made in the run: next-swc.darwin-arm64.node from @next/swc-darwin-arm64@16.4.6 (about 90 MB, a real
 * Mach-O written by others, downloaded once into the test cache) re-signed ad hoc by test/support/adhoc_sign.py (an
 * independent signer), so verify checks a signature this run wrote. Prints:
 *   - in-process page hashing (hashPages, SHA-256, 4 KiB pages) on one thread and on all threads, in MB/s and as a
 *     ratio of `openssl speed -evp sha256 -bytes 4096` (one core); and in-process verification, the same two ways;
 *   - whole-process `go-macos-sign verify FILE` against `openssl dgst -sha256 FILE` (the goal: at most 2.5x) and
 *     `node -e 0` (Node's own start-up, the part no change of ours removes), each timed over its own runs, then the
 *     two run in turn with the median of the pairwise ratios (what a machine whose load drifts changes least);
 *   - peak resident memory of each.
 * Every figure is a wall time on a machine that may be shared: the load average is printed with them. Not a test: it
 * asserts nothing. The signer's benchmark times `go-macos-sign sign` on the same file with `timeCliSign`
 * (bench/wholeProcess.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseFatArchs, sniffMachO } from '../server/src/macho/container';
import { parseMachO } from '../server/src/macho/loadCommands';
import { hashPages } from '../server/src/macho/pageHashes';
import { pageWorkersReady, parallelThreads } from '../server/src/macho/parallelPages';
import { readSignature } from '../server/src/macho/signature';
import { ByteSource, FileSource } from '../server/src/macho/source';
import { verifySignature } from '../server/src/macho/verify';
import {
  benchBinary,
  cliVerify,
  load,
  MB,
  median,
  opensslDgst,
  opensslRate,
  pairedRatio,
  RUNS,
  timeCliVerify,
  timeOpensslDgst,
  timeProcess,
  withoutExtraCerts,
} from './wholeProcess';

async function withFile<T>(file: string, use: (source: FileSource) => Promise<T>): Promise<T> {
  const source = await FileSource.open(file);
  try {
    return await use(source);
  } finally {
    await source.close();
  }
}

function slices(file: FileSource): ByteSource[] {
  if (sniffMachO(file.read(0, 8)) === 'universal')
    return parseFatArchs(file).map((a) => file.slice(a.offset, a.size, file.name));
  return [file];
}

/** Median seconds of `run` over RUNS runs after one warm-up (which also fills the page cache and starts the pool). */
async function timed(run: () => Promise<void>): Promise<number> {
  await run();
  const runs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = process.hrtime.bigint();
    await run();
    runs.push(Number(process.hrtime.bigint() - started) / 1e9);
  }
  return median(runs);
}

/** Bytes per second of hashPages over the whole file (SHA-256, 4 KiB pages). */
async function hashRate(file: string, parallel: boolean): Promise<number> {
  return withFile(file, async (source) => {
    const spec = { algorithm: 'sha256' as const, pageSize: 4096, codeLimit: source.size };
    return source.size / (await timed(async () => void (await hashPages(source, spec, { parallel }))));
  });
}

/** Bytes per second of in-process verification (every slice, every CodeDirectory), and whether it is valid. */
async function verifyRate(file: string, parallel: boolean): Promise<{ rate: number; valid: boolean }> {
  return withFile(file, async (source) => {
    let bytes = 0;
    let valid = true;
    const seconds = await timed(async () => {
      bytes = 0;
      for (const slice of slices(source)) {
        const image = parseMachO(slice);
        const signature = readSignature(slice, image);
        const report = await verifySignature(slice, image, signature, {}, { parallel });
        valid &&= report.valid;
        bytes += signature?.codeDirectories.reduce((n, cd) => n + cd.codeLimit, 0) ?? 0;
      }
    });
    return { rate: bytes / seconds, valid };
  });
}

const rate = (bytesPerSecond: number) => `${(bytesPerSecond / MB).toFixed(0)} MB/s`;
const ratio = (a: number, b: number) => (a / b).toFixed(2);

async function main(): Promise<void> {
  const made = process.argv[2] === undefined;
  const target = process.argv[2] ?? benchBinary();
  const size = fs.statSync(target).size;
  console.log(`file: ${target} (${(size / MB).toFixed(1)} MB); ${parallelThreads()} threads; load ${load()}`);

  const floor = opensslRate();
  console.log(`floor: openssl speed -evp sha256 -bytes 4096 (one core): ${rate(floor)}`);

  await pageWorkersReady();
  for (const parallel of [false, true]) {
    const label = parallel ? `all ${parallelThreads()} threads` : 'one thread';
    const hashed = await hashRate(target, parallel);
    const verified = await verifyRate(target, parallel);
    console.log(
      `in-process, ${label}: hashPages ${rate(hashed)} = ${ratio(hashed, floor)} x openssl's one core; ` +
        `verify ${rate(verified.rate)} = ${ratio(verified.rate, floor)} x${verified.valid ? '' : ' (INVALID signature)'}`,
    );
  }

  const ours = timeCliVerify(target);
  const dgst = timeOpensslDgst(target);
  const node = timeProcess(process.execPath, ['-e', '0']);
  console.log(`whole process (median of ${RUNS}; fastest in brackets):`);
  console.log(
    `  go-macos-sign verify  ${ours.seconds.toFixed(3)} s [${ours.fastest.toFixed(3)}] (exit ${ours.status}), ` +
      `peak ${(ours.maxRssKiB / 1024).toFixed(0)} MiB, CPU ${ours.cpuSeconds.toFixed(3)} s`,
  );
  console.log(
    `  openssl dgst -sha256  ${dgst.seconds.toFixed(3)} s [${dgst.fastest.toFixed(3)}], ` +
      `peak ${(dgst.maxRssKiB / 1024).toFixed(0)} MiB, CPU ${dgst.cpuSeconds.toFixed(3)} s`,
  );
  console.log(
    `  node -e 0             ${node.seconds.toFixed(3)} s [${node.fastest.toFixed(3)}], ` +
      `peak ${(node.maxRssKiB / 1024).toFixed(0)} MiB, CPU ${node.cpuSeconds.toFixed(3)} s`,
  );
  console.log(
    `  verify / openssl dgst = ${ratio(ours.seconds, dgst.seconds)} (fastest runs: ${ratio(ours.fastest, dgst.fastest)}; goal <= 2.5)`,
  );
  const paired = pairedRatio(cliVerify(target), opensslDgst(target));
  console.log(
    `  run in turn (verify, openssl dgst, ...): median of the ${RUNS} ratios ${paired.median.toFixed(2)}, ` +
      `smallest ${paired.fastest.toFixed(2)} (goal <= 2.5)`,
  );
  const plain = withoutExtraCerts();
  if (plain) {
    const oursPlain = timeCliVerify(target, RUNS, plain);
    const nodePlain = timeProcess(process.execPath, ['-e', '0'], RUNS, plain);
    console.log(
      `without NODE_EXTRA_CA_CERTS (set here: node reads it at every start): go-macos-sign verify ` +
        `${oursPlain.seconds.toFixed(3)} s [${oursPlain.fastest.toFixed(3)}], node -e 0 ${nodePlain.seconds.toFixed(3)} s ` +
        `[${nodePlain.fastest.toFixed(3)}]; verify / openssl dgst = ${ratio(oursPlain.seconds, dgst.seconds)} ` +
        `(fastest runs: ${ratio(oursPlain.fastest, dgst.fastest)})`,
    );
    const pairedPlain = pairedRatio(cliVerify(target, plain), opensslDgst(target));
    console.log(
      `  without it, run in turn: median of the ${RUNS} ratios ${pairedPlain.median.toFixed(2)}, ` +
        `smallest ${pairedPlain.fastest.toFixed(2)}`,
    );
  }
  console.log(`load at the end: ${load()}`);
  if (made) fs.rmSync(path.dirname(target), { recursive: true, force: true });
}

void main();
