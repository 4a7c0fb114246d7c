/**
 * Build-file lint follows values: realistic scripts, Makefiles, workflows and .goreleaser.yaml files that name their
 * artifacts through variables. Each diagnostic is listed by rule, by the exact text it points at, and by its related
 * information (where the value is set, where the artifact was made); where the file cannot say what a value is,
 * nothing must be said.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lintDocument } from '../../server/src/lint/lintFiles';

/** [rule, text pointed at, [related text, message][]] for each diagnostic, in file order. */
function lint(file: string, text: string) {
  const lines = text.split('\n');
  const slice = (r: { start: { line: number; character: number }; end: { character: number } }) =>
    lines[r.start.line].slice(r.start.character, r.end.character);
  const found = lintDocument(file, text);
  return {
    found,
    summary: found.map((d) => [d.code, slice(d.range), (d.related ?? []).map((r) => [slice(r.range), r.message])]),
  };
}

const FLOW_CODES = new Set([
  'notarytool/unsupported-container',
  'stapler/unsupported-target',
  'spctl/bare-cli',
  'build/modify-after-sign',
  'codesign/missing-runtime',
]);
const flowOnly = (summary: unknown[][]) => summary.filter((d) => FLOW_CODES.has(d[0] as string));

describe('shell scripts', () => {
  const SCRIPT = [
    '#!/usr/bin/env bash',
    'set -euo pipefail',
    'APP=myapp',
    'VERSION="${VERSION:-0.0.0-dev}"',
    'DIST=dist',
    'BIN="$DIST/$APP"',
    'ZIP="$DIST/$APP-$VERSION.zip"',
    'IDENTITY="Developer ID Application: Example (ABCDE12345)"',
    '',
    'GOOS=darwin GOARCH=arm64 go build -trimpath -o "$BIN-arm64" ./cmd/myapp',
    'GOOS=darwin GOARCH=amd64 go build -trimpath -o "$BIN-amd64" ./cmd/myapp',
    'lipo -create -output "$BIN" "$BIN-arm64" "$BIN-amd64"',
    'codesign --force --options runtime --timestamp --sign "$IDENTITY" "$BIN"',
    'xcrun notarytool submit "$BIN" --keychain-profile notary --wait',
    'xcrun stapler staple "$BIN"',
    'ditto -c -k --keepParent "$BIN" "$ZIP"',
    'xcrun notarytool submit "$ZIP" --keychain-profile notary --wait',
    'xcrun stapler staple "$ZIP"',
    'spctl --assess --type execute -vv "$BIN"',
    '',
  ].join('\n');
  const BIN_ORIGINS = [
    ['BIN="$DIST/$APP"', 'BIN is set here'],
    ['DIST=dist', 'DIST is set here'],
    ['APP=myapp', 'APP is set here'],
  ];
  const MADE_BY_LIPO = ['"$BIN"', 'made here by lipo -output: a bare Mach-O'];

  it('judges "$BIN" by what lipo made of it, and "$ZIP" by what ditto made', () => {
    const { summary, found } = lint('/nowhere/release.sh', SCRIPT);
    assert.deepEqual(summary, [
      ['notarytool/unsupported-container', '"$BIN"', [...BIN_ORIGINS, MADE_BY_LIPO]],
      ['stapler/unsupported-target', '"$BIN"', [...BIN_ORIGINS, MADE_BY_LIPO]],
      [
        'stapler/unsupported-target',
        '"$ZIP"',
        [
          ['ZIP="$DIST/$APP-$VERSION.zip"', 'ZIP is set here'],
          ['DIST=dist', 'DIST is set here'],
          ['APP=myapp', 'APP is set here'],
          ['VERSION="${VERSION:-0.0.0-dev}"', 'VERSION is set here'],
          ['"$ZIP"', 'made here by ditto -c -k: a zip archive'],
        ],
      ],
      ['spctl/bare-cli', '"$BIN"', [...BIN_ORIGINS, MADE_BY_LIPO]],
    ]);
    assert.equal(found[0].range.start.line, 13, 'the submission, not the build');
    assert.match(
      found[0].message,
      /^\$BIN \(dist\/myapp\) holds a bare Mach-O \(made by lipo -output\): notarytool submit accepts only \.zip, \.dmg and \.pkg.*ditto -c -k --keepParent dist\/myapp dist\/myapp\.zip/,
    );
    assert.match(
      found[2].message,
      /^\$ZIP \(dist\/myapp-0\.0\.0-dev\.zip\) holds a zip archive \(made by ditto -c -k\): a ticket cannot be stapled to a zip/,
    );
    // The related places are in the script itself: the lipo line for where the binary was made.
    assert.equal(found[0].related?.[3].range.start.line, 11);
  });

  it('says nothing where the value cannot be known, and still judges what is known', () => {
    const text = [
      '#!/bin/sh',
      'BIN=$(mktemp -d)/app',
      'xcrun notarytool submit "$BIN" -p notary --wait',
      'xcrun notarytool submit "$1" -p notary --wait',
      'xcrun notarytool submit "$ARTIFACT" -p notary --wait',
      'if [ -n "${CI:-}" ]; then OUT=ci-app; else OUT=app.zip; fi',
      'xcrun notarytool submit "$OUT" -p notary --wait',
      '[ -f app.zip ] || PKG=app',
      'xcrun stapler staple "$PKG"',
      'for f in dist/*; do xcrun stapler staple "$f"; done',
      'read -r NAME',
      'spctl -a -vv "$NAME"',
      'FILES="a b"',
      'xcrun stapler staple $FILES',
      'DIR=dist',
      'xcrun stapler staple "$DIR"/*',
      'TOOL=tool.zip xcrun notarytool submit "$TOOL" -p notary --wait',
      'xcrun notarytool submit "`cat artifact`" -p notary --wait',
      'xcrun notarytool submit "${NAME%.zip}" -p notary --wait',
      'KNOWN=dist/tool',
      'xcrun notarytool submit "$KNOWN" -p notary --wait',
      '',
    ].join('\n');
    assert.deepEqual(flowOnly(lint('/nowhere/ci.sh', text).summary), [
      ['notarytool/unsupported-container', '"$KNOWN"', [['KNOWN=dist/tool', 'KNOWN is set here']]],
    ]);
  });

  it('follows reassignment, defaults and exports in order', () => {
    const text = [
      'OUT=dist/app.zip',
      'export OUT=dist/app',
      'NAME=${NAME:-$OUT}',
      'xcrun notarytool submit "${NAME}" -p notary --wait',
      '',
    ].join('\n');
    assert.deepEqual(lint('/nowhere/n.sh', text).summary, [
      [
        'notarytool/unsupported-container',
        '"${NAME}"',
        [
          ['NAME=${NAME:-$OUT}', 'NAME is set here'],
          ['OUT=dist/app', 'OUT is set here'],
        ],
      ],
    ]);
  });

  it('a binary copied or renamed to .zip still holds a bare Mach-O; zip and hdiutil add their extension', () => {
    const text = [
      'go build -o dist/tool ./cmd/tool',
      'cp dist/tool dist/tool.zip',
      'xcrun notarytool submit dist/tool.zip -p notary --wait',
      'mv dist/tool.zip dist/upload.zip',
      'xcrun stapler staple dist/upload.zip',
      'zip -j dist/archive dist/tool',
      'xcrun notarytool submit dist/archive.zip -p notary --wait',
      '',
    ].join('\n');
    const made = ['dist/tool', 'made here by go build -o: a bare Mach-O'];
    const { summary, found } = lint('/nowhere/pack.sh', text);
    assert.deepEqual(summary, [
      ['notarytool/unsupported-container', 'dist/tool.zip', [made]],
      ['stapler/unsupported-target', 'dist/upload.zip', [made]],
    ]);
    assert.match(found[0].message, /^dist\/tool\.zip holds a bare Mach-O \(made by go build -o\)/);
    assert.match(
      found[1].message,
      /^dist\/upload\.zip holds a bare Mach-O \(made by go build -o\): stapler only works on \.app bundles/,
    );
  });

  it('reads the signing identity through its variable', () => {
    const text = [
      'IDENTITY=-',
      'codesign --force --options runtime --timestamp --sign "$IDENTITY" dist/tool',
      'ditto -c -k --keepParent dist/tool dist/tool.zip',
      'xcrun notarytool submit dist/tool.zip -p notary --wait',
      '',
    ].join('\n');
    assert.deepEqual(lint('/nowhere/sign.sh', text).summary, [
      ['codesign/not-developer-id', '"$IDENTITY"', [['IDENTITY=-', 'IDENTITY is set here']]],
    ]);
  });

  it('compares signed and modified paths by value', () => {
    const text = ['BIN=dist/app', 'codesign -f -o runtime --timestamp -s "$ID" "$BIN"', 'strip dist/app', ''].join(
      '\n',
    );
    assert.deepEqual(
      lint('/nowhere/s.sh', text).summary.map((d) => d.slice(0, 2)),
      [['build/modify-after-sign', 'dist/app']],
    );
  });

  it('knows a disk image made by hdiutil needs no hardened runtime, whatever its variable is called', () => {
    const text = [
      'DMG=out/App',
      'IMAGE="$DMG.dmg"',
      'hdiutil create -volname App -srcfolder dist/root -ov "$DMG"',
      'codesign --force --timestamp -s "Developer ID Application: X (T)" "$IMAGE"',
      'xcrun notarytool submit "$IMAGE" -p notary --wait',
      'xcrun stapler staple "$IMAGE"',
      '',
    ].join('\n');
    assert.deepEqual(flowOnly(lint('/nowhere/dmg.sh', text).summary), []);
  });
});

