// Runs every test: type-check, bundle, then node's test runner over test/**/*.test.ts through tsx.
// Extra arguments are passed to `node --test` (for example a file list or --test-name-pattern).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function step(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return find(full);
    return name.endsWith('.test.ts') ? [full] : [];
  });
}

const extra = process.argv.slice(2);
const files = extra.filter((a) => !a.startsWith('-'));
const flags = extra.filter((a) => a.startsWith('-'));
step(process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', '.']);
step(process.execPath, ['scripts/build.mjs']);
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...flags, ...(files.length ? files : find('test').sort())], { stdio: 'inherit' });
process.exit(r.status ?? 1);
