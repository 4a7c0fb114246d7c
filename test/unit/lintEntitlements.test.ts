/**
 * The entitlements linter on files written by others (@electron/osx-sign's templates, the entitlements embedded in
 * a real Developer ID binary) and on hostile and broken input, with exact ranges.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { lintEntitlements } from '../../server/src/lint/entitlements/analyze';
import { applyEdits } from '../../server/src/lint/edits';
import { cleanOverrides, lintDocument, lintPaths } from '../../server/src/lint/lintFiles';
import { MAX_PROBLEMS, parsePlistText } from '../../server/src/plist/xml';
import { execFileSync } from 'node:child_process';
import { parseFatArchs } from '../../server/src/macho/container';
import { parseMachO } from '../../server/src/macho/loadCommands';
import { readSignature } from '../../server/src/macho/signature';
import { BufferSource } from '../../server/src/macho/source';
import { findBlob } from '../../server/src/macho/superblob';
import { CHILD_LIMIT } from '../support/bounds';
import { npmPackage, tempDir } from '../support/tools';

const plist = (body: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">\n<dict>\n${body}</dict>\n</plist>\n`;
/** The text each diagnostic points at, with its code: what a user sees underlined. */
const marked = (text: string) => lintEntitlements(text).map((d) => [d.code, text.slice(d.range.start, d.range.end)]);

describe('entitlements written by others', () => {
  it("@electron/osx-sign@1.3.3 templates: what Apple's documentation says about each key", () => {
    const dir = path.join(npmPackage('@electron/osx-sign@1.3.3'), 'entitlements');
    const findings = (file: string) =>
      lintDocument(file, fs.readFileSync(path.join(dir, file), 'utf8')).map(
        (d) => `${d.severity} ${d.code} ${d.message.split(/[ :]/)[0]}`,
      );
    // Electron's V8 needs a JIT exception; a pure-Go program does not (info only).
    assert.deepEqual(findings('default.darwin.gpu.plist'), ['info entitlements/unneeded-for-go Allow']);
    assert.deepEqual(findings('default.darwin.renderer.plist'), ['info entitlements/unneeded-for-go Allow']);
    // device.bluetooth and device.usb are App Sandbox keys (Apple: "enable the App Sandbox capability"), and this
    // file does not enable the sandbox; Apple documents com.apple.security.print, not device.print.
    assert.deepEqual(findings('default.darwin.plist'), [
      'info entitlements/unneeded-for-go Allow',
      'warning entitlements/sandbox-key-without-sandbox com.apple.security.device.bluetooth',
      'warning entitlements/unknown-key com.apple.security.device.print',
      'warning entitlements/sandbox-key-without-sandbox com.apple.security.device.usb',
    ]);
    assert.deepEqual(findings('default.darwin.plugin.plist'), [
      'info entitlements/unneeded-for-go Allow',
      'info entitlements/library-validation A',
    ]);
    assert.deepEqual(findings('default.mas.plist'), ['info entitlements/app-sandbox-cli App']);
    assert.deepEqual(findings('default.mas.child.plist'), ['info entitlements/app-sandbox-cli App']);
  });

  it("the XML entitlements embedded in @sentry/cli-darwin's Developer ID signature are clean", () => {
    const whole = new BufferSource(
      fs.readFileSync(path.join(npmPackage('@sentry/cli-darwin@3.8.0'), 'bin', 'sentry-cli')),
      'sentry',
    );
    for (const arch of parseFatArchs(whole)) {
      const slice = whole.slice(arch.offset, arch.size, 'slice');
      const blob = findBlob(readSignature(slice, parseMachO(slice))!.superBlob, 5)!;
      assert.deepEqual(lintEntitlements(blob.bytes.subarray(8).toString('utf8')), []);
    }
  });
});

