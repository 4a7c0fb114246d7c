// Runs every test: type-check, formatting (whole suite only), bundle, then node's test runner over test/**/*.test.ts through tsx.
// Extra arguments are passed to `node --test` (for example a file list or --test-name-pattern).
//
// A hang never stalls the suite: --test-timeout bounds every test file (Node 20 applies it to each file's process as a
// whole), and inside a file every child process and every wait has its own limit (test/support/bounds.ts).
// Before the tests, one line names any system package from scripts/system-packages.txt that is missing.
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

/** Far above the slowest file on a loaded 2-core machine (about 3 minutes), so only a hang reaches it. */
const FILE_TIMEOUT_MS = 600_000;

const extra = process.argv.slice(2);
const files = extra.filter((a) => !a.startsWith('-'));
const flags = extra.filter((a) => a.startsWith('-'));
step(process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', '.']);
// The whole suite also checks the formatting (`npm run format` fixes it); a run of chosen files does not.
if (files.length === 0)
  step(process.execPath, ['node_modules/prettier/bin/prettier.cjs', '--check', '--log-level=warn', '**/*.{ts,mjs}']);
step(process.execPath, ['scripts/build.mjs']);
step(process.execPath, ['--import', 'tsx', 'test/support/checkPackages.ts', 'test']);
const r = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    `--test-timeout=${FILE_TIMEOUT_MS}`,
    ...flags,
    ...(files.length ? files : find('test').sort()),
  ],
  { stdio: 'inherit' },
);
process.exit(r.status ?? 1);