describe('Makefiles', () => {
  const MAKEFILE = [
    'APP ?= myapp',
    'VERSION := $(shell git describe --tags)',
    'DIST := dist',
    'BIN = $(DIST)/$(APP)',
    'IDENTITY ?= Developer ID Application: Example (ABCDE12345)',
    'INSTALLER ?= Developer ID Installer: Example (ABCDE12345)',
    '',
    '.PHONY: build sign notarize pkg version',
    '',
    'build:',
    '\tGOOS=darwin GOARCH=arm64 go build -o $(BIN) ./cmd/$(APP)',
    '',
    'sign: build',
    '\tcodesign --force --options runtime --timestamp --sign "$(IDENTITY)" $(BIN)',
    '',
    'notarize: sign',
    '\txcrun notarytool submit $(BIN) --keychain-profile notary --wait',
    '\txcrun stapler staple ${BIN}',
    '',
    'pkg: sign',
    '\tpkgbuild --root $(DIST)/root --identifier com.example.$(APP) --version 1.0 --sign "$(INSTALLER)" $(DIST)/$(APP)-installer',
    '\txcrun notarytool submit $(DIST)/$(APP)-installer --keychain-profile notary --wait',
    '\txcrun stapler staple $(DIST)/$(APP)-installer',
    '',
    'version:',
    '\txcrun notarytool submit $(DIST)/$(APP)-$(VERSION) --keychain-profile notary --wait',
    '\tOUT=$(BIN); xcrun stapler staple "$$OUT"',
    '\txcrun stapler staple "$$OUT"',
    '',
  ].join('\n');

  it('expands $(BIN) and ${BIN} with the final values, and judges them by what go build made', () => {
    const origins = [
      ['BIN = $(DIST)/$(APP)', 'BIN is set here'],
      ['DIST := dist', 'DIST is set here'],
      ['APP ?= myapp', 'APP is set here'],
    ];
    const made = ['$(BIN)', 'made here by go build -o: a bare Mach-O'];
    const { summary, found } = lint('/nowhere/Makefile', MAKEFILE);
    assert.deepEqual(summary, [
      ['notarytool/unsupported-container', '$(BIN)', [...origins, made]],
      ['stapler/unsupported-target', '${BIN}', [...origins, made]],
      ['stapler/unsupported-target', '"$$OUT"', [['OUT=$(BIN)', 'OUT is set here'], ...origins, made]],
    ]);
    assert.deepEqual(
      found.map((d) => d.range.start.line + 1),
      [17, 18, 27],
    );
    assert.match(found[0].message, /^\$\(BIN\) \(dist\/myapp\) holds a bare Mach-O \(made by go build -o\)/);
  });

  it('uses $@ and $<, target-specific values, and says nothing where a recipe may see either value', () => {
    const text = [
      'BIN = dist/myapp',
      '',
      'dist/tool: main.go',
      '\tgo build -o $@ .',
      '',
      'quick: dist/tool',
      '\txcrun notarytool submit $< --keychain-profile notary --wait',
      '',
      'release: BIN = dist/myapp.zip',
      'release: package',
      '\txcrun notarytool submit $(BIN) --keychain-profile notary --wait',
      '',
      'package:',
      '\tditto -c -k --keepParent dist/myapp $(BIN)',
      '\txcrun stapler staple $(BIN)',
      '',
      'dev:',
      '\txcrun notarytool submit $(BIN) --keychain-profile notary --wait',
      '',
      'ifeq ($(CI),true)',
      'OUT = ci.zip',
      'else',
      'OUT = app',
      'endif',
      'ci:',
      '\txcrun notarytool submit $(OUT) --keychain-profile notary --wait',
      '\txcrun notarytool submit $(notdir $(BIN)) --keychain-profile notary --wait',
      '\txcrun notarytool submit $(UNDEFINED) --keychain-profile notary --wait',
      '',
    ].join('\n');
    const { summary, found } = lint('/nowhere/Makefile', text);
    assert.deepEqual(summary, [
      ['notarytool/unsupported-container', '$<', [['$@', 'made here by go build -o: a bare Mach-O']]],
      ['notarytool/unsupported-container', '$(BIN)', [['BIN = dist/myapp', 'BIN is set here']]],
    ]);
    assert.deepEqual(
      found.map((d) => d.range.start.line + 1),
      [7, 18],
    );
  });
});

