/**
 * A workspace nobody should trust, made the way a hostile repository would arrive: committed symbolic links to
 * /dev/zero and to themselves, a FIFO, sparse files bigger than our limits, a directory cycle. The CLI suite and the
 * language-server suite read the same one, so both are held to the same cases.
 *
 * Children that read it run under a memory ceiling and a kill timeout (bounds, not timing assertions): before the
 * reads were bounded, these inputs grew a process past 8 GB or blocked it for ever.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LIMITS } from '../../server/src/fileAccess';
import { CHILD_LIMIT } from './bounds';

/** V8 heap ceiling for every child that reads the workspace (MB). */
export const HEAP_MB = 128;
/** Time after which a child is killed: it has then hung, whatever the machine's load. */
export const KILL_AFTER_MS = 60_000;

export const MB = 1024 * 1024;

export interface HostileWorkspace {
  root: string;
  /** A Makefile that signs with `--entitlements app.entitlements`, a symbolic link to /dev/zero. */
  sign: { dir: string; makefile: string; entitlements: string };
  /** `go build -ldflags "-X main.version=1.0"` in a package whose zero.go is a symbolic link to /dev/zero. */
  xvar: { dir: string; makefile: string };
  /** The same package without zero.go: the lookup runs and finds no such variable. */
  xvarControl: { dir: string; makefile: string };
  /** A FIFO no one writes to, alone in its folder. */
  fifo: { dir: string; pipe: string };
  /** go.mod beside a go.sum that is a FIFO (go list would block on it). */
  gosum: { dir: string; gomod: string };
  /** Sparse files just over the text and binary limits, and a Makefile naming the text one. */
  huge: { dir: string; makefile: string; entitlements: string; binary: string };
  /** Symbolic link loops: a file linking to itself, two links to each other, a directory linking to its parent. */
  loop: { dir: string; makefile: string; entitlements: string; pair: string };
}

function write(file: string, text: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

function sparse(file: string, size: number): string {
  const fd = fs.openSync(file, 'w');
  fs.ftruncateSync(fd, size);
  fs.closeSync(fd);
  return file;
}

const codesign = (entitlements: string) =>
  `sign:\n\tcodesign --force --options runtime --timestamp --entitlements ${entitlements} --sign "Developer ID Application: Example (ABCDE12345)" tool\n`;

const xBuild = 'build:\n\tGOOS=darwin GOARCH=arm64 go build -ldflags "-X main.version=1.0" -o tool .\n';

function goPackage(dir: string): void {
  write(path.join(dir, 'go.mod'), 'module example.com/tool\n\ngo 1.19\n');
  write(path.join(dir, 'main.go'), 'package main\n\nfunc main() {}\n');
}

export function makeHostileWorkspace(root: string): HostileWorkspace {
  const sign = path.join(root, 'sign');
  const signMakefile = write(path.join(sign, 'Makefile'), codesign('app.entitlements'));
  fs.symlinkSync('/dev/zero', path.join(sign, 'app.entitlements'));

  const xvar = path.join(root, 'xvar');
  goPackage(xvar);
  fs.symlinkSync('/dev/zero', path.join(xvar, 'zero.go'));
  const xvarMakefile = write(path.join(xvar, 'Makefile'), xBuild);
  const control = path.join(root, 'xvar-control');
  goPackage(control);
  const controlMakefile = write(path.join(control, 'Makefile'), xBuild);

  const fifo = path.join(root, 'fifo');
  fs.mkdirSync(fifo);
  const pipe = path.join(fifo, 'pipe');
  execFileSync('mkfifo', [pipe], CHILD_LIMIT);

  const gosum = path.join(root, 'gosum');
  write(
    path.join(gosum, 'go.mod'),
    'module example.com/tool\n\ngo 1.19\n\nrequire github.com/mattn/go-sqlite3 v1.14.22\n',
  );
  // Importing the module makes go list read go.sum (and block on the FIFO until its timeout).
  write(path.join(gosum, 'main.go'), 'package main\n\nimport _ "github.com/mattn/go-sqlite3"\n\nfunc main() {}\n');
  execFileSync('mkfifo', [path.join(gosum, 'go.sum')], CHILD_LIMIT);

  const huge = path.join(root, 'huge');
  fs.mkdirSync(huge);
  const hugeMakefile = write(path.join(huge, 'Makefile'), codesign('big.entitlements'));
  const bigEntitlements = sparse(path.join(huge, 'big.entitlements'), LIMITS.text + 1);
  const bigBinary = sparse(path.join(huge, 'tool'), LIMITS.binary + 1);

  const loop = path.join(root, 'loop');
  const loopMakefile = write(path.join(loop, 'Makefile'), codesign('loop.entitlements'));
  fs.symlinkSync('loop.entitlements', path.join(loop, 'loop.entitlements'));
  fs.symlinkSync('b', path.join(loop, 'a'));
  fs.symlinkSync('a', path.join(loop, 'b'));
  fs.mkdirSync(path.join(loop, 'sub'));
  fs.symlinkSync('..', path.join(loop, 'sub', 'up'));

  return {
    root,
    sign: { dir: sign, makefile: signMakefile, entitlements: path.join(sign, 'app.entitlements') },
    xvar: { dir: xvar, makefile: xvarMakefile },
    xvarControl: { dir: control, makefile: controlMakefile },
    fifo: { dir: fifo, pipe },
    gosum: { dir: gosum, gomod: path.join(gosum, 'go.mod') },
    huge: { dir: huge, makefile: hugeMakefile, entitlements: bigEntitlements, binary: bigBinary },
    loop: {
      dir: loop,
      makefile: loopMakefile,
      entitlements: path.join(loop, 'loop.entitlements'),
      pair: path.join(loop, 'a'),
    },
  };
}

/** The limit as our messages state it. */
export function limitText(kind: keyof typeof LIMITS): string {
  return `${LIMITS[kind] / MB} MB`;
}
