/**
 * The generated workflow installs the CLI with `npm install --global github:OWNER/REPO#COMMIT`: npm clones the
 * repository, installs its dependencies and runs its `prepare` script, which must build dist/ from a clean checkout.
 * Here the same install runs against a clone of this repository's HEAD through a git+file URL (npm's git fetcher, the
 * same path as github:, without the network to GitHub): the installed `go-macos-sign` runs, and pins CI to the commit
 * it was built from. Slow (npm installs the dev dependencies into the clone), so it is one test in its own file.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { InitCiJson } from '../../server/src/protocol';
import { REPO, run, tempDir } from '../support/tools';

describe('the workflow’s CLI install step', () => {
  it('builds and installs go-macos-sign from a clean clone at a pinned commit', () => {
    const clone = path.join(tempDir('gms-clone-'), 'go-macos-sign');
    run('git', ['clone', '--quiet', '--no-hardlinks', REPO, clone]);
    const commit = run('git', ['-C', clone, 'rev-parse', 'HEAD']).trim();
    assert.ok(!fs.existsSync(path.join(clone, 'dist')), 'a clean checkout has no dist/');

    const prefix = tempDir('gms-global-');
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    run(npm, ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', `git+file://${clone}#${commit}`], {
      cwd: prefix,
    });
    const bin = path.join(prefix, 'bin', 'go-macos-sign');
    const { version } = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
    assert.equal(run(bin, ['--version']).trim(), version);

    const module = tempDir('gms-module-');
    fs.mkdirSync(path.join(module, 'cmd', 'tool'), { recursive: true });
    fs.writeFileSync(path.join(module, 'go.mod'), 'module example.com/tool\n\ngo 1.19\n');
    fs.writeFileSync(path.join(module, 'cmd', 'tool', 'main.go'), 'package main\n\nfunc main() {}\n');
    const result = JSON.parse(run(bin, ['init', 'ci', '--json', module])) as InitCiJson;
    assert.match(result.cli, new RegExp(`^github:[\\w.-]+/[\\w.-]+#${commit}$`));
    const workflow = fs.readFileSync(result.file, 'utf8');
    assert.ok(workflow.includes(`run: npm install --global ${result.cli}\n`));
  });
});
