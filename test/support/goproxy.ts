/**
 * A Go module proxy on disk (GOPROXY=file://...) built from Debian's golang-*-dev packages, so `go` can resolve real
 * third-party modules offline: each module's source under /usr/share/gocode/src becomes list/.info/.mod/.zip files
 * in the layout of the GOPROXY protocol (https://go.dev/ref/mod#goproxy-protocol).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CHILD_LIMIT } from './bounds';
import { installHint, packageFor } from './systemPackages';

export const GOCODE = '/usr/share/gocode/src';

export interface ProxyModule {
  path: string;
  version: string;
  /** Commit time for the .info file. */
  time: string;
  /** The module's source folder; Debian's copy under /usr/share/gocode/src by default. */
  src?: string;
}

/** Modules from Debian's golang-*-dev packages (scripts/system-packages.txt names them; .ci/run installs them). */
export const DEBIAN_MODULES: ProxyModule[] = [
  { path: 'github.com/mattn/go-sqlite3', version: 'v1.14.16', time: '2022-10-21T00:00:00Z' },
  { path: 'github.com/fsnotify/fsnotify', version: 'v1.6.0', time: '2022-10-13T00:00:00Z' },
  // fsnotify 1.6.0 requires exactly this pseudo-version; Debian packages the same commit.
  { path: 'golang.org/x/sys', version: 'v0.0.0-20220908164124-27713097b956', time: '2022-09-08T16:41:24Z' },
];

const escape = (p: string) => p.replace(/[A-Z]/g, (c) => `!${c.toLowerCase()}`);

/** Zips a module folder as the proxy protocol wants: every path under `module@version/`, nested modules left out. */
const ZIP = `
import os, sys, zipfile
src, prefix, out = sys.argv[1], sys.argv[2], sys.argv[3]
with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as z:
    for root, dirs, files in os.walk(src):
        dirs[:] = sorted(d for d in dirs if not d.startswith('.') and d != 'vendor' and not os.path.exists(os.path.join(root, d, 'go.mod')))
        for f in sorted(files):
            full = os.path.join(root, f)
            if os.path.islink(full) or not os.path.isfile(full):
                continue
            z.write(full, prefix + '/' + os.path.relpath(full, src))
`;

export function buildProxy(dir: string, modules: ProxyModule[] = DEBIAN_MODULES): string {
  for (const m of modules) {
    const src = m.src ?? path.join(GOCODE, m.path);
    if (!fs.existsSync(src))
      throw new Error(
        `${src} is missing; ${m.src ? 'the test names no such folder' : installHint(packageFor(path.join(src, 'go.mod')).name)}`,
      );
    const at = path.join(dir, escape(m.path), '@v');
    fs.mkdirSync(at, { recursive: true });
    fs.writeFileSync(path.join(at, 'list'), `${m.version}\n`);
    fs.writeFileSync(path.join(at, `${m.version}.info`), JSON.stringify({ Version: m.version, Time: m.time }));
    fs.copyFileSync(path.join(src, 'go.mod'), path.join(at, `${m.version}.mod`));
    execFileSync('python3', ['-c', ZIP, src, `${m.path}@${m.version}`, path.join(at, `${m.version}.zip`)], CHILD_LIMIT);
  }
  return dir;
}
