/**
 * The authoritative cgo layer: `go list -deps -json ./...` for GOOS=darwin and each target GOARCH, with cgo on, so
 * the go command itself says which packages of the build have CgoFiles. It runs read-only and offline: GOFLAGS is set
 * explicitly to -mod=readonly (or -mod=vendor), GOPROXY=off and GOTOOLCHAIN=local, so go.mod and go.sum are never
 * rewritten and nothing is downloaded; GOWORK=off, so a go.work file planted in the workspace or above it cannot
 * swap modules in. Arguments are an array; no shell ever sees them.
 *
 * An answer with holes is no answer: when the go command fails, or loads some package with an error (a module not
 * downloaded, a go.sum entry missing), `goListCgo` throws a GoListError saying why, and the caller falls back.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { checkRegularFile, FileAccessError, pathKind } from '../fileAccess';
import { withoutSecrets } from './runner';

export interface GoListOptions {
  /** The module root (the folder of go.mod). */
  dir: string;
  goarchs: string[];
  /** The go command; `go` on PATH by default. */
  go?: string;
  /** Extra environment (tests set GOMODCACHE); our offline settings always win. */
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export class GoListError extends Error {}

interface Package {
  ImportPath: string;
  Standard?: boolean;
  Module?: { Path: string; Main?: boolean };
  CgoFiles?: string[];
  Imports?: string[];
  ImportMap?: Record<string, string>;
  Error?: { Err?: string };
}

/** The environment that keeps `go list` from changing files or reaching the network. */
export function offlineEnv(dir: string, goarch: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const vendored = pathKind(path.join(dir, 'vendor', 'modules.txt')) !== 'missing';
  return {
    ...process.env,
    ...extra,
    GOOS: 'darwin',
    GOARCH: goarch,
    CGO_ENABLED: '1',
    GOFLAGS: vendored ? '-mod=vendor' : '-mod=readonly',
    GOPROXY: 'off',
    GOTOOLCHAIN: 'local',
    GOWORK: 'off',
  };
}

function run(options: GoListOptions, goarch: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(options.go ?? 'go', ['list', '-e', '-deps', '-json', './...'], {
      cwd: options.dir,
      env: withoutSecrets(offlineEnv(options.dir, goarch, options.env)),
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: options.signal,
    });
    // Our own timer rather than spawn's `timeout`, which is only cleared on 'exit' and so outlives a failed spawn.
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new GoListError(
          e.code === 'ENOENT' ? `${options.go ?? 'go'} not found` : e.name === 'AbortError' ? 'cancelled' : e.message,
        ),
      );
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else
        reject(
          new GoListError(
            signal
              ? `go list stopped (${signal})`
              : failureReason(Buffer.concat(err).toString('utf8'), options.dir) || `go list exited with ${code}`,
          ),
        );
    });
  });
}

/**
 * The go command's own explanation, as one line: headers such as "go: errors parsing go.mod:" left out, the module
 * folder shortened away, the "to add: go get ..." advice dropped (we never change go.mod).
 */
export function failureReason(stderr: string, dir: string): string {
  const lines = stderr
    .split('\n')
    .map((l) =>
      l
        .trim()
        .split(`${dir}${path.sep}`)
        .join('')
        .replace(/^go: /, '')
        .replace(/; to add:?$/, ''),
    )
    .filter((l) => l && !/:$/.test(l) && !/^go get\b/.test(l));
  const reason = lines[0] ?? '';
  return reason.length > 240 ? `${reason.slice(0, 239)}…` : reason;
}

/** The first package go list could not load, as a reason; undefined when every package loaded. */
export function packageErrors(packages: Package[], dir: string): string | undefined {
  const broken = packages.find((p) => p.Error?.Err);
  if (!broken) return undefined;
  return `cannot load ${broken.ImportPath}: ${failureReason(broken.Error!.Err!, dir)}`;
}

/** `go list -json` prints one JSON object after another; splits them without a streaming parser. */
export function splitObjects(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') {
      if (depth++ === 0) start = i;
    } else if (c === '}' && --depth === 0) out.push(text.slice(start, i + 1));
  }
  return out;
}

/** A module whose packages import "C" in the darwin build, as go list reports it (the linter judges it). */
export interface CgoModule {
  module: string;
  /** Its packages that import "C". */
  packages: string[];
  /** Module paths from the requirement written in go.mod down to `module`, when it is not required directly. */
  chain?: string[];
}

/** Cgo modules of one `go list -deps` result, each with the chain of modules that pulls it into the main module. */
export function cgoModules(packages: Package[]): CgoModule[] {
  const byPath = new Map(packages.map((p) => [p.ImportPath, p]));
  const parent = new Map<string, string>();
  const queue = packages.filter((p) => p.Module?.Main).map((p) => p.ImportPath);
  const visited = new Set(queue);
  while (queue.length > 0) {
    const current = byPath.get(queue.shift()!);
    for (const raw of current?.Imports ?? []) {
      const next = current?.ImportMap?.[raw] ?? raw;
      if (visited.has(next)) continue;
      visited.add(next);
      parent.set(next, current!.ImportPath);
      queue.push(next);
    }
  }
  const found = new Map<string, CgoModule>();
  for (const p of packages) {
    if (p.Standard || !p.Module || p.Module.Main || !p.CgoFiles?.length || !visited.has(p.ImportPath)) continue;
    const chain: string[] = [];
    for (let at: string | undefined = p.ImportPath; at; at = parent.get(at)) {
      const module = byPath.get(at)?.Module;
      if (!module || module.Main) continue;
      if (chain[0] !== module.Path) chain.unshift(module.Path);
    }
    const finding = found.get(p.Module.Path) ?? {
      module: p.Module.Path,
      packages: [],
      ...(chain.length > 1 ? { chain } : {}),
    };
    finding.packages.push(p.ImportPath);
    found.set(p.Module.Path, finding);
  }
  return [...found.values()];
}

/**
 * The files go list reads first must be regular files within our limit, or absent: go would block on a FIFO named
 * go.sum until our timeout, and read a link to /dev/zero without end.
 */
function checkModuleFiles(dir: string): void {
  for (const name of ['go.mod', 'go.sum', path.join('vendor', 'modules.txt')]) {
    try {
      checkRegularFile(path.join(dir, name), 'text');
    } catch (error) {
      if (!(error instanceof FileAccessError)) throw error;
      if (error.problem !== 'missing') throw new GoListError(`${name}: ${error.reason}`);
    }
  }
}

/** Cgo modules for every target architecture, merged. */
export async function goListCgo(options: GoListOptions): Promise<CgoModule[]> {
  checkModuleFiles(options.dir);
  const merged = new Map<string, CgoModule>();
  for (const goarch of options.goarchs) {
    const text = await run(options, goarch);
    const packages = splitObjects(text).map((o) => JSON.parse(o) as Package);
    const broken = packageErrors(packages, options.dir);
    if (broken) throw new GoListError(broken);
    for (const finding of cgoModules(packages)) {
      const existing = merged.get(finding.module);
      if (existing) existing.packages = [...new Set([...existing.packages, ...finding.packages])];
      else merged.set(finding.module, finding);
    }
  }
  return [...merged.values()];
}
