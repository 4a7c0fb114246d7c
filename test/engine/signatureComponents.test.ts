/**
 * Signatures with the parts no redistributable binary gives us together: two CodeDirectories (SHA-1 in slot 0,
 * SHA-256 as an alternate), requirements, XML and DER entitlements, the runtime flag. They are written by
 * test/support/adhoc_sign.py (python's hashlib, struct and plistlib), whose DER encoder reproduces rcodesign's
 * published test vectors; expected cdhashes and entitlements come from python, not from our parser.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { inspectPath } from '../../server/src/inspect';
import type { InspectReport } from '../../server/src/protocol';
import { CHILD_LIMIT } from '../support/bounds';
import { buildGo, REPO, runCli, tempDir } from '../support/tools';

const dir = tempDir();
let goBinary: string;

const ENTITLEMENTS = {
  'com.apple.security.cs.allow-jit': true,
  'com.apple.security.get-task-allow': true,
  'com.apple.developer.endpoint-security.client': true,
  'com.example.list': ['a', 'b'],
  'com.example.count': 3,
};

function writePlist(name: string, value: unknown): string {
  const file = path.join(dir, name);
  execFileSync(
    'python3',
    [
      '-c',
      'import json,plistlib,sys; plistlib.dump(json.loads(sys.argv[2]), open(sys.argv[1],"wb"))',
      file,
      JSON.stringify(value),
    ],
    CHILD_LIMIT,
  );
  return file;
}

function sign(name: string, args: string[]): { file: string; cdhashes: Record<string, string> } {
  const file = path.join(dir, name);
  const out = execFileSync('python3', [path.join(REPO, 'test', 'support', 'adhoc_sign.py'), goBinary, file, ...args], {
    ...CHILD_LIMIT,
    encoding: 'utf8',
  });
  return { file, cdhashes: (JSON.parse(out) as { cdhashes: Record<string, string> }).cdhashes };
}

async function inspectOne(file: string): Promise<InspectReport> {
  const result = await inspectPath(file);
  assert.deepEqual(result.errors, []);
  return result.reports[0];
}

const check = (report: InspectReport, id: string) => report.checks.find((c) => c.id === id)!;

before(() => {
  goBinary = buildGo('arm64', dir);
});

describe('an agile ad-hoc signature with requirements and entitlements', () => {
  let signed: { file: string; cdhashes: Record<string, string> };
  before(() => {
    const plist = writePlist('entitlements.plist', ENTITLEMENTS);
    signed = sign('agile', [
      '--identifier',
      'com.example.hello',
      '--entitlements',
      plist,
      '--der-entitlements',
      plist,
      '--runtime',
      '--hashes',
      'sha1,sha256',
    ]);
  });

  it('reads both CodeDirectories, their cdhashes, and prefers SHA-256 for display', async () => {
    const sig = (await inspectOne(signed.file)).architectures[0].signature!;
    assert.equal(sig.kind, 'adhoc');
    assert.deepEqual(sig.flags, ['adhoc', 'runtime']);
    assert.equal(sig.hardenedRuntime, true);
    assert.equal(sig.identifier, 'com.example.hello');
    assert.deepEqual(
      sig.codeDirectories.map((cd) => [cd.slot, cd.hashType, cd.nSpecialSlots]),
      [
        [0, 'sha1', 7],
        [0x1000, 'sha256', 7],
      ],
    );
    assert.equal(sig.codeDirectories[0].cdhashFull, signed.cdhashes.sha1);
    assert.equal(sig.codeDirectories[1].cdhashFull, signed.cdhashes.sha256);
    assert.equal(sig.codeDirectories[1].cdhash, signed.cdhashes.sha256.slice(0, 40), 'cdhash is truncated to 20 bytes');
    assert.equal(sig.cdhash, signed.cdhashes.sha256.slice(0, 40));
    assert.deepEqual(sig.requirements, [], 'codesign -s - writes an empty requirement set');
  });

  it('verifies every page and special slot of both CodeDirectories', async () => {
    const slice = (await inspectOne(signed.file)).architectures[0];
    assert.equal(slice.verification.valid, true, JSON.stringify(slice.verification.failures));
    assert.equal(slice.verification.pagesChecked, 2 * slice.signature!.codeDirectories[0].nCodeSlots);
  });

  it('decodes the XML and DER entitlements to the same dictionary python wrote', async () => {
    const sig = (await inspectOne(signed.file)).architectures[0].signature!;
    assert.deepEqual(sig.entitlements, ENTITLEMENTS);
    assert.deepEqual(sig.entitlementsDer, ENTITLEMENTS);
  });

  it('fails get-task-allow and the restricted entitlement on a bare executable', async () => {
    const report = await inspectOne(signed.file);
    assert.equal(check(report, 'entitlements/get-task-allow').status, 'fail');
    assert.equal(check(report, 'entitlements/restricted-needs-profile').status, 'fail');
    assert.match(
      check(report, 'entitlements/restricted-needs-profile').message,
      /com\.apple\.developer\.endpoint-security\.client/,
    );
  });

  it('names the special slot whose blob changed after signing, in each CodeDirectory', async () => {
    const bytes = fs.readFileSync(signed.file);
    const at = bytes.indexOf('com.example.count');
    bytes[at] = 'C'.charCodeAt(0);
    const tampered = path.join(dir, 'tampered-entitlements');
    fs.writeFileSync(tampered, bytes);
    const slice = (await inspectOne(tampered)).architectures[0];
    const failures = slice.verification.failures.filter((f) => f.code === 'special-slot-mismatch');
    assert.deepEqual(
      failures.map((f) => [f.codeDirectorySlot, f.specialSlot]),
      [
        [0, 'Entitlements'],
        [0x1000, 'Entitlements'],
      ],
    );
    assert.equal(slice.verification.failures.length, 2, 'no page changed');
  });
});

describe('rules on sealing', () => {
  it('a blob beyond the sealed special slots makes the signature invalid (kernel rule)', async () => {
    const plist = writePlist('small.plist', { 'com.apple.security.cs.allow-jit': true });
    const { file } = sign('unsealed', ['--identifier', 'x', '--entitlements', plist, '--special-slots', '2']);
    const slice = (await inspectOne(file)).architectures[0];
    assert.ok(
      slice.verification.failures.some((f) => f.code === 'unsealed-blob' && f.specialSlot === 'Entitlements'),
      JSON.stringify(slice.verification.failures),
    );
  });

  it('XML and DER entitlements that disagree are reported', async () => {
    const xml = writePlist('xml.plist', { 'com.apple.security.cs.allow-jit': true });
    const derPlist = writePlist('der.plist', {
      'com.apple.security.cs.allow-jit': true,
      'com.apple.security.get-task-allow': true,
    });
    const { file } = sign('disagree', ['--identifier', 'x', '--entitlements', xml, '--der-entitlements', derPlist]);
    const report = await inspectOne(file);
    const slice = report.architectures[0];
    assert.equal(slice.verification.valid, true, 'both blobs are sealed');
    assert.ok(slice.verification.warnings.some((w) => /XML and DER entitlements disagree/.test(w)));
    assert.equal(
      check(report, 'entitlements/get-task-allow').status,
      'fail',
      'the DER form, which macOS enforces, grants it',
    );
  });
});

const cli = runCli;

describe('entitlements blobs as real signers write them', () => {
  for (const [label, prefix] of [
    ['whitespace', '\n\t  '],
    ['a byte-order mark and a newline', '\ufeff\n'],
  ] as const) {
    it(`${label} before <?xml is read as macOS reads it: signature intact, entitlements seen, a note at most`, async () => {
      const clean = writePlist(`clean-${label.length}.plist`, ENTITLEMENTS);
      const xml = path.join(dir, `leading-${label.length}.plist`);
      fs.writeFileSync(xml, Buffer.concat([Buffer.from(prefix), fs.readFileSync(clean)]));
      const { file } = sign(`leading-${label.length}`, [
        '--identifier',
        'x',
        '--entitlements',
        xml,
        '--der-entitlements',
        clean,
      ]);
      const report = await inspectOne(file);
      const slice = report.architectures[0];
      assert.equal(slice.verification.valid, true, JSON.stringify(slice.verification.failures));
      assert.equal(check(report, 'signature/intact').status, 'pass');
      assert.deepEqual(slice.signature!.entitlementsXml, ENTITLEMENTS);
      assert.deepEqual(slice.signature!.entitlementsUnreadable, []);
      assert.ok(
        slice.verification.warnings.some((w) => /whitespace before <\?xml/.test(w)),
        JSON.stringify(slice.verification.warnings),
      );
      assert.equal(cli('verify', file).code, 0);
    });
  }

  it('an XML blob that cannot be parsed never reads as "no entitlements"', async () => {
    const xml = path.join(dir, 'broken.plist');
    // get-task-allow = true, then a <key> without a value: python's plistlib refuses it as well.
    fs.writeFileSync(
      xml,
      '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict><key>com.apple.security.get-task-allow</key><true/><key>dangling</key></dict></plist>\n',
    );
    assert.throws(() =>
      execFileSync('python3', ['-c', 'import plistlib,sys; plistlib.load(open(sys.argv[1],"rb"))', xml], {
        ...CHILD_LIMIT,
        stdio: 'ignore',
      }),
    );
    const { file } = sign('broken-xml', ['--identifier', 'x', '--entitlements', xml]);
    const report = await inspectOne(file);
    const sig = report.architectures[0].signature!;
    assert.equal(sig.entitlementsXml, null);
    assert.deepEqual(
      sig.entitlementsUnreadable.map((b) => b.form),
      ['XML'],
    );
    assert.ok(report.architectures[0].verification.failures.some((f) => f.code === 'entitlements-malformed'));
    const gta = check(report, 'entitlements/get-task-allow');
    assert.equal(gta.status, 'fail');
    assert.match(gta.message, /the XML entitlements cannot be read .*get-task-allow cannot be ruled out/);
    assert.equal(check(report, 'entitlements/restricted-needs-profile').status, 'warn');
    const text = cli('inspect', file);
    assert.match(text.stdout, /entitlements\s+\(XML\) unreadable: /);
    assert.match(text.stdout, /\(DER\) none/);
  });

  it('XML and DER that disagree: each form is shown, and every key from either is checked', async () => {
    const xml = writePlist('xml-has-it.plist', {
      'com.apple.security.get-task-allow': true,
      'com.apple.developer.team-identifier': 'ABCDE12345',
    });
    const derPlist = writePlist('der-lacks-it.plist', { 'com.apple.security.cs.allow-jit': true });
    const { file } = sign('disagree-other-way', [
      '--identifier',
      'x',
      '--entitlements',
      xml,
      '--der-entitlements',
      derPlist,
    ]);
    const report = await inspectOne(file);
    const slice = report.architectures[0];
    const warning = slice.verification.warnings.find((w) => /disagree/.test(w)) ?? '';
    assert.match(warning, /com\.apple\.security\.get-task-allow: XML true, DER absent/);
    assert.match(warning, /com\.apple\.security\.cs\.allow-jit: XML absent, DER true/);
    assert.equal(check(report, 'entitlements/get-task-allow').status, 'fail', 'the XML form grants it');
    assert.match(
      check(report, 'entitlements/restricted-needs-profile').message,
      /com\.apple\.developer\.team-identifier/,
    );
    const text = cli('inspect', file).stdout;
    assert.match(text, /entitlements\s+\(XML\) .*com\.apple\.security\.get-task-allow=true/);
    assert.match(text, /\(DER\) com\.apple\.security\.cs\.allow-jit=true/);
  });
});

describe('names that could disguise themselves', () => {
  it('an identifier with a terminal escape or a right-to-left override is shown escaped everywhere and flagged', async () => {
    const identifier = 'com.example.\u001b[31mred\u202Eevil';
    const { file } = sign('escape-identifier', ['--identifier', identifier]);
    // What python wrote, byte for byte: the identifier is the NUL-terminated string at the CodeDirectory's identOffset.
    assert.ok(fs.readFileSync(file).includes(Buffer.from(`${identifier}\0`)));
    const report = await inspectOne(file);
    const slice = report.architectures[0];
    const escaped = 'com.example.\\x1b[31mred\\u{202e}evil';
    assert.equal(slice.signature!.identifier, escaped);
    assert.equal(slice.signature!.codeDirectories[0].identifier, escaped);
    assert.ok(
      slice.verification.warnings.some((w) =>
        w.includes(`identifier "${escaped}" contains bytes that are not printable`),
      ),
      JSON.stringify(slice.verification.warnings),
    );
    assert.equal(check(report, 'signature/identifier').status, 'warn');
    assert.match(check(report, 'signature/identifier').message, /non-printable/);
    for (const args of [
      ['inspect', file],
      ['inspect', '--json', file],
      ['verify', file],
    ]) {
      const r = cli(...args);
      assert.doesNotMatch(r.stdout + r.stderr, /[\u001b\u202e]/, args.join(' '));
    }
    assert.ok(cli('inspect', file).stdout.includes(`identifier    ${escaped}`));
  });
});