describe('rules and their ranges', () => {
  it('get-task-allow, false values, duplicates, the JIT cascade and restricted keys point at the key', () => {
    const text = plist(
      '<key>com.apple.security.get-task-allow</key><true/>\n' +
        '<key>com.apple.security.cs.allow-jit</key><true/>\n' +
        '<key>com.apple.security.cs.disable-library-validation</key><false/>\n' +
        '<key>com.apple.security.cs.allow-unsigned-executable-memory</key><true/>\n' +
        '<key>com.apple.security.cs.allow-jit</key><true/>\n' +
        '<key>com.apple.developer.endpoint-security.client</key><true/>\n',
    );
    assert.deepEqual(marked(text), [
      ['entitlements/get-task-allow', 'com.apple.security.get-task-allow'],
      ['entitlements/unneeded-for-go', 'com.apple.security.cs.allow-jit'],
      ['entitlements/false-value', '<key>com.apple.security.cs.disable-library-validation</key><false/>'],
      ['entitlements/unneeded-for-go', 'com.apple.security.cs.allow-unsigned-executable-memory'],
      ['entitlements/jit-cascade', 'com.apple.security.cs.allow-unsigned-executable-memory'],
      ['entitlements/duplicate-key', 'com.apple.security.cs.allow-jit'],
      ['entitlements/restricted-needs-profile', 'com.apple.developer.endpoint-security.client'],
    ]);
  });

  it('"any variation of true" counts for get-task-allow', () => {
    for (const value of ['<string>YES</string>', '<integer>1</integer>', '<string>true</string>']) {
      // also the wrong type: get-task-allow is a Boolean
      assert.deepEqual(
        marked(plist(`<key>com.apple.security.get-task-allow</key>${value}\n`)).map(([c]) => c),
        ['entitlements/get-task-allow', 'entitlements/wrong-type'],
      );
    }
    assert.deepEqual(
      marked(plist('<key>com.apple.security.get-task-allow</key><false/>\n')).map(([c]) => c),
      ['entitlements/false-value'],
    );
  });

  it('format: BOM, CRLF, comments, non-ASCII, a root that is not a dictionary', () => {
    const text = '\uFEFF<plist>\r\n<!-- debug build -->\n<dict><key>é</key><true/></dict></plist>';
    assert.deepEqual(marked(text), [
      ['entitlements/format', '\uFEFF'],
      ['entitlements/format', '\r'],
      ['entitlements/format', '<!-- debug build -->'],
      ['entitlements/format', 'é'],
    ]);
    assert.deepEqual(marked('<plist><array><true/></array></plist>'), [
      ['entitlements/format', '<array><true/></array>'],
    ]);
  });

  it('syntax: not well-formed, a key without a value, foreign elements; binary plists', () => {
    assert.deepEqual(
      marked(plist('<key>a</key>\n')).map(([c, t]) => [c, t]),
      [['plist/syntax', '<key>a</key>']],
    );
    assert.deepEqual(
      marked('<plist><dict><foo/></dict></plist>').map(([c]) => c),
      ['plist/syntax'],
    );
    assert.equal(marked('<plist><dict>').length > 0, true);
    assert.deepEqual(
      marked('bplist00\u0000\u0001').map(([c]) => c),
      ['plist/binary'],
    );
  });
});

describe('hostile input', () => {
  it('billion laughs: refused without expansion, at once', () => {
    const lol =
      '<!DOCTYPE lolz [<!ENTITY a "aaaaaaaaaa">' +
      Array.from(
        { length: 9 },
        (_, i) => `<!ENTITY ${String.fromCharCode(98 + i)} "${`&${String.fromCharCode(97 + i)};`.repeat(10)}">`,
      ).join('') +
      ']><plist><string>&j;</string></plist>';
    // Its time is measured in bench/lint.ts; here, that nothing was expanded: one finding, about the entities.
    const ds = lintEntitlements(lol);
    assert.deepEqual(
      ds.map((d) => d.code),
      ['entitlements/format'],
    );
    assert.match(ds[0].message, /entities/);
  });

  it('an external entity pointing at a local file is never read', () => {
    const secret = path.join(tempDir(), 'secret.txt');
    fs.writeFileSync(secret, 'TOP-SECRET-MARKER');
    const ds = lintEntitlements(
      `<!DOCTYPE plist [<!ENTITY x SYSTEM "file://${secret}">]><plist><dict><key>&x;</key><true/></dict></plist>`,
    );
    assert.ok(ds.length > 0);
    assert.ok(ds.every((d) => !d.message.includes('TOP-SECRET')));
  });

  it('a 10 MB plist, deep nesting and invalid UTF-8 end with diagnostics, not crashes', () => {
    const big = plist(
      Array.from(
        { length: 200_000 },
        (_, i) => `<key>com.example.key${i}</key><string>${'v'.repeat(20)}</string>\n`,
      ).join(''),
    );
    assert.ok(big.length > 10_000_000);
    assert.deepEqual(lintEntitlements(big), []);
    const deep = `<plist>${'<array>'.repeat(5000)}${'</array>'.repeat(5000)}</plist>`;
    assert.ok(lintEntitlements(deep).some((d) => d.code === 'plist/syntax' && /deep/.test(d.message)));
    const invalid = Buffer.concat([
      Buffer.from(plist('<key>a')),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('</key><true/>\n'),
    ]).toString('utf8');
    assert.ok(lintEntitlements(invalid).some((d) => d.code === 'entitlements/format'));
  });

  it('2 MB of random bytes: reading stops after a bounded number of problems, and says where', () => {
    // mulberry32, seeded: the same bytes on every run.
    let seed = 20261201;
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const text = Buffer.from(Array.from({ length: 2 * 1024 * 1024 }, () => Math.floor(random() * 256))).toString(
      'utf8',
    );
    const { problems } = parsePlistText(text);
    assert.ok(problems.length <= MAX_PROBLEMS, `${problems.length} problems`);
    const last = problems[problems.length - 1];
    assert.match(last.message, /too many errors: stopped reading here/);
    assert.ok(last.range.end < text.length / 100, 'stopped near the start, not at the end');
    // The linter reports them as plist/syntax, no more than the parser found.
    assert.ok(lintEntitlements(text).filter((d) => d.code === 'plist/syntax').length <= MAX_PROBLEMS);
  });
});

