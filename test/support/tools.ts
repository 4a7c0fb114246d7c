/**
 * Real producers of test inputs: the Go toolchain, llvm-lipo, llvm-strip and npm packages written by others.
 *
 * Inputs are made or downloaded at test time into a cache outside the repository (GO_MACOS_SIGN_TEST_CACHE, default
 * ~/.cache/go-macos-sign-test), never committed. Commands run with argument arrays.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CHILD_LIMIT } from './bounds';
import { installHint, packageFor } from './systemPackages';

export const REPO = path.resolve(__dirname, '..', '..');
export const CACHE = process.env.GO_MACOS_SIGN_TEST_CACHE ?? path.join(os.homedir(), '.cache', 'go-macos-sign-test');

function firstExisting(candidates: string[]): string | null {
  for (const c of candidates) {
    if (path.isAbsolute(c)) {
      if (fs.existsSync(c)) return c;
      continue;
    }
    for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
      const full = path.join(dir, c);
      if (dir && fs.existsSync(full)) return full;
    }
  }
  return null;
}

export function findTool(names: string[], what: string): string {
  const found = firstExisting(names);
  if (!found)
    throw new Error(`${what} not found (looked for ${names.join(', ')}); ${installHint(packageFor(...names).name)}`);
  return found;
}

export const goTool = () =>
  findTool(
    [process.env.GO ?? 'go', '/usr/lib/go-1.19/bin/go', '/usr/lib/go/bin/go', '/usr/local/go/bin/go'],
    'the Go toolchain',
  );
export const lipoTool = () => findTool(['llvm-lipo', 'llvm-lipo-14', 'llvm-lipo-15', 'llvm-lipo-16'], 'llvm-lipo');
export const stripTool = () =>
  findTool(['llvm-strip', 'llvm-strip-14', 'llvm-strip-15', 'llvm-strip-16'], 'llvm-strip');

export function run(cmd: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  return execFileSync(cmd, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
    ...CHILD_LIMIT,
    ...options,
  });
}

/** Builds examples/hello (or `srcDir`) for darwin/`goarch` with the real Go toolchain, CGO off. */
export function buildGo(
  goarch: 'arm64' | 'amd64',
  outDir: string,
  options: { srcDir?: string; ldflags?: string; name?: string } = {},
): string {
  fs.mkdirSync(outDir, { recursive: true });
  const out = path.join(outDir, options.name ?? `hello-${goarch}`);
  const args = ['build', '-trimpath', '-o', out];
  if (options.ldflags) args.push(`-ldflags=${options.ldflags}`);
  run(goTool(), [...args, '.'], {
    cwd: options.srcDir ?? path.join(REPO, 'examples', 'hello'),
    env: {
      ...process.env,
      GOOS: 'darwin',
      GOARCH: goarch,
      CGO_ENABLED: '0',
      GOFLAGS: '-mod=mod',
      GOCACHE: path.join(CACHE, 'gocache'),
      GOPATH: path.join(CACHE, 'gopath'),
      GOTOOLCHAIN: 'local',
    },
  });
  return out;
}

export function lipoCreate(output: string, inputs: string[]): string {
  run(lipoTool(), ['-create', ...inputs, '-output', output]);
  return output;
}

/**
 * Downloads `spec` (name@version) with `npm pack` once and unpacks it; returns the package directory.
 * Versions are pinned by the callers so expectations stay true.
 */
export function npmPackage(spec: string): string {
  const dir = path.join(CACHE, 'npm', spec.replace(/[@/]/g, '_'));
  if (fs.existsSync(path.join(dir, 'package'))) return path.join(dir, 'package');
  // Unpack beside the final place and rename, so test files running in parallel never see half a package.
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const staging = fs.mkdtempSync(`${dir}.tmp-`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const json = run(npm, ['pack', spec, '--json', '--pack-destination', staging], { cwd: staging });
  const tarball = path.join(staging, (JSON.parse(json) as { filename: string }[])[0].filename);
  run('tar', ['-xzf', tarball, '-C', staging]);
  try {
    fs.renameSync(staging, dir);
  } catch {
    fs.rmSync(staging, { recursive: true, force: true }); // another process got there first
  }
  return path.join(dir, 'package');
}

/** A fresh temporary directory removed when the process exits. */
export function tempDir(prefix = 'gms-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs the bundled CLI (dist/cli.js) without colours; the exit code and both outputs, for tests that judge them. */
/**
 * The bundled CLI in a child process that does not block this one: for tests whose own servers (a time-stamp
 * authority) must answer the CLI while it runs.
 */
export function runCliAsync(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(REPO, 'dist', 'cli.js'), ...args],
      { timeout: CHILD_LIMIT.timeout, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export function runCli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(REPO, 'dist', 'cli.js'), ...args], {
    ...CHILD_LIMIT,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
