/**
 * The build-configuration linter: shell words with exact offsets, -ldflags, and the seed article's own snippets in a
 * Makefile, a shell script, a .goreleaser.yaml and a GitHub workflow (each expected diagnostic listed by rule and by
 * the text it points at), then the corrected version of each, which must be clean.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { invocations } from '../../server/src/lint/buildconfig/commands';
import { parseLdflags } from '../../server/src/lint/buildconfig/ldflags';
import { declaredKind } from '../../server/src/lint/buildconfig/goVars';
import { assembled, parseShell, wholeText, Word } from '../../server/src/lint/buildconfig/shell';
import { applyEdits } from '../../server/src/lint/edits';
import { lintDocument } from '../../server/src/lint/lintFiles';
import { REPO } from '../support/tools';

const FIXTURES = path.join(REPO, 'test', 'fixtures', 'build');

/** Each word must point at its characters in the source: unescaped characters map to themselves. */
function assertMapped(source: string, word: Word): void {
  for (let i = 0; i < word.text.length; i++)
    assert.equal(source[word.at[i]], word.text[i], `character ${i} of ${JSON.stringify(word.text)}`);
}

describe('shell words', () => {
  it('removes quotes and escapes, and keeps the file offset of every character', () => {
    const text = `CGO_ENABLED=0 go build -ldflags '-s -w' -o "my app" a\\ b ./cmd/x # comment\n`;
    const [command] = parseShell(wholeText(text));
    assert.deepEqual(
      command.env.map((a) => [a.name, a.value.text]),
      [['CGO_ENABLED', '0']],
    );
    assert.deepEqual(
      command.words.map((w) => w.text),
      ['go', 'build', '-ldflags', '-s -w', '-o', 'my app', 'a b', './cmd/x'],
    );
    for (const w of command.words) assertMapped(text, w);
    assert.equal(text.slice(command.words[3].range.start, command.words[3].range.end), `'-s -w'`);
  });

  it('follows line continuations, operators, substitutions, redirections and here-documents', () => {
    const text = [
      'xcrun notarytool submit app.zip \\',
      '  --wait && xcrun stapler staple My.app 2>&1 | tee log',
      'VERSION=$(git describe --tags "$(git rev-parse HEAD)") ; echo "${VERSION}" > out.txt',
      'cat <<EOF',
      'codesign --deep not a command',
      'EOF',
      'if [ -n "$X" ]; then codesign -f -s - a; fi',
    ].join('\n');
    const found = invocations(wholeText(text));
    assert.deepEqual(
      found.map((i) => [i.tool, i.args.map((a) => a.text)]),
      [
        ['notarytool', ['submit', 'app.zip', '--wait']],
        ['stapler', ['staple', 'My.app']],
        ['tee', ['log']],
        ['echo', ['${VERSION}']],
        ['cat', []],
        ['[', ['-n', '$X', ']']],
        ['codesign', ['-f', '-s', '-', 'a']],
      ],
    );
    assert.equal(found[3].env.get('VERSION')?.text, '$(git describe --tags "$(git rev-parse HEAD)")');
    for (const inv of found) for (const w of [inv.name, ...inv.args]) assertMapped(text, w);
  });

  it('maps pieces of a file (recipe lines) back to the file', () => {
    const file = 'x:\n\t@codesign -f -s - a\n\tstrip a\n';
    const script = assembled([
      { text: 'codesign -f -s - a\n', offset: 5 },
      { text: 'strip a\n', offset: 25 },
    ]);
    const found = invocations(script);
    assert.deepEqual(
      found.map((i) => i.tool),
      ['codesign', 'strip'],
    );
    for (const inv of found) for (const w of [inv.name, ...inv.args]) assertMapped(file, w);
  });
});