describe('quick fixes', () => {
  const messy =
    '\uFEFF<?xml version="1.0" encoding="UTF-8"?>\r\n<plist version="1.0">\r\n<!-- for debugging -->\r\n<dict>\r\n' +
    '\t<key>com.apple.security.get-task-allow</key>\r\n\t<true/>\r\n' +
    '\t<key>com.apple.security.cs.allow-jit</key>\r\n\t<true/>\r\n' +
    '\t<key>com.apple.security.cs.allow-unsigned-executable-memory</key>\r\n\t<true/>\r\n' +
    '\t<key>com.apple.security.cs.disable-library-validation</key>\r\n\t<false/>\r\n' +
    '\t<key>com.apple.security.cs.allow-jit</key>\r\n\t<true/>\r\n' +
    '</dict>\r\n</plist>\r\n';

  it('each fix removes its own diagnostic and adds none', () => {
    const before = lintEntitlements(messy);
    const fixable = before.filter((d) => d.fixes);
    assert.equal(fixable.length, 7);
    for (const d of fixable) {
      const after = lintEntitlements(applyEdits(messy, d.fixes![0].edits)).map((a) => a.code);
      const remaining = before.map((b) => b.code);
      remaining.splice(remaining.indexOf(d.code), 1);
      // What is left is a subset of what was there: removing an entry may also settle other findings about it.
      for (const code of after) {
        const i = remaining.indexOf(code);
        assert.ok(i >= 0, `${d.fixes![0].title} introduced ${code}`);
        remaining.splice(i, 1);
      }
      assert.ok(
        after.filter((c) => c === d.code).length < before.filter((b) => b.code === d.code).length,
        d.fixes![0].title,
      );
    }
  });

  it('applying every fix, one after another, leaves a clean file', () => {
    let text = messy;
    for (let round = 0; round < 20; round++) {
      const next = lintEntitlements(text).find((d) => d.fixes);
      if (!next) break;
      text = applyEdits(text, next.fixes![0].edits);
    }
    // Only advice without a fix remains: allow-jit is rarely needed by Go programs.
    assert.deepEqual(
      lintEntitlements(text).map((d) => [d.severity, d.code]),
      [['info', 'entitlements/unneeded-for-go']],
    );
    assert.equal(
      text,
      '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">\n<dict>\n\t<key>com.apple.security.cs.allow-jit</key>\n\t<true/>\n</dict>\n</plist>\n',
    );
  });
});

describe('rules that know the keys', () => {
  it('suggests the key a typo meant, and the fix applies it', () => {
    const text = plist('<key>com.apple.security.cs.allow-jti</key><true/>\n');
    const [d] = lintEntitlements(text).filter((x) => x.code === 'entitlements/unknown-key');
    assert.match(d.message, /did you mean com\.apple\.security\.cs\.allow-jit\?/);
    assert.equal(text.slice(d.range.start, d.range.end), 'com.apple.security.cs.allow-jti');
    const fixed = applyEdits(text, d.fixes![0].edits);
    assert.deepEqual(
      lintEntitlements(fixed).map((x) => x.code),
      ['entitlements/unneeded-for-go'],
    );
  });

  it('a Boolean written as a string is the wrong type, and the fix makes it <true/>', () => {
    const text = plist('<key>com.apple.security.cs.disable-library-validation</key><string>YES</string>\n');
    const wrong = lintEntitlements(text).find((x) => x.code === 'entitlements/wrong-type')!;
    assert.equal(text.slice(wrong.range.start, wrong.range.end), '<string>YES</string>');
    assert.equal(wrong.fixes![0].title, 'Change to <true/>');
    assert.deepEqual(
      lintEntitlements(applyEdits(text, wrong.fixes![0].edits)).map((x) => x.code),
      ['entitlements/library-validation'],
    );
  });

  it('Info.plist keys are in the wrong file', () => {
    assert.deepEqual(
      marked(
        plist(
          '<key>NSCameraUsageDescription</key><string>Scans QR codes</string>\n<key>CFBundleIdentifier</key><string>x</string>\n',
        ),
      ).map(([c, t]) => [c, t]),
      [
        ['entitlements/wrong-file', 'NSCameraUsageDescription'],
        ['entitlements/wrong-file', 'CFBundleIdentifier'],
      ],
    );
  });

  it('sandbox keys are fine inside the sandbox, and reported without it', () => {
    const key = '<key>com.apple.security.network.client</key><true/>\n';
    assert.deepEqual(
      marked(plist(key)).map(([c]) => c),
      ['entitlements/sandbox-key-without-sandbox'],
    );
    assert.deepEqual(
      marked(plist(`<key>com.apple.security.app-sandbox</key><true/>\n${key}`)).map(([c]) => c),
      ['entitlements/app-sandbox-cli'],
    );
  });

  it("keys outside Apple's security namespace that are not near a known key are left alone", () => {
    assert.deepEqual(marked(plist('<key>com.example.custom</key><true/>\n')), []);
  });
});

