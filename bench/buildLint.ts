/**
 * Benchmark: what one edit costs in the editor for build files and go.mod, against the floor of splitting the same
 * text into whitespace-separated words with a regular expression (the least any linter of these files must do),
 * measured in the same run.
 *
 *   npm run bench        (runs this after the other benchmarks)
 *
 * - a 5,000-line Makefile, fully re-linted (every edit re-lints the whole file);
 * - a go.mod with 300 requirements without go list: the module-sources and known-modules layers (a module cache
 *   folder that does not hold them, as on a machine that has not downloaded them);
 * - the same go.mod with a cached go list result: the cache lookup (hashing go.mod and go.sum) plus the lint.
 * Prints medians and ratios. Not a test.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { GoListCache } from '../server/src/goListCache';
import { CgoFinding } from '../server/src/lint/gomod/analyze';
import { lintDocument } from '../server/src/lint/lintFiles';
import { medianMs } from './timing';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 100);

function makefile(lines: number): string {
  const out = ['# release pipeline', 'LDFLAGS := -s -w -X main.version=$(VERSION)', 'export CGO_ENABLED=0', ''];
  for (let i = 0; out.length < lines; i++) {
    out.push(
      `build-${i}: deps-${i}`,
      `\tGOOS=darwin GOARCH=arm64 go build -trimpath -ldflags "$(LDFLAGS) -H=macOS" -o bin/tool-${i} ./cmd/tool-${i}`,
      `\t@echo "built tool-${i}" > logs/build-${i}.txt 2>&1`,
      `\tcodesign --force --deep --sign "$(IDENTITY)" --options runtime --timestamp bin/tool-${i}`,
      `\tditto -c -k --keepParent bin/tool-${i} dist/tool-${i}.zip && xcrun notarytool submit dist/tool-${i}.zip --keychain-profile "$(PROFILE)" --wait`,
      '',
    );
  }
  return out.slice(0, lines).join('\n') + '\n';
}

function goMod(requirements: number): { mod: string; sum: string } {
  const requires = Array.from(
    { length: requirements },
    (_, i) => `\tgithub.com/example/module-${i} v1.${i % 20}.${i % 7}${i % 3 === 0 ? ' // indirect' : ''}`,
  );
  requires[17] = '\tgithub.com/mattn/go-sqlite3 v1.14.16';
  const sum = requires.map((r) => `${r.trim().split(' ').slice(0, 2).join(' ')} h1:${'x'.repeat(43)}=\n`).join('');
  return { mod: `module example.com/big\n\ngo 1.22\n\nrequire (\n${requires.join('\n')}\n)\n`, sum };
}

const median = (fn: () => void) => medianMs(fn, ROUNDS, 10);

let sink = 0;
const words = (text: string) => () => {
  let n = 0;
  for (const _ of text.matchAll(/\S+/g)) n++;
  sink += n;
};

function report(name: string, text: string, lint: () => number): void {
  const floor = median(words(text));
  let diagnostics = 0;
  const ours = median(() => {
    diagnostics = lint();
  });
  console.log(
    `${name}: ${text.split('\n').length - 1} lines, ${(text.length / 1024).toFixed(0)} KiB, ${diagnostics} diagnostics`,
  );
  console.log(
    `  bare word split: ${floor.toFixed(2)} ms   lint: ${ours.toFixed(2)} ms   ratio ${(ours / floor).toFixed(1)} (median of ${ROUNDS})`,
  );
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gms-bench-'));
try {
  const mk = makefile(5000);
  report('Makefile, per-edit re-lint', mk, () => lintDocument(path.join(dir, 'Makefile'), mk).length);

  const { mod, sum } = goMod(300);
  fs.writeFileSync(path.join(dir, 'go.mod'), mod);
  fs.writeFileSync(path.join(dir, 'go.sum'), sum);
  process.env.GOMODCACHE = path.join(dir, 'empty-module-cache');
  report(
    'go.mod, 300 requirements, no go list (module sources + known modules)',
    mod,
    () => lintDocument(path.join(dir, 'go.mod'), mod).length,
  );

  // A cached go list result, as the language server holds it after one background run.
  const cache = new GoListCache(() => undefined);
  const uri = pathToFileURL(path.join(dir, 'go.mod')).toString();
  const findings: CgoFinding[] = [
    { module: 'github.com/mattn/go-sqlite3', packages: ['github.com/mattn/go-sqlite3'], layer: 'go list' },
  ];
  cache.remember(uri, [], findings);
  report(
    'go.mod, 300 requirements, cached go list result',
    mod,
    () => lintDocument(path.join(dir, 'go.mod'), mod, { cgoFindings: cache.cached(uri, []) }).length,
  );
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
if (sink < 0) console.log(sink);
