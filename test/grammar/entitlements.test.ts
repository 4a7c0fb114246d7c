/**
 * The entitlements TextMate grammar, tokenized by vscode-textmate with the Oniguruma engine VS Code itself uses.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import * as oniguruma from 'vscode-oniguruma';
import { INITIAL, IGrammar, parseRawGrammar, Registry } from 'vscode-textmate';
import { REPO } from '../support/tools';

let grammar: IGrammar;

before(async () => {
  const wasm = fs.readFileSync(path.join(REPO, 'node_modules', 'vscode-oniguruma', 'release', 'onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (s) => new oniguruma.OnigScanner(s),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scope) => {
      if (scope !== 'text.xml.plist.entitlements') return null;
      const file = path.join(REPO, 'syntaxes', 'entitlements.tmLanguage.json');
      return parseRawGrammar(fs.readFileSync(file, 'utf8'), file);
    },
  });
  grammar = (await registry.loadGrammar('text.xml.plist.entitlements'))!;
});

/** The scopes of the token that covers `fragment` on the line. */
function scopesOf(line: string, fragment: string): string[] {
  const { tokens } = grammar.tokenizeLine(line, INITIAL);
  const at = line.indexOf(fragment);
  const token = tokens.find((t) => t.startIndex <= at && at < t.endIndex)!;
  return token.scopes;
}

describe('entitlements grammar', () => {
  it('gives each family of keys its own scope', () => {
    assert.ok(
      scopesOf('<key>com.apple.security.cs.allow-jit</key>', 'allow-jit').includes(
        'keyword.other.entitlement.runtime-exception.entitlements',
      ),
    );
    assert.ok(
      scopesOf('<key>com.apple.security.get-task-allow</key>', 'get-task').includes(
        'invalid.deprecated.entitlement.debug.entitlements',
      ),
    );
    assert.ok(
      scopesOf('<key>com.apple.security.app-sandbox</key>', 'app-sandbox').includes(
        'support.constant.entitlement.security.entitlements',
      ),
    );
    assert.ok(
      scopesOf('<key>com.apple.developer.endpoint-security.client</key>', 'endpoint').includes(
        'storage.modifier.entitlement.restricted.entitlements',
      ),
    );
    assert.ok(scopesOf('<key>keychain-access-groups</key>', 'keychain').includes('variable.other.key.entitlements'));
  });

  it('scopes booleans, values, tags, comments and the declaration', () => {
    assert.ok(scopesOf('\t<true/>', 'true').includes('constant.language.boolean.entitlements'));
    assert.ok(scopesOf('<string>group.com.example</string>', 'group').includes('string.unquoted.value.entitlements'));
    assert.ok(scopesOf('<dict>', 'dict').includes('entity.name.tag.xml'));
    assert.ok(scopesOf('<!-- debug only -->', 'debug').includes('comment.block.xml'));
    assert.ok(scopesOf('<?xml version="1.0" encoding="UTF-8"?>', 'version').includes('meta.tag.preprocessor.xml'));
  });
});
