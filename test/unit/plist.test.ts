/**
 * Property lists written by python's plistlib (an independent producer) in both formats, and hostile ones.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { parseBinaryPlist, parsePlist, parseXmlPlist, plistEqual, plistToJson } from '../../server/src/plist';
import { parsePlistText } from '../../server/src/plist/xml';
import { decodeDerEntitlements } from '../../server/src/macho/derEntitlements';
import { InputError } from '../../server/src/errors';
import { CHILD_LIMIT } from '../support/bounds';

/** The same value as python builds it, serialised by plistlib in `fmt`. */
function python(fmt: 'FMT_XML' | 'FMT_BINARY'): Buffer {
  const script = `
import datetime, plistlib, sys
value = {
  'string': 'héllo ✓ <&>', 'ascii': 'plain', 'int': 42, 'negative': -7, 'big': 2**40, 'huge': 2**62,
  'real': 1.5, 'true': True, 'false': False, 'date': datetime.datetime(2024, 5, 16, 9, 30, 2),
  'data': bytes(range(40)), 'array': [1, 'two', [3.0], {'four': 4}], 'empty': {}, 'nested': {'a': {'b': {'c': []}}},
}
sys.stdout.buffer.write(plistlib.dumps(value, fmt=plistlib.${fmt}))`;
  return execFileSync('python3', ['-c', script], CHILD_LIMIT);
}

const rejects = (fn: () => unknown, pattern?: RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof InputError && (!pattern || pattern.test(e.message)));

