/**
 * The generated workflow's "Install go-macos-sign" step, run as GitHub's runner runs it, against a clone of this
 * repository's HEAD named by a git+file URL (npm's git fetcher, the path `github:OWNER/REPO#COMMIT` takes, without the
 * network to GitHub): npm clones it, installs its dependencies, runs its `prepare` script, which must build dist/ from
 * a clean checkout, and the step puts the CLI on the PATH of the later steps. The CLI so built pins CI to the commit
 * it came from. Slow (npm installs the dev dependencies into the clone), so it is one test in its own file.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { parseDocument } from 'yaml';
import type { InitCiJson } from '../../server/src/protocol';
import { CHILD_LIMIT } from '../support/bounds';
import { REPO, run, runCli, tempDir } from '../support/tools';

describe('the workflow’s CLI install step', () => {
  it('builds go-macos-sign from a clean clone at a pinned commit and puts it on PATH', () => {
    const clone = path.join(tempDir('gms-clone-'), 'go-macos-sign');
    run('git', ['clone', '--quiet', '--no-hardlinks', REPO, clone]);
    const commit = run('git', ['-C', clone, 'rev-parse', 'HEAD']).trim();
    assert.ok(!fs.existsSync(path.join(clone, 'dist')), 'a clean checkout has no dist/');

    const module = tempDir('gms-module-');
    fs.mkdirSync(path.join(module, 'cmd', 'tool'), { recursive: true });
    fs.writeFileSync(path.join(module, 'go.mod'), 'module example.com/tool\n\ngo 1.19\n');
    fs.writeFileSync(path.join(module, 'cmd', 'tool', 'main.go'), 'package main\n\nfunc main() {}\n');
    const generated = runCli('init', 'ci', '--cli', `git+file://${clone}#${commit}`, module);
    assert.equal(generated.code, 0, generated.stderr);
    const workflow = parseDocument(fs.readFileSync(path.join(module, '.github/workflows/macos-release.yml'), 'utf8'));
    const steps = (workflow.toJS() as { jobs: { release: { steps: { name?: string; run?: string }[] } } }).jobs.release
      .steps;
    const install = steps.find((s) => s.name === 'Install go-macos-sign');
    assert.ok(install?.run);

    const runnerTemp = tempDir('gms-runner-');
    const githubPath = path.join(runnerTemp, 'github_path');
    fs.writeFileSync(githubPath, '');
    const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', install.run], {
      ...CHILD_LIMIT,
      cwd: module,
      encoding: 'utf8',
      env: { ...process.env, RUNNER_TEMP: runnerTemp, GITHUB_PATH: githubPath },
    });
    assert.equal(r.status, 0, r.stdout + r.stderr);

    // The next steps find `go-macos-sign` through the directory the step added to GITHUB_PATH.
    const added = fs.readFileSync(githubPath, 'utf8').trim();
    const PATH = `${added}${path.delimiter}${process.env.PATH}`;
    const cli = (...args: string[]) =>
      run('go-macos-sign', args, { cwd: module, env: { ...process.env, PATH } }).trim();
    const { version } = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
    assert.equal(cli('--version'), version);
    // Built from a git checkout, the CLI pins the workflows it writes to that checkout's commit.
    const result = JSON.parse(cli('init', 'ci', '--force', '--json', '.')) as InitCiJson;
    assert.match(result.cli, new RegExp(`^github:[\\w.-]+/[\\w.-]+#${commit}$`));
  });
});
