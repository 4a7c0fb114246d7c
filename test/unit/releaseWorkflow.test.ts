/**
 * "Create Release Workflow"'s logic without VS Code (client/src/releaseWorkflow.ts), driven by the real CLI: the
 * argument array it runs, its JSON read back, the two refusals it resolves with the user read from the CLI's real
 * messages, and what it shows about the secrets.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
  initCiArgs,
  parseInitCi,
  refusal,
  secretCommands,
  secretsReport,
  secretsSummary,
} from '../../client/src/releaseWorkflow';
import { CHILD_LIMIT } from '../support/bounds';
import { REPO, tempDir } from '../support/tools';

function cli(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [path.join(REPO, 'dist', 'cli.js'), ...args], {
    ...CHILD_LIMIT,
    cwd,
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A module whose folder name starts with a dash (still a path, thanks to `--`) and has two programs. */
function module(): string {
  const dir = path.join(tempDir(), '-mod');
  for (const name of ['alpha', 'beta']) {
    fs.mkdirSync(path.join(dir, 'cmd', name), { recursive: true });
    fs.writeFileSync(path.join(dir, 'cmd', name, 'main.go'), 'package main\n\nfunc main() {}\n');
  }
  fs.writeFileSync(path.join(dir, 'go.mod'), 'module example.com/suite\n\ngo 1.19\n');
  return dir;
}

describe('Create Release Workflow, without VS Code', () => {
  it('asks which program, then writes, then asks to replace: each step read from the real CLI', () => {
    const dir = module();
    assert.deepEqual(initCiArgs(dir), ['init', 'ci', '--json', '--', dir]);
    const several = cli(initCiArgs(dir), dir);
    assert.equal(several.code, 2);
    assert.deepEqual(refusal(several.stderr), { kind: 'choose', packages: ['./cmd/alpha', './cmd/beta'] });

    const args = initCiArgs(dir, { package: './cmd/beta' });
    assert.deepEqual(args, ['init', 'ci', '--json', '--package', './cmd/beta', '--', dir]);
    const written = cli(args, dir);
    assert.equal(written.code, 0, written.stderr);
    const result = parseInitCi(written.stdout);
    assert.equal(result.file, path.join(dir, '.github', 'workflows', 'macos-release.yml'));
    assert.ok(fs.existsSync(result.file));
    assert.equal(result.name, 'beta');

    const again = cli(args, dir);
    assert.deepEqual(refusal(again.stderr), { kind: 'exists' });
    const forced = cli(initCiArgs(dir, { package: './cmd/beta', force: true }), dir);
    assert.equal(forced.code, 0, forced.stderr);

    assert.match(
      secretsSummary(result),
      /^Release workflow for beta written\. Create 5 repository secrets: MACOS_P12_BASE64, .*, NOTARY_ISSUER\.$/,
    );
    const report = secretsReport(result);
    for (const s of result.secrets) {
      assert.ok(report.includes(`  ${s.name}: ${s.holds}`));
      assert.ok(report.includes(`      ${s.command}`));
    }
    const commands = secretCommands(result).trim().split('\n');
    assert.equal(commands.length, 5);
    for (const c of commands) assert.match(c, /gh secret set [A-Z0-9_]+( |$)/);
    assert.ok(!commands.some((c) => c.includes('(')), 'notes are left out of the clipboard');
  });

  it('passes any other error through as one line', () => {
    const empty = tempDir();
    const r = cli(initCiArgs(empty), empty);
    const why = refusal(r.stderr);
    assert.equal(why.kind, 'error');
    assert.match((why as { message: string }).message, /no go\.mod/);
  });
});
