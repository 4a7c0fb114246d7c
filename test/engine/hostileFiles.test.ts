/**
 * Hostile workspaces through the CLI, as users run it: the bundled dist/cli.js in a child process with a heap ceiling
 * and a kill timeout. Every case must end by itself, with its usual exit code and our one-line message: nothing a
 * workspace contains (a link to /dev/zero, a FIFO, a sparse file over the limit, a symbolic link loop) may make a read
 * unbounded or block. Before reads were bounded, `lint` of the first case grew past 8 GB and `inspect` of the FIFO
 * never returned.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { LIMITS } from '../../server/src/fileAccess';
import { goTool, REPO, tempDir } from '../support/tools';
import { HEAP_MB, HostileWorkspace, KILL_AFTER_MS, limitText, makeHostileWorkspace } from '../support/hostileWorkspace';

let ws: HostileWorkspace;

function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(
    process.execPath,
    [`--max-old-space-size=${HEAP_MB}`, path.join(REPO, 'dist', 'cli.js'), ...args],
    {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', ...env },
      timeout: KILL_AFTER_MS,
      killSignal: 'SIGKILL',
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  assert.equal(r.signal, null, `go-macos-sign ${args.join(' ')} did not end by itself (killed by ${r.signal})`);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The run ends with exit 2 and exactly one line on stderr: ours. */
function failsWith(r: ReturnType<typeof cli>, line: string): void {
  assert.equal(r.stderr, `go-macos-sign: ${line}\n`);
  assert.equal(r.code, 2);
}

before(() => {
  ws = makeHostileWorkspace(tempDir('gms-hostile-'));
});

describe('lint of a hostile workspace', () => {
  it('reports an --entitlements file that links to /dev/zero instead of reading it', () => {
    const r = cli(['lint', ws.sign.dir]);
    assert.equal(r.stderr, '');
    assert.equal(r.code, 1);
    assert.match(
      r.stdout,
      /Makefile:2:\d+: error codesign\/entitlements-file app\.entitlements: not a regular file \(a character device\); codesign will fail\./,
    );
  });

  it('refuses a named file that links to /dev/zero, and a FIFO', () => {
    failsWith(cli(['lint', ws.sign.entitlements]), `${ws.sign.entitlements}: not a regular file (a character device)`);
    failsWith(cli(['lint', ws.fifo.pipe]), `${ws.fifo.pipe}: not a regular file (a FIFO)`);
  });

  it('says nothing about -X when a Go file of the package links to /dev/zero, rather than guess', () => {
    // The same package without the link: the lookup reads the sources and finds no variable `version`.
    assert.match(cli(['lint', ws.xvarControl.dir]).stdout, /ldflags\/x-not-a-switch main declares no variable version/);
    const r = cli(['lint', ws.xvar.dir]);
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
    assert.doesNotMatch(r.stdout, /x-not-a-switch/);
  });

  it('does not run go list on a go.sum that is a FIFO, and falls back to the known modules', () => {
    const go = goTool();
    const r = cli(['lint', ws.gosum.dir], { PATH: `${path.dirname(go)}${path.delimiter}${process.env.PATH ?? ''}` });
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /go\.mod:5:\d+: \w+ gomod\/cgo-dependency .*github\.com\/mattn\/go-sqlite3/);
  });

  it('refuses files over the size limit before reading them', () => {
    failsWith(
      cli(['lint', ws.huge.entitlements]),
      `${ws.huge.entitlements}: larger than the ${limitText('text')} limit (${LIMITS.text + 1} bytes)`,
    );
    const r = cli(['lint', ws.huge.makefile]);
    assert.equal(r.code, 1);
    assert.match(
      r.stdout,
      new RegExp(
        `big\\.entitlements: larger than the ${limitText('text')} limit \\(\\d+ bytes\\); codesign will fail\\.`,
      ),
    );
  });

  it('ends on symbolic link loops: not followed in the walk, named in the message', () => {
    const r = cli(['lint', ws.loop.dir]);
    assert.equal(r.stderr, '');
    assert.equal(r.code, 1);
    assert.match(
      r.stdout,
      /Makefile:2:\d+: error codesign\/entitlements-file loop\.entitlements: a symbolic link loop; codesign will fail\./,
    );
    failsWith(cli(['lint', ws.loop.pair]), `${ws.loop.pair}: a symbolic link loop`);
  });
});

describe('inspect of a hostile workspace', () => {
  it('refuses a FIFO at once, and skips it in a folder without opening it', () => {
    failsWith(cli(['inspect', ws.fifo.pipe]), `${ws.fifo.pipe}: not a regular file (a FIFO)`);
    failsWith(cli(['verify', ws.fifo.pipe]), `${ws.fifo.pipe}: not a regular file (a FIFO)`);
    failsWith(
      cli(['inspect', ws.fifo.dir]),
      `${ws.fifo.dir}: no Mach-O files, .app bundles, disk images or installer packages found`,
    );
  });

  it('refuses a link to /dev/zero', () => {
    failsWith(
      cli(['inspect', ws.sign.entitlements]),
      `${ws.sign.entitlements}: not a regular file (a character device)`,
    );
  });

  it('refuses a file over the binary limit before reading it', () => {
    failsWith(
      cli(['inspect', ws.huge.binary]),
      `${ws.huge.binary}: larger than the ${limitText('binary')} limit (${LIMITS.binary + 1} bytes)`,
    );
  });

  it('ends on symbolic link loops', () => {
    failsWith(cli(['inspect', ws.loop.pair]), `${ws.loop.pair}: a symbolic link loop`);
    failsWith(
      cli(['inspect', ws.loop.dir]),
      `${ws.loop.dir}: no Mach-O files, .app bundles, disk images or installer packages found`,
    );
  });
});
