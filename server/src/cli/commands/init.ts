/**
 * `init ci [dir]`: writes the GitHub Actions release workflow for the Go module in `dir` (ci/workflow.ts), or with
 * `--goreleaser` adds the same steps to its .goreleaser.yaml (ci/goreleaser.ts), then prints the repository secrets
 * to create and how. An existing workflow is kept unless --force. Exit 0 written, 2 usage or input error.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../../errors';
import type { InitCiJson } from '../../protocol';
import { Command, lastValue, UsageError } from '../command';

const SUBCOMMANDS = ['ci'];

function writeNew(file: string, text: string, force: boolean): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  try {
    fs.writeFileSync(file, text, { flag: force ? 'w' : 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new InputError(`${file} exists; --force replaces it`);
    throw error;
  }
}

/** Replaces a file through a temporary one renamed over it, so an interrupted run leaves the old file whole. */
function replaceFile(file: string, text: string, mode: number): void {
  const temp = `${file}.go-macos-sign-${process.pid}.tmp`;
  fs.writeFileSync(temp, text, { flag: 'wx', mode });
  fs.renameSync(temp, file);
}

export const init: Command = {
  name: 'init',
  group: 'setup',
  summary:
    'init ci [DIR]: write .github/workflows/macos-release.yml for the Go module in DIR (default .): on a v* tag,\n' +
    'build, sign (.p12), notarize (API key) and release from a Linux runner; --goreleaser adds the same\n' +
    'steps to .goreleaser.yaml instead; prints the repository secrets to create',
  usage: 'ci [options] [DIR]',
  options: [
    { flag: '--package', value: 'PKG', help: 'the main package to release, e.g. ./cmd/tool (default: the only one)' },
    { flag: '--goreleaser', help: 'add signing and notarization hooks to the existing .goreleaser.yaml instead' },
    { flag: '--force', help: 'replace an existing workflow file' },
    {
      flag: '--cli',
      value: 'SPEC',
      help: 'how CI installs go-macos-sign (npm spec; default: this version from its git repository)',
    },
    { flag: '--json', help: 'machine-readable output' },
  ],
  async run(args, io) {
    const [sub, dirArg, ...extra] = args.paths;
    if (!sub || !SUBCOMMANDS.includes(sub)) throw new UsageError('init takes a subcommand: init ci [DIR]');
    if (extra.length > 0) throw new UsageError('init ci takes one directory');
    const dir = path.resolve(dirArg ?? '.');
    const { chooseMain, readGoModule } = require('../../ci/goModule') as typeof import('../../ci/goModule');
    const plans = require('../../ci/plan') as typeof import('../../ci/plan');
    const { filePermissions, isRegularFile, readTextBounded } =
      require('../../fileAccess') as typeof import('../../fileAccess');
    const module = readGoModule(dir);
    const main = chooseMain(module, lastValue(args, '--package'));
    const plan = {
      modulePath: module.modulePath,
      pkg: main.pkg,
      name: main.name,
      identifier: plans.signingIdentifier(module.modulePath, main.name),
      cliSpec: lastValue(args, '--cli') ?? plans.defaultCliSpec(),
    };
    const result: InitCiJson = {
      file: '',
      kind: args.flags.has('--goreleaser') ? 'goreleaser' : 'workflow',
      package: main.pkg,
      name: main.name,
      cli: plan.cliSpec,
      changes: [],
      secrets: [...plans.SECRETS],
      environment: [],
    };
    if (result.kind === 'workflow') {
      const { releaseWorkflow, WORKFLOW_FILE } = require('../../ci/workflow') as typeof import('../../ci/workflow');
      result.file = path.join(dir, WORKFLOW_FILE);
      const replaced = isRegularFile(result.file);
      writeNew(result.file, releaseWorkflow(plan), args.flags.has('--force'));
      result.changes.push(replaced ? 'replaced' : 'created');
    } else {
      const { addToGoreleaser, GORELEASER_ENV } =
        require('../../ci/goreleaser') as typeof import('../../ci/goreleaser');
      const { installScript } = require('../../ci/workflow') as typeof import('../../ci/workflow');
      const found = ['.goreleaser.yaml', '.goreleaser.yml'].map((n) => path.join(dir, n)).find(isRegularFile);
      if (!found) throw new UsageError(`--goreleaser: no .goreleaser.yaml in ${dir}`);
      result.file = found;
      const edit = addToGoreleaser(readTextBounded(found), plan);
      if (edit.changes.length > 0) replaceFile(found, edit.text, filePermissions(found));
      result.changes.push(...edit.changes);
      result.environment = [
        `${GORELEASER_ENV.p12}: the path of the .p12 decoded from ${plans.SECRET.p12}, e.g. $RUNNER_TEMP/identity.p12`,
        `GO_MACOS_SIGN_P12_PASSWORD: \${{ secrets.${plans.SECRET.p12Password} }}`,
        `GO_MACOS_SIGN_NOTARY_KEY: \${{ secrets.${plans.SECRET.notaryKey} }}`,
        `${GORELEASER_ENV.notaryKeyId}: \${{ secrets.${plans.SECRET.notaryKeyId} }}`,
        `${GORELEASER_ENV.notaryIssuer}: \${{ secrets.${plans.SECRET.notaryIssuer} }}`,
        `and go-macos-sign on PATH: ${installScript(plan.cliSpec).join('; ')}`,
      ];
    }
    if (args.flags.has('--json')) {
      io.out(JSON.stringify(result, null, 2));
      return 0;
    }
    const rel = path.relative(process.cwd(), result.file) || result.file;
    io.out(
      result.changes.length > 0
        ? `${rel}: ${result.changes.join('; ')}`
        : `${rel}: already has the go-macos-sign steps; nothing changed`,
    );
    io.out(
      `releases ${main.pkg} as ${main.name} (identifier ${plan.identifier}); CI installs the CLI from ${plan.cliSpec}`,
    );
    if (result.environment.length > 0) {
      io.out('');
      io.out('The job that runs goreleaser needs in its environment:');
      for (const line of result.environment) io.out(`  ${line}`);
    }
    io.out('');
    io.out('Create these repository secrets (Settings > Secrets and variables > Actions), e.g. with GitHub CLI:');
    for (const s of result.secrets) {
      io.out(`  ${s.name}: ${s.holds}`);
      io.out(`      ${s.command}`);
    }
    return 0;
  },
};