describe('-ldflags', () => {
  it('splits the linker flags like the go command and ranges each one', () => {
    const text = `go build -ldflags="-s -w -X 'main.version=1.0 beta' -H=macOS -extldflags \\"-Wl,-x\\""`;
    const [inv] = invocations(wholeText(text));
    const value = inv.args[1];
    const word: Word = {
      text: value.text.slice('-ldflags='.length),
      at: value.at.subarray('-ldflags='.length),
      range: value.range,
      quoted: true,
    };
    const flags = parseLdflags(word);
    assert.deepEqual(
      flags.map((f) => [f.name, f.value]),
      [
        ['s', undefined],
        ['w', undefined],
        ['X', 'main.version=1.0 beta'],
        ['H', 'macOS'],
        ['extldflags', '-Wl,-x'],
      ],
    );
    assert.equal(text.slice(flags[3].range.start, flags[3].range.end), '-H=macOS');
    assert.equal(text.slice(flags[2].valueRange!.start, flags[2].valueRange!.end), 'main.version=1.0 beta');
  });

  it('reads what -X may assign from Go source', () => {
    const source =
      'package main\n\nvar version = "dev"\nvar (\n\tcommit string\n\tcount int\n\tbuilt = time.Now().String()\n)\nconst name = "x"\n// var ghost string\n';
    assert.equal(declaredKind(source, 'version'), 'string');
    assert.equal(declaredKind(source, 'commit'), 'string');
    assert.equal(declaredKind(source, 'count'), 'not-string');
    assert.equal(declaredKind(source, 'built'), 'not-string');
    assert.equal(declaredKind(source, 'name'), 'not-string');
    assert.equal(declaredKind(source, 'ghost'), 'absent');
  });
});

/** Rule and the exact text each diagnostic points at, in file order. */
function lint(relative: string) {
  const file = path.join(FIXTURES, relative);
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const found = lintDocument(file, text, { withFixes: true });
  return {
    file,
    text,
    found,
    summary: found.map((d) => [
      d.code,
      lines[d.range.start.line].slice(d.range.start.character, d.range.end.character),
    ]),
  };
}

const SEED: Record<string, [string, string][]> = {
  Makefile: [
    ['ldflags/buildmode-in-ldflags', '-buildmode=exe'],
    ['ldflags/invalid-headtype', '-H=macOS'],
    ['ldflags/x-not-a-switch', 'main.notaryV2Align=true'],
    ['build/buildmode-exe-noop', '-buildmode=exe'],
    ['codesign/missing-timestamp', 'codesign'],
    ['codesign/deep', '--deep'],
    ['codesign/entitlements-file', 'empty.entitlements'],
    ['notarytool/unsupported-container', 'myapp'],
    ['stapler/unsupported-target', 'myapp'],
    ['spctl/bare-cli', 'myapp'],
  ],
  'release.sh': [
    ['build/buildmode-exe-noop', '-buildmode=exe'],
    ['codesign/missing-timestamp', 'codesign'],
    ['codesign/deep', '--deep'],
    ['codesign/missing-runtime', 'codesign'],
    ['codesign/not-developer-id', '"-"'],
    ['codesign/entitlements-file', 'empty.entitlements'],
    ['codesign/timestamp-none', '--timestamp=none'],
    ['notarytool/unsupported-container', 'myapp'],
    ['stapler/unsupported-target', 'myapp'],
    ['spctl/bare-cli', 'myapp'],
  ],
  '.goreleaser.yaml': [
    ['goreleaser/cgo-enabled-key', 'cgo_enabled'],
    ['build/buildmode-exe-noop', '-buildmode=exe'],
    ['ldflags/buildmode-in-ldflags', '-buildmode=exe'],
    ['ldflags/invalid-headtype', '-H=macOS'],
    ['codesign/missing-runtime', 'codesign'],
    ['codesign/missing-timestamp', 'codesign'],
    ['codesign/not-developer-id', '"Apple Development"'],
  ],
  '.github/workflows/release.yml': [
    ['ldflags/buildmode-in-ldflags', '-buildmode=exe'],
    ['ldflags/invalid-headtype', '-H=macOS'],
    ['build/buildmode-exe-noop', '-buildmode=exe'],
    ['codesign/missing-timestamp', 'codesign'],
    ['codesign/deep', '--deep'],
    ['notarytool/unsupported-container', 'myapp'],
    ['notarytool/auth', '"AC_PASSWORD"'],
    ['stapler/unsupported-target', 'myapp'],
    ['spctl/bare-cli', 'myapp'],
  ],
};

