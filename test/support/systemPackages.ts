/**
 * The system packages the tests need, read from scripts/system-packages.txt (the one list .ci/run installs and README
 * repeats), so that every missing-prerequisite message names the Debian package to install.
 *
 * `missingPackagesWarning` is the one line scripts/test.mjs prints before the tests (through
 * test/support/checkPackages.ts) when a package is missing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const LIST = path.resolve(__dirname, '..', '..', 'scripts', 'system-packages.txt');

export interface SystemPackage {
  name: string;
  /** `test` for `npm test`, `e2e` for the end-to-end suite only. */
  suite: 'test' | 'e2e';
  /** Commands on PATH or absolute paths; any one shows the package is installed. */
  provides: string[];
  purpose: string;
}

export function systemPackages(text = fs.readFileSync(LIST, 'utf8')): SystemPackage[] {
  return text
    .split('\n')
    .filter((line) => line.trim() && !line.startsWith('#'))
    .map((line) => {
      const [name, suite, provides, ...purpose] = line.trim().split(/\s+/);
      if (suite !== 'test' && suite !== 'e2e')
        throw new Error(`${LIST}: ${name}: the suite column is test or e2e, not ${suite}`);
      return { name, suite, provides: provides.split('|'), purpose: purpose.join(' ') };
    });
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir && fs.existsSync(path.join(dir, command)));
}

export const installed = (p: SystemPackage) =>
  p.provides.some((thing) => (path.isAbsolute(thing) ? fs.existsSync(thing) : onPath(thing)));

/** The package that provides one of `things` (command names or absolute paths), or throws: the list must cover it. */
export function packageFor(...things: string[]): SystemPackage {
  const found = systemPackages().find((p) => things.some((t) => p.provides.includes(t)));
  if (!found) throw new Error(`scripts/system-packages.txt names no package that provides ${things.join(' or ')}`);
  return found;
}

/** How to get missing packages: the line a user can paste. */
export const installHint = (...packages: string[]) =>
  `on Debian: sudo apt-get install -y ${packages.join(' ')} (.ci/run installs every prerequisite; see README)`;

/** The warning line naming a suite's missing packages, or undefined when none is missing. */
export function missingPackagesWarning(suite: 'test' | 'e2e'): string | undefined {
  const suites = suite === 'e2e' ? ['test', 'e2e'] : ['test'];
  const missing = systemPackages().filter((p) => suites.includes(p.suite) && !installed(p));
  if (missing.length === 0) return undefined;
  return `warning: tests will fail for want of ${missing.map((p) => `${p.name} (${p.purpose})`).join(', ')}: ${installHint(...missing.map((p) => p.name))}`;
}
