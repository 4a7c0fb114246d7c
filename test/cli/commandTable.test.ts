/**
 * The CLI's command table (server/src/cli/commands.ts) is the one source of its commands: the help lists every entry,
 * each command's --help lists every option its entry declares, and the parser accepts exactly those options. The
 * CLI's main() runs in this process with injected output.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COMMANDS } from '../../server/src/cli/commands';
import { main } from '../../server/src/cli/main';

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    args,
    (s) => void out.push(s),
    (s) => void err.push(s),
    { platform: 'linux' },
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('the CLI command table', () => {
  it('--help lists every command, with the first line of its summary', async () => {
    const r = await run('--help');
    assert.equal(r.code, 0);
    for (const c of COMMANDS)
      assert.match(r.out, new RegExp(`^  ${c.name} +${escape(c.summary.split('\n')[0])}$`, 'm'), c.name);
  });

  it('no arguments prints the help and exits 2; an unknown command is a usage error', async () => {
    const none = await run();
    assert.equal(none.code, 2);
    assert.match(none.out, /^usage: go-macos-sign/);
    const unknown = await run('frobnicate', 'x');
    assert.deepEqual(
      [unknown.code, unknown.out, unknown.err],
      [2, '', 'go-macos-sign: unknown command "frobnicate" (see go-macos-sign --help)'],
    );
  });

  it('<command> --help shows its usage and every option its entry declares, and exits 0', async () => {
    for (const c of COMMANDS) {
      const r = await run(c.name, '--help');
      assert.equal(r.code, 0, c.name);
      assert.ok(r.out.startsWith(`usage: go-macos-sign ${c.name} `), r.out);
      for (const o of c.options)
        assert.match(
          r.out,
          new RegExp(`^  ${o.alias ? `${escape(o.alias)}, ` : ''}${escape(o.flag)}\\b`, 'm'),
          `${c.name} ${o.flag}`,
        );
    }
  });

  it('an option another command declares is a usage error (exit 2, nothing run)', async () => {
    const r = await run('staple', '--identity', 'Developer ID Application: X (T)', 'tool');
    assert.deepEqual(
      [r.code, r.out, r.err],
      [2, '', 'go-macos-sign: unknown option --identity (see go-macos-sign --help)'],
    );
    const flag = await run('inspect', '--json=yes', 'tool');
    assert.deepEqual([flag.code, flag.err], [2, 'go-macos-sign: unknown option --json=yes (see go-macos-sign --help)']);
  });

  it('--version is global, except where a command declares an option of that name', async () => {
    const v = await run('inspect', '--version');
    assert.equal(v.code, 0);
    assert.match(v.out, /^(development|\d+\.\d+\.\d+\S*)$/);
    const pkg = await run('package', '--version');
    assert.deepEqual([pkg.code, pkg.err], [2, 'go-macos-sign: --version needs a value (see go-macos-sign --help)']);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