describe('severity overrides', () => {
  it('apply per rule id, and ignore malformed settings', () => {
    const text = plist('<key>com.apple.security.get-task-allow</key><true/>\n<key>a</key><false/>\n');
    const overrides = cleanOverrides({
      'entitlements/get-task-allow': 'hint',
      'entitlements/false-value': 'off',
      'entitlements/jit-cascade': 'loud',
      x: 3,
    });
    assert.deepEqual(overrides, { 'entitlements/get-task-allow': 'hint', 'entitlements/false-value': 'off' });
    assert.deepEqual(
      lintDocument('f', text, { overrides }).map((d) => [d.code, d.severity]),
      [['entitlements/get-task-allow', 'hint']],
    );
    assert.deepEqual(cleanOverrides('nonsense'), {});
  });
});

describe('Info.plist', () => {
  it('a real Info.plist (terminal-notifier.app) is clean', () => {
    const info = path.join(
      npmPackage('node-notifier@10.0.1'),
      'vendor',
      'mac.noindex',
      'terminal-notifier.app',
      'Contents',
      'Info.plist',
    );
    assert.deepEqual(lintDocument(info, fs.readFileSync(info, 'utf8')), []);
  });

  it('explains the myth: entitlements in Info.plist have no effect', () => {
    const text = plist(
      '<key>CFBundleIdentifier</key><string>com.example.tool</string>\n<key>com.apple.security.app-sandbox</key><true/>\n',
    );
    const ds = lintDocument('/x/Contents/Info.plist', text);
    assert.deepEqual(
      ds.map((d) => d.code),
      ['infoplist/entitlement-key'],
    );
    assert.match(ds[0].message, /has no effect.*codesign --entitlements/);
  });
});

describe('binary entitlements', () => {
  it('are reported as binary, and their decoded keys are still checked', async () => {
    const file = path.join(tempDir(), 'binary.entitlements');
    execFileSync(
      'python3',
      [
        '-c',
        'import plistlib,sys; plistlib.dump({"com.apple.security.get-task-allow": True, "com.apple.security.cs.allow-jti": True}, open(sys.argv[1],"wb"), fmt=plistlib.FMT_BINARY)',
        file,
      ],
      CHILD_LIMIT,
    );
    const ds = await lintPaths([file]);
    assert.deepEqual(ds.map((d) => d.code).sort(), [
      'entitlements/get-task-allow',
      'entitlements/unknown-key',
      'plist/binary',
    ]);
    assert.match(
      ds.find((d) => d.code === 'entitlements/unknown-key')!.message,
      /did you mean com\.apple\.security\.cs\.allow-jit\? \(in the binary plist\)/,
    );
    assert.ok(ds.every((d) => !d.fixes));
  });
});

describe('positional parser details', () => {
  it('decodes character references and CDATA in keys and values, keeping the source range', () => {
    const text =
      '<plist><dict><key>com.apple.security.cs.allow&#45;jit</key><string><![CDATA[a<b]]>&amp;c</string></dict></plist>';
    const root = parsePlistText(text).root!;
    assert.equal(root.kind, 'dict');
    if (root.kind !== 'dict') return;
    assert.equal(root.entries[0].key, 'com.apple.security.cs.allow-jit');
    assert.equal(
      text.slice(root.entries[0].keyRange.start, root.entries[0].keyRange.end),
      'com.apple.security.cs.allow&#45;jit',
    );
    const value = root.entries[0].value!;
    assert.equal(value.kind === 'string' && value.text, 'a<b&c');
  });

  it('reports stray text between elements, but not comments or whitespace', () => {
    assert.deepEqual(
      marked(plist('<key>com.example.a</key> oops <true/>\n')).map(([c]) => c),
      ['plist/syntax'],
    );
    assert.deepEqual(
      marked(plist('<!-- note -->\n<key>com.example.a</key>\n<true/>\n')).map(([c]) => c),
      ['entitlements/format'],
    );
  });
});