describe('GitHub workflows', () => {
  const WORKFLOW = [
    'name: release',
    'on:',
    '  push:',
    '    tags: ["v*"]',
    'env:',
    '  APP: myapp',
    'jobs:',
    '  macos:',
    '    runs-on: macos-14',
    '    env:',
    '      BIN: dist/myapp',
    '    steps:',
    '      - uses: actions/checkout@v4',
    '      - name: Build',
    '        run: go build -o "$BIN" ./cmd/myapp',
    '      - name: Sign',
    '        run: codesign --force --options runtime --timestamp --sign "$IDENTITY" "$BIN"',
    '        env:',
    '          IDENTITY: ${{ secrets.IDENTITY }}',
    '      - name: Notarize',
    '        env:',
    '          ZIP: dist/${{ env.APP }}.zip',
    '        run: |',
    '          xcrun notarytool submit "$BIN" --key AuthKey.p8 --key-id ABCDE12345 --issuer "$ISSUER" --wait',
    '          ditto -c -k --keepParent "$BIN" "$ZIP"',
    '          xcrun notarytool submit "$ZIP" --key AuthKey.p8 --key-id ABCDE12345 --issuer "$ISSUER" --wait',
    '          xcrun stapler staple ${{ env.BIN }}',
    '      - run: echo "BIN=dist/myapp.dmg" >> "$GITHUB_ENV"',
    '      - run: xcrun stapler staple "$BIN"',
    '      - env:',
    '          OUT: ${{ secrets.ARTIFACT }}',
    '        run: xcrun stapler staple "$OUT" ${{ github.workspace }}/x',
    '',
  ].join('\n');

  it('reads env at workflow, job and step level and ${{ env.X }}, and judges by what the build made', () => {
    const made = ['"$BIN"', 'made here by go build -o: a bare Mach-O'];
    const { summary, found } = lint('/nowhere/.github/workflows/release.yml', WORKFLOW);
    assert.deepEqual(summary, [
      ['notarytool/unsupported-container', '"$BIN"', [['dist/myapp', 'BIN is set here'], made]],
      ['stapler/unsupported-target', '${{ env.BIN }}', [['dist/myapp', 'BIN is set here'], made]],
    ]);
    assert.deepEqual(
      found.map((d) => d.range.start.line + 1),
      [24, 27],
    );
    assert.equal(found[0].related?.[1].range.start.line, 14);
  });
});

