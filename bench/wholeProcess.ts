/**
 * Whole-process timing for the benchmarks: wall time and peak resident memory of a command (GNU time), the machine's
 * hashing floor (`openssl speed`), and the CLI's commands on one file, so that verify and sign are measured the same
 * way and in the same run as their floor (`openssl dgst -sha256` of the same file).
 *
 * `timeCliSign` is the hook for the signer's benchmark: it times `go-macos-sign sign ARGS COPY` on a fresh copy of the
 * file each run (the copy is not timed), as `timeCliVerify` times `go-macos-sign verify FILE`; `benchBinary` makes the
 * file both use.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { npmPackage } from '../test/support/tools';

/** The repository (the benchmarks run bundled from dist/). */
export const REPO = path.resolve(__dirname, '..');
export const CLI = path.join(REPO, 'dist', 'cli.js');
export const RUNS = Number(process.env.BENCH_RUNS ?? 7);
export const MB = 1e6;

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** OpenSSL's single-core SHA-256 rate on 4 KiB blocks (the page size we hash), bytes per second. */
export function opensslRate(seconds = 3): number {
  const out = execFileSync('openssl', ['speed', '-evp', 'sha256', '-bytes', '4096', '-seconds', String(seconds)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const line = out.trim().split('\n').at(-1)!; // "sha256   1960015.87k"
  return Number(line.trim().split(/\s+/).at(-1)!.replace(/k$/, '')) * 1000;
}

export interface ProcessTiming {
  /** Median wall time, and the fastest run (the least disturbed by other processes). */
  seconds: number;
  fastest: number;
  /** Largest peak resident set over the runs, KiB. */
  maxRssKiB: number;
  /** Median CPU time (user + system, every thread): what contention for the cores does not inflate as much. */
  cpuSeconds: number;
  status: number | null;
}

/** One run: wall time, peak RSS and CPU time via GNU time. */
function timeOnce(
  cmd: string,
  args: string[],
  env?: NodeJS.ProcessEnv,
): { seconds: number; maxRssKiB: number; cpu: number; status: number | null } {
  const started = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M %U %S', cmd, ...args], { encoding: 'utf8', maxBuffer: 64 * MB, env });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const [rss, user, system] = r.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
  return { seconds, maxRssKiB: rss, cpu: user + system, status: r.status };
}

/** A warm-up run, then `runs` timed runs; `prepare` runs before each (untimed) and returns the arguments. */
export function timeProcess(
  cmd: string,
  args: string[] | (() => string[]),
  runs = RUNS,
  env?: NodeJS.ProcessEnv,
): ProcessTiming {
  const argv = typeof args === 'function' ? args : () => args;
  timeOnce(cmd, argv(), env);
  const all = Array.from({ length: runs }, () => timeOnce(cmd, argv(), env));
  return {
    seconds: median(all.map((r) => r.seconds)),
    fastest: Math.min(...all.map((r) => r.seconds)),
    maxRssKiB: Math.max(...all.map((r) => r.maxRssKiB)),
    cpuSeconds: median(all.map((r) => r.cpu)),
    status: all[0].status,
  };
}

/** A command as `timeProcess` and `pairedRatio` take it. */
export interface Run {
  cmd: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

/**
 * `a` and `b` in turn, A B A B ..., after one warm-up of each, and the median of the wall-time ratios a/b pair by
 * pair: a change of the machine's load during the run then moves both sides of each ratio alike, which timing all of
 * one and then all of the other does not (the figures printed beside it).
 */
export function pairedRatio(a: Run, b: Run, runs = RUNS): { median: number; fastest: number } {
  timeOnce(a.cmd, a.args, a.env);
  timeOnce(b.cmd, b.args, b.env);
  const ratios = Array.from(
    { length: runs },
    () => timeOnce(a.cmd, a.args, a.env).seconds / timeOnce(b.cmd, b.args, b.env).seconds,
  );
  return { median: median(ratios), fastest: Math.min(...ratios) };
}

export const cliVerify = (file: string, env?: NodeJS.ProcessEnv): Run => ({
  cmd: process.execPath,
  args: [CLI, 'verify', file],
  env,
});
export const opensslDgst = (file: string): Run => ({ cmd: 'openssl', args: ['dgst', '-sha256', file] });

export function timeCliVerify(file: string, runs = RUNS, env?: NodeJS.ProcessEnv): ProcessTiming {
  return timeProcess(process.execPath, [CLI, 'verify', file], runs, env);
}

/**
 * This environment without NODE_EXTRA_CA_CERTS, or null when it is not set. Node reads and parses that file at every
 * start (tens of milliseconds for a system CA bundle) before any of our code runs, so a machine that sets it has a
 * higher floor; the benchmark prints the figures both ways.
 */
export function withoutExtraCerts(): NodeJS.ProcessEnv | null {
  if (!process.env.NODE_EXTRA_CA_CERTS) return null;
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

/** `go-macos-sign sign ...signArgs COPY` on a fresh copy of `file` each run (e.g. signArgs `--via builtin --adhoc`). */
export function timeCliSign(file: string, signArgs: string[], runs = RUNS): ProcessTiming {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gms-bench-sign-'));
  let n = 0;
  try {
    return timeProcess(
      process.execPath,
      () => {
        const copy = path.join(dir, `${n++}-${path.basename(file)}`);
        fs.copyFileSync(file, copy);
        return [CLI, 'sign', ...signArgs, copy];
      },
      runs,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function timeOpensslDgst(file: string, runs = RUNS): ProcessTiming {
  return timeProcess('openssl', ['dgst', '-sha256', file], runs);
}

/** The load average, printed with the figures: the machine may be shared, and every figure is a wall time. */
export function load(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

/** The default input: a real 90 MB Mach-O, re-signed ad hoc by the independent Python signer into a temporary file. */
export function benchBinary(): string {
  const original = path.join(npmPackage('@next/swc-darwin-arm64@16.4.6'), 'next-swc.darwin-arm64.node');
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gms-bench-')), 'next-swc.darwin-arm64.node');
  execFileSync(
    'python3',
    [path.join(REPO, 'test', 'support', 'adhoc_sign.py'), original, out, '--identifier', 'next-swc.darwin-arm64'],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  return out;
}
