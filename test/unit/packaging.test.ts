/** Facts about the extension manifest that users and the marketplace depend on. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { REPO } from '../support/tools';

const manifest = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));

describe('package.json', () => {
  it('pins engines.vscode to the @types/vscode it is compiled against', () => {
    const types = JSON.parse(fs.readFileSync(path.join(REPO, 'node_modules', '@types', 'vscode', 'package.json'), 'utf8'));
    assert.equal(manifest.engines.vscode, `^${types.version}`);
    assert.equal(manifest.devDependencies['@types/vscode'], types.version);
  });

  it('installs the CLI as go-macos-sign and starts the client bundle', () => {
    assert.deepEqual(manifest.bin, { 'go-macos-sign': './dist/cli.js' });
    assert.equal(manifest.main, './dist/client.js');
    assert.equal(manifest.name, 'go-macos-sign');
  });

  it('activates narrowly', () => {
    assert.ok(!manifest.activationEvents.includes('*'));
  });

  it('registers every contributed command in the client', () => {
    const source = fs.readdirSync(path.join(REPO, 'client', 'src')).map((f) => fs.readFileSync(path.join(REPO, 'client', 'src', f), 'utf8')).join('\n');
    for (const { command } of manifest.contributes.commands) assert.ok(source.includes(`'${command}'`), command);
  });

  it('ships only the bundles and assets (.vscodeignore is an allow-list)', () => {
    const ignore = fs.readFileSync(path.join(REPO, '.vscodeignore'), 'utf8').split('\n').filter(Boolean);
    assert.equal(ignore[0], '**');
    assert.ok(ignore.slice(1).every((l) => l.startsWith('!')));
  });
});
