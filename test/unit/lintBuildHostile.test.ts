/**
 * Hostile build files: huge, pathologically quoted, or YAML alias bombs. Each must be linted to the end without a
 * crash or a hang (the test runner's timeout is the guard; no timing is asserted), with diagnostics still correct.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lintDocument } from '../../server/src/lint/lintFiles';

describe('hostile build files', () => {
  it('lints a 50,000-line Makefile', { timeout: 120_000 }, () => {
    const lines: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      lines.push(
        `t${i}: t${i + 1}`,
        `\tGOOS=darwin GOARCH=arm64 go build -ldflags '-s -w -X main.v=${i}' -o bin/t${i} ./cmd/t`,
        `\tcodesign --force --options runtime --timestamp --sign "$(ID)" bin/t${i}`,
        `\tstrip bin/t${i}`,
        '',
      );
    }
    // One release rule at the top depends, through a 10,000-rule chain, on every other rule.
    lines.unshift('release: t0', '\txcrun notarytool submit bin/t0.zip -p prof --wait', '');
    const found = lintDocument('/nowhere/Makefile', lines.join('\n'));
    assert.equal(found.length, 10_000);
    assert.ok(found.every((d) => d.code === 'build/modify-after-sign'));
  });

  it('survives pathological quoting, escapes and substitutions', { timeout: 120_000 }, () => {
    const cases = [
      '"'.repeat(200_001),
      "'".repeat(200_001),
      '\\'.repeat(200_001),
      '$('.repeat(100_000),
      '`'.repeat(200_001),
      `go build -ldflags "${'-X a.b=c '.repeat(20_000)}`,
      'cat <<EOF\n' + 'codesign --deep x\n'.repeat(50_000),
      `codesign ${'-'.repeat(100_000)} "${'\\"'.repeat(50_000)}`,
    ];
    for (const text of cases) {
      const found = lintDocument('/nowhere/x.sh', text);
      assert.ok(Array.isArray(found));
    }
  });

  it('does not expand YAML aliases (billion laughs)', { timeout: 120_000 }, () => {
    const levels = ['a: &a ["codesign --deep -s - x", "codesign --deep -s - x"]'];
    for (let i = 1; i < 30; i++)
      levels.push(`l${i}: &l${i} [*${i === 1 ? 'a' : `l${i - 1}`}, *${i === 1 ? 'a' : `l${i - 1}`}]`);
    levels.push(
      'jobs:\n  j:\n    steps:\n      - run: codesign --deep --force --options runtime --timestamp -s "$ID" x\n',
    );
    const found = lintDocument('/nowhere/.github/workflows/bomb.yml', levels.join('\n'));
    assert.deepEqual(
      found.map((d) => d.code),
      ['codesign/deep'],
    );
    const goreleaser = levels.slice(0, -1).join('\n') + '\nbuilds: *l29\n';
    assert.ok(Array.isArray(lintDocument('/nowhere/.goreleaser.yaml', goreleaser)));
  });

  it('reads VS Code files nested 10,000 deep without overflowing the stack, and still lints a normal one', () => {
    const deep = `{"version": "2.0.0", "tasks": ${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
    assert.deepEqual(lintDocument('/nowhere/.vscode/tasks.json', deep), []);
    assert.deepEqual(
      lintDocument('/nowhere/.vscode/settings.json', `{"go.buildFlags": ${'['.repeat(10_000)}${']'.repeat(10_000)}}`),
      [],
    );
    const shallow = JSON.stringify({
      version: '2.0.0',
      tasks: [
        {
          label: 'sign',
          type: 'shell',
          command: 'codesign --deep --force --options runtime --timestamp -s "$ID" x',
          args: [[[]]],
        },
      ],
    });
    assert.deepEqual(
      lintDocument('/nowhere/.vscode/tasks.json', shallow).map((d) => d.code),
      ['codesign/deep'],
    );
  });
});
