/**
 * Binaries built during the test run by the real Go toolchain, combined by llvm-lipo and re-signed by llvm-strip.
 * Expectations come from how those tools are known to behave (Go's linker signs darwin/arm64 with identifier
 * "a.out" and flags adhoc|linker-signed and leaves darwin/amd64 unsigned; llvm-strip re-signs with the output file
 * name) and from llvm-objdump reading the same files, never from our parser's own output.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { inspectPath } from '../../server/src/inspect';
import type { InspectReport } from '../../server/src/protocol';
import { objdumpFacts, universalOffsets } from '../support/oracle';
import { buildGo, lipoCreate, run, stripTool, tempDir } from '../support/tools';

const dir = tempDir();
let arm64: string;
let amd64: string;
let universal: string;

async function inspectOne(file: string): Promise<InspectReport> {
  const result = await inspectPath(file);
  assert.deepEqual(result.errors, []);
  assert.equal(result.reports.length, 1);
  return result.reports[0];
}

const check = (report: InspectReport, id: string) => report.checks.find((c) => c.id === id)!;

before(() => {
  arm64 = buildGo('arm64', dir);
  amd64 = buildGo('amd64', dir);
  universal = lipoCreate(path.join(dir, 'hello-universal'), [amd64, arm64]);
});

describe('Go darwin/arm64 (internal linker)', () => {
  it('is a linker-signed ad-hoc executable with identifier a.out whose pages all verify', async () => {
    const report = await inspectOne(arm64);
    const facts = objdumpFacts(arm64);
    assert.equal(report.kind, 'macho');
    assert.equal(report.architectures.length, 1);
    const slice = report.architectures[0];
    assert.equal(slice.arch, 'arm64');
    assert.equal(slice.fileType, 'execute');
    assert.ok(slice.headerFlags.includes('PIE'), 'darwin/arm64 Go output is always PIE');
    assert.equal(slice.platform, 'macos');
    assert.equal(slice.minOS, `${facts.minos}.0`);
    assert.equal(slice.sdk, `${facts.sdk}.0`);
    assert.deepEqual(slice.dylibs, facts.dylibs);
    assert.equal(slice.entryPoint, 'LC_MAIN');
    const sig = slice.signature!;
    assert.equal(sig.kind, 'linker-signed');
    assert.equal(sig.identifier, 'a.out');
    assert.deepEqual(sig.flags, ['adhoc', 'linker-signed']);
    assert.equal(sig.hardenedRuntime, false);
    assert.equal(sig.codeDirectoryVersion, '0x20400');
    assert.equal(sig.hashType, 'sha256');
    assert.equal(sig.teamId, null);
    assert.deepEqual(sig.certificates, []);
    assert.equal(sig.entitlements, null);
    assert.match(sig.cdhash, /^[0-9a-f]{40}$/);
    assert.deepEqual(sig.blobs, ['CodeDirectory'], 'Go writes a SuperBlob holding one CodeDirectory');
    const cd = sig.codeDirectories[0];
    assert.equal(cd.pageSize, 4096);
    assert.equal(cd.codeLimit, facts.codeSignature!.dataOffset, 'Go signs everything before the signature');
    assert.deepEqual(cd.execSegment?.flags, ['main-binary']);
    assert.equal(slice.verification.valid, true, JSON.stringify(slice.verification.failures));
    assert.equal(slice.verification.pagesChecked, Math.ceil(facts.codeSignature!.dataOffset / 4096));
    assert.equal(fs.statSync(arm64).size, facts.codeSignature!.dataOffset + facts.codeSignature!.dataSize);
  });

  it('fails the readiness checks a fresh Go build is known to fail, and passes the rest', async () => {
    const report = await inspectOne(arm64);
    assert.equal(check(report, 'signature/present').status, 'pass');
    assert.equal(check(report, 'signature/intact').status, 'pass');
    assert.equal(check(report, 'signature/developer-id').status, 'fail');
    assert.match(check(report, 'signature/developer-id').message, /linker-signed/);
    assert.equal(check(report, 'signature/hardened-runtime').status, 'fail');
    assert.equal(check(report, 'signature/secure-timestamp').status, 'fail');
    assert.equal(check(report, 'entitlements/get-task-allow').status, 'pass');
    assert.equal(check(report, 'entitlements/restricted-needs-profile').status, 'pass');
    assert.equal(check(report, 'macho/min-sdk').status, 'pass');
    assert.equal(check(report, 'macho/architectures').status, 'pass');
    assert.equal(check(report, 'signature/identifier').status, 'warn');
    assert.match(check(report, 'signature/identifier').message, /a\.out/);
  });
});

describe('Go darwin/amd64 (internal linker)', () => {
  it('is unsigned', async () => {
    const report = await inspectOne(amd64);
    const slice = report.architectures[0];
    assert.equal(objdumpFacts(amd64).codeSignature, null, 'llvm-objdump agrees there is no LC_CODE_SIGNATURE');
    assert.equal(slice.arch, 'x86_64');
    assert.equal(slice.signature, null);
    assert.equal(slice.entryPoint, 'LC_UNIXTHREAD');
    assert.equal(slice.verification.valid, false);
    assert.equal(slice.verification.failures[0].code, 'unsigned');
    assert.equal(check(report, 'signature/present').status, 'fail');
    assert.equal(check(report, 'signature/intact').status, 'n/a');
    assert.equal(check(report, 'signature/identifier').status, 'n/a');
  });
});

describe('universal file from llvm-lipo', () => {
  it('has both slices at the offsets LLVM reports, each read with slice-relative offsets', async () => {
    const report = await inspectOne(universal);
    const offsets = universalOffsets(universal);
    assert.equal(report.kind, 'universal');
    assert.deepEqual(report.architectures.map((s) => s.arch).sort(), ['arm64', 'x86_64']);
    for (const slice of report.architectures) assert.equal(slice.offset, offsets[slice.arch]);
    const arm = report.architectures.find((s) => s.arch === 'arm64')!;
    const intel = report.architectures.find((s) => s.arch === 'x86_64')!;
    assert.equal(arm.signature?.kind, 'linker-signed');
    assert.equal(arm.verification.valid, true);
    assert.equal(intel.signature, null);
    assert.equal(check(report, 'signature/present').status, 'fail');
    assert.deepEqual(check(report, 'signature/present').architectures, ['x86_64']);
    assert.equal(check(report, 'macho/architectures').status, 'pass');
  });

  it('checks the configured architecture set', async () => {
    const armOnly = await inspectPath(arm64, { checks: { architectures: ['arm64', 'x86_64'] } });
    assert.equal(check(armOnly.reports[0], 'macho/architectures').status, 'fail');
    assert.match(check(armOnly.reports[0], 'macho/architectures').message, /missing x86_64/);
    const both = await inspectPath(universal, { checks: { architectures: ['arm64', 'x86_64'] } });
    assert.equal(check(both.reports[0], 'macho/architectures').status, 'pass');
  });
});

describe('fat64 universal headers', () => {
  it('reads the same slices when the llvm-lipo header is rewritten in the 64-bit form (cctools fat.h)', async () => {
    const fat = fs.readFileSync(universal);
    const count = fat.readUInt32BE(4);
    const fat64 = Buffer.from(fat);
    fat64.writeUInt32BE(0xcafebabf, 0);
    fat64.fill(0, 8, 8 + count * 32);
    for (let i = 0; i < count; i++) {
      const [from, to] = [8 + i * 20, 8 + i * 32];
      fat64.writeInt32BE(fat.readInt32BE(from), to); // cputype
      fat64.writeInt32BE(fat.readInt32BE(from + 4), to + 4); // cpusubtype
      fat64.writeBigUInt64BE(BigInt(fat.readUInt32BE(from + 8)), to + 8); // offset
      fat64.writeBigUInt64BE(BigInt(fat.readUInt32BE(from + 12)), to + 16); // size
      fat64.writeUInt32BE(fat.readUInt32BE(from + 16), to + 24); // align
    }
    const file = path.join(dir, 'hello-fat64');
    fs.writeFileSync(file, fat64);
    const [a, b] = [await inspectOne(universal), await inspectOne(file)];
    assert.equal(b.kind, 'universal');
    assert.deepEqual(
      b.architectures.map((s) => [s.arch, s.offset, s.verification.valid]),
      a.architectures.map((s) => [s.arch, s.offset, s.verification.valid]),
    );
  });
});

describe('SDK versions', () => {
  /** Offset of the LC_BUILD_VERSION command, found by scanning the load commands (64-bit little-endian). */
  function buildVersionAt(b: Buffer): number {
    for (let at = 32, i = 0; i < b.readUInt32LE(16); i++, at += b.readUInt32LE(at + 4))
      if (b.readUInt32LE(at) === 0x32) return at;
    throw new Error('no LC_BUILD_VERSION');
  }

  it('fails macho/min-sdk for an SDK older than 10.9 in LC_BUILD_VERSION or LC_VERSION_MIN_MACOSX', async () => {
    const bytes = fs.readFileSync(amd64);
    const at = buildVersionAt(bytes);
    const old = Buffer.from(bytes);
    old.writeUInt32LE(0x000a0800, at + 16); // sdk 10.8
    fs.writeFileSync(path.join(dir, 'sdk-10.8'), old);
    let report = await inspectOne(path.join(dir, 'sdk-10.8'));
    assert.equal(report.architectures[0].sdk, '10.8.0');
    assert.equal(check(report, 'macho/min-sdk').status, 'fail');

    const legacy = Buffer.from(bytes);
    legacy.writeUInt32LE(0x24, at); // LC_VERSION_MIN_MACOSX { version, sdk } as Go <= 1.12 wrote it
    legacy.writeUInt32LE(0x000a0600, at + 8);
    legacy.writeUInt32LE(0x000a0800, at + 12);
    fs.writeFileSync(path.join(dir, 'version-min'), legacy);
    report = await inspectOne(path.join(dir, 'version-min'));
    assert.deepEqual(
      [report.architectures[0].platform, report.architectures[0].minOS, report.architectures[0].sdk],
      ['macos', '10.6.0', '10.8.0'],
    );
    assert.equal(check(report, 'macho/min-sdk').status, 'fail');
  });
});

describe('llvm-strip re-signing (an independent producer of linker signatures)', () => {
  it('signs with the output file name as identifier and its CodeDirectory at a padded offset', async () => {
    const stripped = path.join(dir, 'stripped-tool');
    run(stripTool(), [arm64, '-o', stripped]);
    const report = await inspectOne(stripped);
    const sig = report.architectures[0].signature!;
    assert.equal(sig.kind, 'linker-signed');
    assert.equal(sig.identifier, 'stripped-tool');
    assert.equal(
      report.architectures[0].verification.valid,
      true,
      JSON.stringify(report.architectures[0].verification.failures),
    );
    assert.equal(check(report, 'signature/identifier').status, 'pass');
  });
});
