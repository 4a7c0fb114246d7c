/** Hover and completion in entitlements files, from the catalog. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { completionsAt, hoverAt } from '../../server/src/lint/entitlements/assist';
import { ENTITLEMENTS } from '../../server/src/lint/entitlements/catalog';

const doc = (body: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">\n<dict>\n${body}</dict>\n</plist>\n`;

describe('hover', () => {
  it("explains a key: what it does, its family, the Go advice and Apple's page", () => {
    const text = doc('\t<key>com.apple.security.cs.disable-library-validation</key>\n\t<true/>\n');
    const hover = hoverAt(text, text.indexOf('library'))!;
    assert.match(hover.markdown, /\*\*Disable library validation\*\*/);
    assert.match(hover.markdown, /Hardened-runtime exception/);
    assert.match(hover.markdown, /\*\*Go:\*\* .*plugin/);
    assert.match(
      hover.markdown,
      /\(https:\/\/developer\.apple\.com\/documentation\/bundleresources\/entitlements\/com\.apple\.security\.cs\.disable-library-validation\)/,
    );
    assert.equal(text.slice(hover.range.start, hover.range.end), 'com.apple.security.cs.disable-library-validation');
    assert.equal(hoverAt(text, text.indexOf('<true/>') + 2), null);
  });
});

describe('completion', () => {
  it('inside <key>: catalog keys, without those already present, replacing what was typed', () => {
    const text = doc('\t<key>com.apple.security.cs.allow-jit</key>\n\t<true/>\n\t<key>com.apple.security.cs.</key>\n');
    const offset = text.indexOf('cs.</key>') + 3;
    const items = completionsAt(text, offset);
    const labels = items.map((i) => i.label);
    assert.ok(labels.includes('com.apple.security.cs.disable-library-validation'));
    assert.ok(!labels.includes('com.apple.security.cs.allow-jit'), 'already present');
    assert.equal(text.slice(items[0].range.start, items[0].range.end), 'com.apple.security.cs.');
    assert.equal(items.length, ENTITLEMENTS.length - 1);
  });

  it('after a key: a value of the right type, as a snippet and as plain text on one line', () => {
    const text = doc('\t<key>keychain-access-groups</key>\n\t');
    const [item] = completionsAt(text, text.lastIndexOf('\t') + 1);
    assert.equal(item.snippet, '<array>\n\t<string>$1</string>\n</array>');
    assert.equal(item.insert, '<array><string></string></array>');
    const bool = doc('\t<key>com.apple.security.cs.allow-jit</key>');
    assert.equal(completionsAt(bool, bool.indexOf('</key>') + 6)[0].insert, '<true/>');
  });

  it('between entries: whole entries, as snippets and as plain text on one line', () => {
    const text = doc('\t<');
    const items = completionsAt(text, text.indexOf('\t<') + 2);
    const jit = items.find((i) => i.label === 'com.apple.security.cs.allow-jit')!;
    assert.equal(jit.snippet, '<key>com.apple.security.cs.allow-jit</key>\n<true/>');
    assert.equal(jit.insert, '<key>com.apple.security.cs.allow-jit</key><true/>');
    assert.equal(text.slice(jit.range.start, jit.range.end), '<');
    assert.ok(
      items.every((i) => !/[\n\r\t\0$]/.test(i.insert)),
      'plain text is one line, without tab stops',
    );
    // A start tag being typed is replaced whole.
    const typed = doc('\t<ke\n');
    assert.equal(
      typed.slice(
        completionsAt(typed, typed.indexOf('<ke') + 3)[0].range.start,
        completionsAt(typed, typed.indexOf('<ke') + 3)[0].range.end,
      ),
      '<ke',
    );
  });

  it('never replaces markup it does not own: a closing tag, a comment, a tag already written', () => {
    const closing = doc('\t<key>a</key>\n\t<true/>\n</');
    for (const [text, at] of [
      [closing, closing.lastIndexOf('</') + 2], // `</` typed to close the dict
      [closing, closing.lastIndexOf('</') + 3], // inside `</d`
      [doc('\t<!--'), doc('\t<!--').indexOf('<!--') + 4],
      [doc(''), doc('').indexOf('</dict>') + 1], // between `<` and `/dict>`
      [doc('\t<true/>\n'), doc('\t<true/>\n').indexOf('<true') + 3], // inside `<true/>`
      ['<plist version="1.0">', 15], // an attribute
    ] as const) {
      assert.deepEqual(completionsAt(text, at), [], JSON.stringify(text.slice(0, at)));
    }
  });
});