describe('GoReleaser', () => {
  const GORELEASER = [
    'version: 2',
    'project_name: myapp',
    'env:',
    '  - DIST=dist',
    'builds:',
    '  - id: macos',
    '    main: ./cmd/myapp',
    '    binary: myapp',
    '    goos: [darwin]',
    '    goarch: [arm64, amd64]',
    '    env:',
    '      - CGO_ENABLED=0',
    '    hooks:',
    '      post:',
    '        - cmd: codesign --force --options runtime --timestamp --sign "Developer ID Application: Example (ABCDE12345)" "{{ .Path }}"',
    '        - cmd: xcrun notarytool submit "{{ .Path }}" --keychain-profile notary --wait',
    '        - cmd: xcrun stapler staple {{ .Env.DIST }}/{{ .ProjectName }}_{{ .Version }}.dmg',
    '        - cmd: xcrun stapler staple {{ .Env.DIST }}/{{ .ProjectName }}',
    '        - cmd: xcrun stapler staple {{ .Env.DIST }}/{{ .Target }}/{{ .ProjectName }}',
    '        - cmd: xcrun stapler staple $DIST/x',
    '',
  ].join('\n');

  it('knows {{ .Path }} in a post hook is the bare binary just built, and settles static templates', () => {
    const { summary, found } = lint('/nowhere/.goreleaser.yaml', GORELEASER);
    assert.deepEqual(flowOnly(summary), [
      [
        'notarytool/unsupported-container',
        '"{{ .Path }}"',
        [['id: macos', 'made here by this GoReleaser build: a bare Mach-O']],
      ],
      [
        'stapler/unsupported-target',
        '{{ .Env.DIST }}/{{ .ProjectName }}',
        [
          ['dist', 'DIST is set here'],
          ['myapp', 'project_name is set here'],
        ],
      ],
    ]);
    const notary = found.find((d) => d.code === 'notarytool/unsupported-container')!;
    assert.match(notary.message, /^\{\{ \.Path \}\} holds a bare Mach-O \(made by this GoReleaser build\)/);
    assert.match(
      found.find((d) => d.code === 'stapler/unsupported-target')!.message,
      /^\{\{ \.Env\.DIST \}\}\/\{\{ \.ProjectName \}\} \(dist\/myapp\): stapler only works/,
    );
  });
});

describe('values that grow', () => {
  it('gives up on values that double at each step, in the shell and in make, without exhausting time or memory', () => {
    const shell = [
      'A0=x',
      ...Array.from({ length: 60 }, (_, k) => `A${k + 1}="$A${k}$A${k}"`),
      'xcrun notarytool submit "$A60" -p notary --wait',
      'xcrun notarytool submit "$A3" -p notary --wait',
      '',
    ].join('\n');
    assert.deepEqual(
      lint('/nowhere/grow.sh', shell).summary.map((d) => d.slice(0, 2)),
      [['notarytool/unsupported-container', '"$A3"']],
    );
    const make = [
      'A0 = x',
      ...Array.from({ length: 60 }, (_, k) => `A${k + 1} = $(A${k})$(A${k})`),
      'n:',
      '\txcrun notarytool submit $(A60) -p notary --wait',
      '\txcrun notarytool submit $(A3) -p notary --wait',
      '',
    ].join('\n');
    assert.deepEqual(
      lint('/nowhere/Makefile', make).summary.map((d) => d.slice(0, 2)),
      [['notarytool/unsupported-container', '$(A3)']],
    );
  });
});
