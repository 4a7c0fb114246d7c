// The main job on its embedded default: build the sample Go program in examples/hello for darwin/arm64 and
// darwin/amd64 with the local Go toolchain, combine them into a universal file, and print go-macos-sign's
// inspection and notarization-readiness report for all three. Output goes to .demo/.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

const root = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const out = join(root, '.demo');

function which(names) {
  for (const name of names) {
    if (name.startsWith('/')) {
      if (existsSync(name)) return name;
      continue;
    }
    for (const dir of (process.env.PATH ?? '').split(delimiter))
      if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}

const go = which([process.env.GO ?? 'go', '/usr/lib/go-1.19/bin/go', '/usr/local/go/bin/go']);
if (!go) {
  console.error(
    'go-macos-sign demo: the Go toolchain is needed to build the sample (apt-get install golang-1.19-go, or install Go)',
  );
  process.exit(2);
}
execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit', cwd: root });
mkdirSync(out, { recursive: true });
const env = { ...process.env, GOOS: 'darwin', CGO_ENABLED: '0', GOTOOLCHAIN: 'local' };
const targets = [
  ['arm64', 'hello-arm64'],
  ['amd64', 'hello-amd64'],
];
for (const [goarch, name] of targets) {
  execFileSync(go, ['build', '-trimpath', '-o', join(out, name), '.'], {
    cwd: join(root, 'examples', 'hello'),
    env: { ...env, GOARCH: goarch },
    stdio: 'inherit',
  });
}
const lipo = which(['llvm-lipo', 'llvm-lipo-14', 'lipo']);
if (lipo)
  execFileSync(
    lipo,
    ['-create', join(out, 'hello-arm64'), join(out, 'hello-amd64'), '-output', join(out, 'hello-universal')],
    { stdio: 'inherit' },
  );
else console.error('note: no lipo found; skipping the universal file');

const r = spawnSync(process.execPath, [join(root, 'dist', 'cli.js'), 'inspect', out, ...process.argv.slice(2)], {
  stdio: 'inherit',
});
// Exit 1 only means a readiness check failed, which is the point of the demo: fresh Go output is not notarizable.
process.exit(r.status === 1 ? 0 : (r.status ?? 1));
