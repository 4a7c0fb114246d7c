/**
 * Puts the fake Apple tools (fake-apple/fake.py) on a PATH for a test: a bin folder of symlinks named after the tools,
 * a call log, and a notary store, all in a temporary folder. The fakes judge files by what they contain (see
 * fake.py's header): their codesign signs ad hoc, and their notary accepts only real Developer ID signatures with the
 * hardened runtime and a secure timestamp, such as @sentry/cli-darwin's (DEVELOPER_ID_BINARY).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { npmPackage, REPO, tempDir } from './tools';

export const FAKE_TOOLS = ['xcrun', 'codesign', 'ditto', 'xattr', 'security', 'spctl', 'hdiutil', 'pkgbuild'];

/** A universal binary signed by its publisher with Developer ID, hardened runtime and a secure timestamp. */
export const DEVELOPER_ID_BINARY = () => path.join(npmPackage('@sentry/cli-darwin@3.8.0'), 'bin', 'sentry-cli');

export interface FakeApple {
  bin: string;
  log: string;
  env: NodeJS.ProcessEnv;
  /** Every call so far, as [tool, ...args]. */
  calls(): string[][];
}

export function fakeApple(extra: NodeJS.ProcessEnv = {}): FakeApple {
  const dir = tempDir('gms-fake-apple-');
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  for (const tool of FAKE_TOOLS)
    fs.symlinkSync(path.join(REPO, 'test', 'support', 'fake-apple', 'fake.py'), path.join(bin, tool));
  const log = path.join(dir, 'calls.jsonl');
  const env = {
    ...process.env,
    PATH: `${bin}${path.delimiter}${process.env.PATH}`,
    FAKE_APPLE_LOG: log,
    FAKE_NOTARY_DIR: path.join(dir, 'notary'),
    GO_MACOS_SIGN_STATE_DIR: path.join(dir, 'state'),
    ...extra,
  };
  return {
    bin,
    log,
    env,
    calls: () =>
      fs.existsSync(log)
        ? fs
            .readFileSync(log, 'utf8')
            .trim()
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as string[])
        : [],
  };
}
