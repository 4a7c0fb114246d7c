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
import { buildGo, REPO, tempDir } from '../support/tools';

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
  execFileSync('python3', ['-c', 'import json,plistlib,sys; plistlib.dump(json.loads(sys.argv[2]), open(sys.argv[1],"wb"))', file, JSON.stringify(value)], CHILD_LIMIT);
  return file;
}

function sign(name: string, args: string[]): { file: string; cdhashes: Record<string, string> } {
  const file = path.join(dir, name);
  const out = execFileSync('python3', [path.join(REPO, 'test', 'support', 'adhoc_sign.py'), goBinary, file, ...args], { ...CHILD_LIMIT, encoding: 'utf8' });
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
    signed = sign('agile', ['--identifier', 'com.example.hello', '--entitlements', plist, '--der-entitlements', plist, '--runtime', '--hashes', 'sha1,sha256']);
  });

  it('reads both CodeDirectories, their cdhashes, and prefers SHA-256 for display', async () => {
    const sig = (await inspectOne(signed.file)).architectures[0].signature!;
    assert.equal(sig.kind, 'adhoc');
    assert.deepEqual(sig.flags, ['adhoc', 'runtime']);
    assert.equal(sig.hardenedRuntime, true);
    assert.equal(sig.identifier, 'com.example.hello');
    assert.deepEqual(sig.codeDirectories.map((cd) => [cd.slot, cd.hashType, cd.nSpecialSlots]), [[0, 'sha1', 7], [0x1000, 'sha256', 7]]);
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
    assert.match(check(report, 'entitlements/restricted-needs-profile').message, /com\.apple\.developer\.endpoint-security\.client/);
  });

  it('names the special slot whose blob changed after signing, in each CodeDirectory', async () => {
    const bytes = fs.readFileSync(signed.file);
    const at = bytes.indexOf('com.example.count');
    bytes[at] = 'C'.charCodeAt(0);
    const tampered = path.join(dir, 'tampered-entitlements');
    fs.writeFileSync(tampered, bytes);
    const slice = (await inspectOne(tampered)).architectures[0];
    const failures = slice.verification.failures.filter((f) => f.code === 'special-slot-mismatch');
    assert.deepEqual(failures.map((f) => [f.codeDirectorySlot, f.specialSlot]), [[0, 'Entitlements'], [0x1000, 'Entitlements']]);
    assert.equal(slice.verification.failures.length, 2, 'no page changed');
  });
});

describe('rules on sealing', () => {
  it('a blob beyond the sealed special slots makes the signature invalid (kernel rule)', async () => {
    const plist = writePlist('small.plist', { 'com.apple.security.cs.allow-jit': true });
    const { file } = sign('unsealed', ['--identifier', 'x', '--entitlements', plist, '--special-slots', '2']);
    const slice = (await inspectOne(file)).architectures[0];
    assert.ok(slice.verification.failures.some((f) => f.code === 'unsealed-blob' && f.specialSlot === 'Entitlements'), JSON.stringify(slice.verification.failures));
  });

  it('XML and DER entitlements that disagree are reported', async () => {
    const xml = writePlist('xml.plist', { 'com.apple.security.cs.allow-jit': true });
    const derPlist = writePlist('der.plist', { 'com.apple.security.cs.allow-jit': true, 'com.apple.security.get-task-allow': true });
    const { file } = sign('disagree', ['--identifier', 'x', '--entitlements', xml, '--der-entitlements', derPlist]);
    const report = await inspectOne(file);
    const slice = report.architectures[0];
    assert.equal(slice.verification.valid, true, 'both blobs are sealed');
    assert.ok(slice.verification.warnings.some((w) => /XML and DER entitlements disagree/.test(w)));
    assert.equal(check(report, 'entitlements/get-task-allow').status, 'fail', 'the DER form, which macOS enforces, grants it');
  });
});