describe("the seed article's snippets", () => {
  for (const [relative, expected] of Object.entries(SEED)) {
    it(`${relative}: reports each mistake where it is written`, () => {
      assert.deepEqual(lint(path.join('seed', relative)).summary, expected);
    });

    it(`${relative}: every quick fix removes its diagnostic`, () => {
      const { file, text, found } = lint(path.join('seed', relative));
      const toOffset = (p: { line: number; character: number }) =>
        text
          .split('\n')
          .slice(0, p.line)
          .reduce((n, l) => n + l.length + 1, 0) + p.character;
      for (const d of found) {
        for (const fix of d.fixes ?? []) {
          const fixed = applyEdits(
            text,
            fix.edits.map((e) => ({
              range: { start: toOffset(e.range.start), end: toOffset(e.range.end) },
              newText: e.newText,
            })),
          );
          const again = lintDocument(file, fixed).filter(
            (x) => x.code === d.code && x.range.start.line === d.range.start.line,
          );
          const before = found.filter((x) => x.code === d.code && x.range.start.line === d.range.start.line);
          assert.equal(
            again.length,
            before.length - 1,
            `${fix.title} on line ${d.range.start.line + 1}: ${fixed.split('\n')[d.range.start.line]}`,
          );
        }
      }
    });

    it(`${relative}: the corrected version is clean`, () => {
      assert.deepEqual(lint(path.join('fixed', relative)).summary, []);
    });
  }
});

