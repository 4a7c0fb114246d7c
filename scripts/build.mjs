// Bundles the three processes (extension client, language server, CLI) plus the page-hash worker with esbuild.
// `--production` minifies and drops source maps, for `vsce package`; `--bench` also bundles the benchmarks;
// `--test-extension` bundles the API-level suite and its test-only host extension.
import * as esbuild from 'esbuild';
import { readFileSync, chmodSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const production = process.argv.includes('--production');
const { version, repository } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

/** The commit being built, when this is a git checkout (an npm git install clones one): `init ci` pins CI's CLI to it. */
function gitRevision() {
  const r = spawnSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return r.status === 0 && /^[0-9a-f]{40}$/.test(r.stdout.trim()) ? r.stdout.trim() : undefined;
}
/** owner/name of the GitHub repository in package.json. */
const githubRepository = /github\.com[/:]([^/]+\/[^/.]+)/.exec(repository?.url ?? '')?.[1];

const common = {
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  define: {
    PACKAGE_VERSION: JSON.stringify(version),
    GIT_REVISION: JSON.stringify(gitRevision() ?? ''),
    PACKAGE_REPOSITORY: JSON.stringify(githubRepository ?? ''),
  },
  // jsonc-parser's "main" is a UMD build whose dynamic requires esbuild cannot follow; its ES module build bundles cleanly.
  mainFields: ['module', 'main'],
};

// The CLI starts for every command, so it compiles only its own code: the large libraries that some commands need
// (node-forge and plist to sign, yaml to lint build files) are separate bundles in dist/vendor/, required when used.
const VENDORED = ['node-forge', 'plist', 'yaml'];
const vendored = {
  name: 'vendored',
  setup(build) {
    const filter = new RegExp(`^(${VENDORED.join('|')})$`);
    build.onResolve({ filter }, (args) => ({ path: `./vendor/${args.path}.js`, external: true }));
  },
};
const require = createRequire(import.meta.url);

await Promise.all([
  esbuild.build({
    ...common,
    entryPoints: ['client/src/extension.ts'],
    outfile: 'dist/client.js',
    external: ['vscode'],
  }),
  esbuild.build({ ...common, entryPoints: ['server/src/server.ts'], outfile: 'dist/server.js' }),
  // The executable is a small loader that runs the CLI's bundle through a V8 code cache (server/src/cli/bin.ts).
  esbuild.build({
    ...common,
    entryPoints: ['server/src/cli/bin.ts'],
    outfile: 'dist/cli.js',
    banner: { js: '#!/usr/bin/env node' },
  }),
  esbuild.build({
    ...common,
    entryPoints: ['server/src/cli/main.ts'],
    outfile: 'dist/cliMain.js',
    plugins: [vendored],
  }),
  ...VENDORED.map((name) =>
    esbuild.build({ ...common, entryPoints: [require.resolve(name)], outfile: `dist/vendor/${name}.js` }),
  ),
  esbuild.build({ ...common, entryPoints: ['server/src/macho/pageWorker.ts'], outfile: 'dist/pageWorker.js' }),
  ...(process.argv.includes('--bench')
    ? [
        esbuild.build({ ...common, entryPoints: ['bench/verify.ts'], outfile: 'dist/bench-verify.js' }),
        esbuild.build({ ...common, entryPoints: ['bench/sign.ts'], outfile: 'dist/bench-sign.js' }),
        esbuild.build({ ...common, entryPoints: ['bench/lint.ts'], outfile: 'dist/bench-lint.js' }),
        esbuild.build({ ...common, entryPoints: ['bench/buildLint.ts'], outfile: 'dist/bench-build-lint.js' }),
        esbuild.build({ ...common, entryPoints: ['bench/activation.ts'], outfile: 'dist/bench-activation.js' }),
      ]
    : []),
  // The API-level suite, for @vscode/test-electron and for the test-only extension that runs it in code-server.
  ...(process.argv.includes('--test-extension')
    ? [
        esbuild.build({
          ...common,
          entryPoints: ['test/vscode/suite/index.ts'],
          outfile: 'dist/test-suite.js',
          external: ['vscode'],
        }),
        esbuild.build({
          ...common,
          entryPoints: ['test/vscode/host-extension/extension.ts'],
          outfile: 'test/vscode/host-extension/dist/extension.js',
          external: ['vscode'],
        }),
      ]
    : []),
]);
chmodSync('dist/cli.js', 0o755);