describe('property lists', () => {
  it('reads every type from XML and binary plists alike', () => {
    const xml = parsePlist(python('FMT_XML'));
    const binary = parsePlist(python('FMT_BINARY'));
    assert.equal(xml.format, 'xml');
    assert.equal(binary.format, 'binary');
    assert.ok(plistEqual(xml.value, binary.value));
    const json = plistToJson(binary.value) as Record<string, unknown>;
    assert.equal(json.string, 'héllo ✓ <&>');
    assert.equal(json.big, 2 ** 40);
    assert.equal(json.huge, 2 ** 62 > Number.MAX_SAFE_INTEGER ? String(2n ** 62n) : 2 ** 62);
    assert.equal(json.negative, -7);
    assert.equal(json.date, '2024-05-16T09:30:02.000Z');
    assert.deepEqual(json.array, [1, 'two', [3], { four: 4 }]);
    assert.deepEqual(json.data, { $data: Buffer.from(Array.from({ length: 40 }, (_, i) => i)).toString('base64') });
  });

  it('refuses entity declarations (billion laughs, external entities) at once', () => {
    const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><plist><string>&lol2;</string></plist>`;
    rejects(() => parseXmlPlist(laughs), /entities/);
    rejects(() =>
      parseXmlPlist(`<!DOCTYPE plist [<!ENTITY x SYSTEM "file:///etc/passwd">]><plist><string>&x;</string></plist>`),
    );
  });

  it("accepts Apple's DOCTYPE, a missing declaration and a bare dict", () => {
    const apple = `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0"><dict><key>a</key><true/></dict></plist>`;
    assert.deepEqual(plistToJson(parseXmlPlist(apple)), { a: true });
    assert.deepEqual(plistToJson(parseXmlPlist('  <dict><key>n</key><integer>0x10</integer></dict>')), { n: 16 });
  });

  it('gives one-line errors for malformed XML', () => {
    for (const bad of [
      '',
      '<plist>',
      '<plist><dict><key>a</key></dict></plist>',
      '<plist><foo/></plist>',
      '<plist><integer>x</integer></plist>',
      'not xml',
    ]) {
      rejects(() => parseXmlPlist(bad));
    }
  });

  it("reads CDATA, references and line ends as python's plistlib does (one reader for engine and linters)", () => {
    const text =
      '<plist><dict><key>a\r\nb</key><string><![CDATA[x<y&z]]> &amp; line1\r\nline2\rline3</string></dict></plist>';
    const script = 'import json, plistlib, sys; print(json.dumps(plistlib.loads(sys.stdin.buffer.read())))';
    const expected = JSON.parse(
      execFileSync('python3', ['-c', script], { ...CHILD_LIMIT, input: text }).toString('utf8'),
    );
    assert.deepEqual(plistToJson(parseXmlPlist(text)), expected);
    const linted = parsePlistText(text).root;
    assert.ok(linted?.kind === 'dict' && linted.entries[0].value?.kind === 'string');
    assert.deepEqual({ [linted.entries[0].key]: linted.entries[0].value.text }, expected);
  });

  it('refuses an internal DTD subset, as plistlib does, and says where a plist goes wrong', () => {
    rejects(
      () => parseXmlPlist('<!DOCTYPE plist [<!ATTLIST plist version CDATA "1.0">]><plist><true/></plist>'),
      /internal DTD subset/,
    );
    rejects(
      () => parseXmlPlist('<plist>\n  <integer>x</integer></plist>'),
      /^not a valid XML property list: invalid <integer> "x" at 2:3$/,
    );
    rejects(
      () => parseXmlPlist('<plist><dict><key>a</key></dict></plist>'),
      /^not a valid XML property list: <key>a<\/key> has no value at 1:14$/,
    );
  });

  it('keeps __proto__ keys as data', () => {
    const value = parseXmlPlist(
      '<plist><dict><key>__proto__</key><dict><key>polluted</key><true/></dict></dict></plist>',
    );
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.deepEqual(Object.keys(value as object), ['__proto__']);
  });

  it('refuses hostile binary plists quickly', () => {
    const good = python('FMT_BINARY');
    rejects(() => parseBinaryPlist(good.subarray(0, good.length - 1)));
    const selfRef = Buffer.from(good);
    // Point the top object's first array/dict reference back at itself: a cycle.
    const cyclic = Buffer.concat([
      Buffer.from('bplist00'),
      Buffer.from([0xa1, 0x00, 0x08]),
      Buffer.alloc(6),
      Buffer.from([0, 1, 1]),
      Buffer.alloc(7),
      Buffer.from([1]),
      Buffer.alloc(8),
      Buffer.alloc(7),
      Buffer.from([0x0a]),
    ]);
    rejects(() => parseBinaryPlist(cyclic), /contains itself/);
    selfRef.writeBigUInt64BE(2n ** 60n, selfRef.length - 24); // numObjects
    rejects(() => parseBinaryPlist(selfRef));
    for (let i = 0; i < 3000; i++) {
      const b = Buffer.from(good);
      b[(i * 7919) % b.length] ^= 1 << (i % 8);
      try {
        parseBinaryPlist(b);
      } catch (e) {
        assert.ok(e instanceof InputError, String(e));
      }
    }
  });
});

describe('DER entitlements', () => {
  it("decodes rcodesign's published test vectors", () => {
    assert.deepEqual(plistToJson(decodeDerEntitlements(Buffer.from([112, 5, 2, 1, 1, 176, 0]))), {});
    assert.deepEqual(
      plistToJson(
        decodeDerEntitlements(Buffer.from([112, 15, 2, 1, 1, 176, 10, 48, 8, 12, 3, 107, 101, 121, 1, 1, 255])),
      ),
      { key: true },
    );
    const three = [
      112, 37, 2, 1, 1, 176, 32, 48, 8, 12, 3, 107, 101, 121, 1, 1, 0, 48, 9, 12, 4, 107, 101, 121, 50, 1, 1, 255, 48,
      9, 12, 4, 107, 101, 121, 51, 2, 1, 42,
    ];
    assert.deepEqual(plistToJson(decodeDerEntitlements(Buffer.from(three))), { key: false, key2: true, key3: 42 });
  });

  it('refuses malformed DER', () => {
    for (const bad of [
      [],
      [112],
      [112, 0x80, 2, 1, 1, 0, 0],
      [0x30, 5, 2, 1, 1, 176, 0],
      [112, 5, 2, 1, 2, 176, 0],
      [112, 6, 2, 1, 1, 48, 1, 0],
      [112, 5, 2, 1, 1, 176, 0, 0],
    ]) {
      rejects(() => decodeDerEntitlements(Buffer.from(bad)));
    }
  });
});