describe('build rules in small cases', () => {
  const lintText = (file: string, text: string) => lintDocument(file, text).map((d) => d.code);

  it('separates release rules from development rules in a Makefile', () => {
    const text =
      'dev:\n\tcodesign -s - a\nrelease: sign\n\tditto -c -k a a.zip\n\txcrun notarytool submit a.zip -p prof --wait\nsign:\n\tcodesign -f -s - a\n';
    assert.deepEqual(lintText('/nowhere/Makefile', text), [
      'codesign/missing-force',
      'codesign/missing-runtime',
      'codesign/missing-timestamp',
      'codesign/not-developer-id',
    ]);
  });

  it('finds modification after signing, and accepts lipo before signing', () => {
    assert.deepEqual(lintText('/x/b.sh', 'codesign -f -o runtime --timestamp -s "$ID" app\nstrip app\n'), [
      'build/modify-after-sign',
    ]);
    assert.deepEqual(
      lintText(
        '/x/b.sh',
        'codesign -f -o runtime --timestamp -s "$ID" a\nlipo -create -output u a b\ncodesign -f -o runtime --timestamp -s "$ID" u\n',
      ),
      [],
    );
    assert.deepEqual(
      lintText('/x/b.sh', 'lipo -create -output u a b\ncodesign -f -o runtime --timestamp -s "$ID" u\n'),
      [],
    );
  });

  it('checks notarytool credentials', () => {
    assert.deepEqual(lintText('/x/n.sh', 'xcrun notarytool submit a.zip --wait\n'), ['notarytool/auth']);
    assert.deepEqual(lintText('/x/n.sh', 'xcrun notarytool submit a.zip --wait -p prof --key k.p8 --key-id K\n'), [
      'notarytool/auth',
    ]);
    assert.deepEqual(
      lintText(
        '/x/n.sh',
        'xcrun notarytool submit a.zip --wait --apple-id me@x.com --team-id T --password abcd-efgh\n',
      ),
      ['notarytool/auth'],
    );
    assert.deepEqual(lintText('/x/n.sh', 'xcrun notarytool submit a.zip --wait --api-key K --api-issuer I -p prof\n'), [
      'notarytool/auth',
      'notarytool/auth',
    ]);
    assert.deepEqual(
      lintText('/x/n.sh', 'id=$(xcrun notarytool submit a.zip -p prof -f json)\nxcrun notarytool wait "$id" -p prof\n'),
      [],
    );
    assert.deepEqual(lintText('/x/n.sh', 'xcrun notarytool submit a.zip -p prof\n'), ['notarytool/no-wait']);
    assert.deepEqual(lintText('/x/n.sh', 'xcrun altool --notarize-app -f a.zip --primary-bundle-id x -u me -p pw\n'), [
      'notarytool/altool',
    ]);
    assert.deepEqual(lintText('/x/n.sh', 'xcrun notarytool submit dist/a.tar.gz -p prof --wait\n'), [
      'notarytool/unsupported-container',
    ]);
  });

  it('checks go build environments and linker flags', () => {
    assert.deepEqual(lintText('/x/b.sh', 'GOOS=darwin GOARCH=386 go build .\n'), ['build/unsupported-goarch']);
    assert.deepEqual(lintText('/x/b.sh', 'CGO_ENABLED=0 go build -ldflags=-linkmode=external .\n'), [
      'build/external-link-without-cgo',
    ]);
    assert.deepEqual(lintText('/x/b.sh', 'CGO_ENABLED=0 go build -race .\n'), ['build/external-link-without-cgo']);
    assert.deepEqual(lintText('/x/b.sh', 'CGO_ENABLED=0 go build -ldflags "-extldflags -static" .\n'), [
      'build/extldflags-internal-link',
    ]);
    assert.deepEqual(lintText('/x/b.sh', 'go build -ldflags "-sectcreate __TEXT __entitlements e.plist" .\n'), [
      'ldflags/sectcreate',
    ]);
    assert.deepEqual(lintText('/x/b.sh', 'go build -ldflags "-X main.version" .\n'), ['ldflags/x-not-a-switch']);
    assert.deepEqual(
      lintText(
        '/x/b.sh',
        'GOOS=darwin GOARCH=arm64 CGO_ENABLED=1 go build -ldflags "-linkmode=external -s -w -X main.v=$V" .\n',
      ),
      [],
    );
  });

  it('reads VS Code tasks and settings', () => {
    const tasks = JSON.stringify(
      {
        version: '2.0.0',
        tasks: [
          {
            label: 'sign',
            type: 'shell',
            command: 'codesign',
            args: ['--force', '--deep', '--sign', 'Developer ID Application: X (T)', 'bin/tool'],
          },
        ],
      },
      null,
      2,
    );
    assert.deepEqual(lintText('/x/.vscode/tasks.json', tasks), [
      'codesign/missing-runtime',
      'codesign/missing-timestamp',
      'codesign/deep',
    ]);
    const settings =
      '{\n  // flags for every build\n  "go.buildFlags": ["-ldflags=-H=macOS -s"],\n  "go.toolsEnvVars": {"GOOS": "darwin", "GOARCH": "arm64"}\n}\n';
    const found = lintDocument('/x/.vscode/settings.json', settings);
    assert.deepEqual(
      found.map((d) => d.code),
      ['ldflags/invalid-headtype'],
    );
    assert.equal(
      settings
        .split('\n')
        [found[0].range.start.line].slice(found[0].range.start.character, found[0].range.end.character),
      '-H=macOS',
    );
  });

  it('maps JSON strings with escapes back to the file', () => {
    const tasks =
      '{"tasks": [{"command": "codesign --sign \\"Developer ID Application: X\\" --deep --timestamp -f -o runtime tool"}]}';
    const [d] = lintDocument('/x/.vscode/tasks.json', tasks);
    assert.equal(d.code, 'codesign/deep');
    assert.equal(tasks.slice(d.range.start.character, d.range.end.character), '--deep');
  });

  it('reads Taskfiles and justfiles', () => {
    assert.deepEqual(
      lintText(
        '/x/Taskfile.yml',
        'version: "3"\ntasks:\n  sign:\n    cmds:\n      - \'codesign --force --sign "Developer ID Application: X" --timestamp bin/x\'\n',
      ),
      ['codesign/missing-runtime'],
    );
    assert.deepEqual(
      lintText(
        '/x/justfile',
        'sign:\n    codesign --force --sign "Developer ID Application: X" --options runtime bin/x\n',
      ),
      ['codesign/missing-timestamp'],
    );
  });
});
