/**
 * The builtin signer (server/src/sign/) on real inputs, judged by independent readers.
 *
 * - Apple's own output reproduced: each slice of @sentry/cli-darwin@3.8.0 (Developer ID, hardened runtime, empty
 *   entitlements) re-signed with a test certificate of the same team and the same identifier gets the same cdhash,
 *   read from the original by test/support/sigcheck.py (python's hashlib over the CodeDirectory bytes).
 * - Go binaries built here (darwin/arm64 linker-signed, darwin/amd64 unsigned, a llvm-lipo universal of both) signed
 *   ad hoc: sigcheck.py recomputes every page and special slot, llvm-objdump still reads the load commands and says
 *   __LINKEDIT ends where the slice ends, and our own verifier accepts them.
 * - Errors: no room for LC_CODE_SIGNATURE is one line, and nothing is written.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { InputError } from '../../server/src/errors';
import { inspectPath } from '../../server/src/inspect';
import { CHILD_LIMIT } from '../support/bounds';
import { objdumpFacts, opensslCmsVerify, universalOffsets } from '../support/oracle';
import { buildGo, findTool, lipoCreate, npmPackage, REPO, run, tempDir } from '../support/tools';
import { opensslCertificate } from '../support/testPki';
import { signFile } from '../../server/src/sign/file';
import { signSliceDetailed } from '../../server/src/sign/slice';
import type { CmsProducer, SigningIdentity } from '../../server/src/sign/types';

const dir = tempDir('gms-sign-');
const objdump = () => findTool(['llvm-objdump', 'llvm-objdump-14', 'llvm-objdump-15'], 'llvm-objdump');

interface SigcheckSlice {
  offset: number;
  dataoff: number;
  datasize: number;
  linkedit_end: number;
  slice_size: number;
  identifier: string;
  team: string | null;
  flags: number;
  version: number;
  n_special: number;
  cdhashes: Record<string, string>;
  problems: string[];
}

/** The independent Python reader's view of every slice (it exits 1 when a slice has a problem). */
function sigcheck(file: string): SigcheckSlice[] {
  const r = spawnSync('python3', [path.join(REPO, 'test', 'support', 'sigcheck.py'), file], {
    ...CHILD_LIMIT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return (JSON.parse(r.stdout) as { slices: SigcheckSlice[] }).slices;
}

/** __LINKEDIT's end in the file as llvm-objdump prints the segment command. */
function linkeditEnd(file: string, arch?: string): number {
  const text = run(objdump(), ['--macho', '--private-headers', ...(arch ? [`--arch=${arch}`] : []), file]);
  const segment = text.split(/\nLoad command \d+\n/).find((c) => /segname __LINKEDIT\n/.test(c));
  assert.ok(segment, 'llvm-objdump lists __LINKEDIT');
  const field = (key: string) => Number(segment.match(new RegExp(`^\\s*${key} (\\S+)`, 'm'))![1]);
  return field('fileoff') + field('filesize');
}

const openssl = (args: string[]) => execFileSync('openssl', args, { ...CHILD_LIMIT, stdio: 'pipe' });

/** A self-signed certificate made by openssl, with extra extensions; returns its DER and key. */
function certificate(name: string, subject: string, extensions: string[]): { der: Buffer; key: string } {
  return opensslCertificate(dir, name, subject, { extensions });
}

function identity(cert: { der: Buffer; key: string }, fields: Partial<SigningIdentity>): SigningIdentity {
  return {
    certificate: cert.der,
    chain: [],
    privateKey: createPrivateKey(fs.readFileSync(cert.key)),
    teamId: null,
    commonName: 'test',
    kind: 'other',
    ...fields,
  };
}

const noCms: CmsProducer = async () => {
  throw new Error('an ad-hoc signature must not ask for a CMS');
};
const adhoc = { identity: null, runtime: false, timestampUrl: null };

function slicesOf(file: string): { offset: number; bytes: Buffer }[] {
  const bytes = fs.readFileSync(file);
  if (bytes.readUInt32BE(0) !== 0xcafebabe) return [{ offset: 0, bytes }];
  return Array.from({ length: bytes.readUInt32BE(4) }, (_, i) => {
    const offset = bytes.readUInt32BE(8 + 20 * i + 8);
    return { offset, bytes: bytes.subarray(offset, offset + bytes.readUInt32BE(8 + 20 * i + 12)) };
  });
}

/** The blob in `slot` of a slice's SuperBlob, read with plain offsets (LC_CODE_SIGNATURE from sigcheck). */
function blobOf(slice: Buffer, dataoff: number, slot: number): Buffer | null {
  const count = slice.readUInt32BE(dataoff + 8);
  for (let i = 0; i < count; i++) {
    if (slice.readUInt32BE(dataoff + 12 + 8 * i) !== slot) continue;
    const at = dataoff + slice.readUInt32BE(dataoff + 16 + 8 * i);
    return slice.subarray(at, at + slice.readUInt32BE(at + 4));
  }
  return null;
}

describe("Apple's cdhashes reproduced: @sentry/cli-darwin@3.8.0 re-signed slice by slice", () => {
  const file = () => path.join(npmPackage('@sentry/cli-darwin@3.8.0'), 'bin', 'sentry-cli');
  const developerId = () =>
    certificate('devid', '/UID=97JCY7859U/CN=Developer ID Application: Test (97JCY7859U)/OU=97JCY7859U/O=Test/C=US', [
      '1.2.840.113635.100.6.1.13=critical,DER:0500',
      'extendedKeyUsage=critical,codeSigning',
    ]);

  it('gives every slice the cdhash Apple wrote, with the same space and the same bytes before the signature', async () => {
    const apple = sigcheck(file());
    const slices = slicesOf(file());
    const cert = developerId();
    assert.equal(apple.length, 2);
    for (const [i, original] of apple.entries()) {
      assert.deepEqual(original.problems, []);
      assert.equal(original.team, '97JCY7859U');
      const bytes = slices[i].bytes;
      const appleCms = blobOf(bytes, original.dataoff, 0x10000)!.subarray(8);
      const asked: Buffer[] = [];
      // The CMS does not enter the cdhash; Apple's own CMS bytes stand in for one, so every byte can be compared.
      const cms: CmsProducer = async (cds) => {
        asked.push(...cds.map((c) => c.blob));
        return appleCms;
      };
      const signed = await signSliceDetailed(bytes, {
        identifier: original.identifier,
        identity: identity(cert, { teamId: '97JCY7859U', kind: 'developer-id-application' }),
        entitlements: blobOf(bytes, original.dataoff, 5)!.subarray(8),
        runtime: true,
        timestampUrl: null,
        cms,
      });
      assert.equal(signed.cdhashes.length, 1);
      assert.equal(
        signed.cdhashes[0].digest.toString('hex'),
        original.cdhashes.sha256,
        `cdhash of ${original.identifier}`,
      );
      assert.equal(asked.length, 1, 'the CMS producer is asked once, with the one CodeDirectory');
      assert.equal(signed.keptSpace, true);
      assert.equal(signed.bytes.length, bytes.length);
      assert.ok(signed.bytes.equals(bytes), "with Apple's CMS, the whole slice is byte for byte Apple's");
    }
  });

  it('writes the requirement, XML and DER entitlements blobs byte for byte as Apple did', async () => {
    const [original] = sigcheck(file());
    const bytes = slicesOf(file())[0].bytes;
    const signed = await signSliceDetailed(bytes, {
      identifier: original.identifier,
      identity: identity(developerId(), { teamId: '97JCY7859U', kind: 'developer-id-application' }),
      entitlements: blobOf(bytes, original.dataoff, 5)!.subarray(8),
      runtime: true,
      timestampUrl: null,
      cms: async () => Buffer.from('3000', 'hex'),
    });
    for (const slot of [0, 2, 5, 7]) {
      assert.ok(
        blobOf(signed.bytes, original.dataoff, slot)!.equals(blobOf(bytes, original.dataoff, slot)!),
        `slot ${slot}`,
      );
    }
    const [ours] = sigcheck(writeTemp('sentry-x86', signed.bytes));
    assert.deepEqual(ours.problems, []);
    assert.equal(ours.cdhashes.sha256, original.cdhashes.sha256);
  });
});

function writeTemp(name: string, bytes: Buffer): string {
  const out = path.join(dir, name);
  fs.writeFileSync(out, bytes, { mode: 0o755 });
  return out;
}

/** A minimal 32-bit i386 executable for macOS 10.6 (header, __TEXT with one section, __LINKEDIT), made by yaml2obj. */
const I386_YAML = `--- !mach-o
FileHeader:
  magic:           0xFEEDFACE
  cputype:         0x7
  cpusubtype:      0x3
  filetype:        0x2
  ncmds:           4
  sizeofcmds:      252
  flags:           0x0
LoadCommands:
  - cmd:             LC_SEGMENT
    cmdsize:         56
    segname:         __PAGEZERO
    vmaddr:          0
    vmsize:          4096
    fileoff:         0
    filesize:        0
    maxprot:         0
    initprot:        0
    nsects:          0
    flags:           0
  - cmd:             LC_SEGMENT
    cmdsize:         124
    segname:         __TEXT
    vmaddr:          4096
    vmsize:          8192
    fileoff:         0
    filesize:        8192
    maxprot:         5
    initprot:        5
    nsects:          1
    flags:           0
    Sections:
      - sectname:        __text
        segname:         __TEXT
        addr:            0x2F00
        size:            16
        offset:          0x1F00
        align:           4
        reloff:          0x0
        nreloc:          0
        flags:           0x80000400
        reserved1:       0x0
        reserved2:       0x0
        content:         C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3
  - cmd:             LC_SEGMENT
    cmdsize:         56
    segname:         __LINKEDIT
    vmaddr:          12288
    vmsize:          4096
    fileoff:         8192
    filesize:        64
    maxprot:         1
    initprot:        1
    nsects:          0
    flags:           0
  - cmd:             LC_VERSION_MIN_MACOSX
    cmdsize:         16
    version:         0x000A0600
    sdk:             0x000A0600
`;

describe('a 32-bit Mach-O (i386, macOS 10.6) made by LLVM yaml2obj', () => {
  it('is signed ad hoc with SHA-1 and SHA-256 CodeDirectories, and every reader accepts it', async () => {
    const yaml = path.join(dir, 'i386.yaml');
    fs.writeFileSync(yaml, I386_YAML);
    const file = path.join(dir, 'i386');
    run(findTool(['yaml2obj', 'yaml2obj-14', '/usr/lib/llvm-14/bin/yaml2obj'], 'yaml2obj'), [yaml, '-o', file]);
    const result = await signFile(file, adhoc, noCms);
    assert.deepEqual(
      result.slices[0].cdhashes.map((c) => c.hash),
      ['sha1', 'sha256'],
    );
    const [slice] = sigcheck(file);
    assert.deepEqual(slice.problems, []);
    assert.equal(result.slices[0].arch, 'i386');
    assert.deepEqual(objdumpFacts(file).codeSignature, { dataOffset: slice.dataoff, dataSize: slice.datasize });
    assert.equal(linkeditEnd(file), fs.statSync(file).size);
    const report = (await inspectPath(file)).reports[0].architectures[0];
    assert.equal(report.verification.valid, true, JSON.stringify(report.verification.failures));
  });
});

describe('Go binaries built here, signed ad hoc', () => {
  let arm64: string;
  let amd64: string;
  before(() => {
    arm64 = buildGo('arm64', path.join(dir, 'go'));
    amd64 = buildGo('amd64', path.join(dir, 'go'));
  });

  for (const arch of ['arm64', 'amd64'] as const) {
    it(`darwin/${arch}: verifies in Python and in our verifier, llvm-objdump reads it, __LINKEDIT ends the slice`, async () => {
      const file = path.join(dir, `signed-${arch}`);
      fs.copyFileSync(arch === 'arm64' ? arm64 : amd64, file);
      const before = objdumpFacts(file);
      const result = await signFile(file, adhoc, noCms);
      const [slice] = sigcheck(file);
      assert.deepEqual(slice.problems, []);
      assert.equal(slice.identifier, `signed-${arch}`, 'the identifier defaults to the file name');
      assert.equal(slice.flags, 0x2, 'ad hoc, no longer linker-signed');
      assert.equal(slice.n_special, 2, 'requirements sealed in slot 2');
      // Go's amd64 binaries target macOS 10.9: SHA-1 primary plus a SHA-256 alternate, as codesign does below 10.11.4.
      assert.deepEqual(Object.keys(slice.cdhashes).sort(), arch === 'amd64' ? ['sha1', 'sha256'] : ['sha256']);
      assert.equal(result.slices[0].cdhash, Object.values(slice.cdhashes)[0].slice(0, 40));
      assert.deepEqual(result.cdhashes, [result.slices[0].cdhash]);
      const after = objdumpFacts(file);
      assert.deepEqual(after.codeSignature, { dataOffset: slice.dataoff, dataSize: slice.datasize });
      assert.equal(slice.dataoff % 16, 0);
      assert.deepEqual(after.sections, before.sections, 'every section stays where it was');
      assert.equal(linkeditEnd(file), fs.statSync(file).size);
      const report = (await inspectPath(file)).reports[0].architectures[0];
      assert.equal(report.verification.valid, true, JSON.stringify(report.verification.failures));
      assert.equal(report.signature?.kind, 'adhoc');

      // Signing again: the space is large enough, so only the signature bytes may change.
      const first = fs.readFileSync(file);
      await signFile(file, { ...adhoc, identifier: 'again' }, noCms);
      const second = fs.readFileSync(file);
      assert.equal(second.length, first.length);
      assert.ok(second.subarray(0, slice.dataoff).equals(first.subarray(0, slice.dataoff)));
      assert.equal(sigcheck(file)[0].identifier, 'again');
    });
  }

  it('only the bytes codesign_allocate changes differ from the input (darwin/amd64, LC_CODE_SIGNATURE added)', async () => {
    const file = path.join(dir, 'diff-amd64');
    fs.copyFileSync(amd64, file);
    const input = fs.readFileSync(file);
    await signFile(file, adhoc, noCms);
    const output = fs.readFileSync(file);
    const [slice] = sigcheck(file);
    const changed: number[] = [];
    for (let i = 0; i < input.length; i++) if (input[i] !== output[i]) changed.push(i);
    const commandsEnd = 32 + input.readUInt32LE(20);
    // ncmds, sizeofcmds, __LINKEDIT's vmsize and filesize, and the new 16-byte command after the old ones.
    assert.ok(
      changed.every((i) => i < commandsEnd + 16),
      `changed offsets ${changed.slice(0, 20).join(',')}`,
    );
    assert.ok(
      output.subarray(input.length, slice.dataoff).every((b) => b === 0),
      'alignment padding is zero',
    );
  });

  it('a universal file of both: each slice signed on its own, alignment kept, llvm-objdump agrees', async () => {
    const file = lipoCreate(path.join(dir, 'universal'), [amd64, arm64]);
    const offsetsBefore = universalOffsets(file);
    const result = await signFile(file, adhoc, noCms);
    const slices = sigcheck(file);
    assert.equal(slices.length, 2);
    const offsets = universalOffsets(file);
    for (const slice of slices) assert.deepEqual(slice.problems, []);
    assert.deepEqual(Object.keys(offsets).sort(), ['arm64', 'x86_64']);
    assert.equal(offsets.x86_64, offsetsBefore.x86_64, 'the first slice does not move');
    assert.equal(offsets.arm64 % 2 ** 14, 0, 'arm64 stays 2^14-aligned');
    for (const arch of ['x86_64', 'arm64']) assert.ok(objdumpFacts(file, arch).codeSignature);
    // codesign decides the digests for the whole file: one slice below 10.11.4 makes both agile.
    assert.deepEqual(
      result.slices.map((s) => s.cdhashes.map((c) => c.hash)),
      [
        ['sha1', 'sha256'],
        ['sha1', 'sha256'],
      ],
    );
    const report = (await inspectPath(file)).reports[0];
    for (const slice of report.architectures) assert.equal(slice.verification.valid, true, slice.arch);
  });

  it('a cgo-shaped file whose __LINKEDIT command is not the last segment command', async () => {
    // Go's external linker (machoCombineDwarf) lists __DWARF after __LINKEDIT in the load commands while its data lies
    // before __LINKEDIT's; here the two adjacent segment commands of a Go build are swapped to make that shape.
    const bytes = Buffer.from(fs.readFileSync(arm64));
    const commands: { at: number; size: number; name: string }[] = [];
    for (let i = 0, at = 32; i < bytes.readUInt32LE(16); i++) {
      const size = bytes.readUInt32LE(at + 4);
      commands.push({
        at,
        size,
        name: bytes
          .subarray(at + 8, at + 24)
          .toString('latin1')
          .replace(/\0.*$/s, ''),
      });
      at += size;
    }
    const dwarf = commands.findIndex((c) => c.name === '__DWARF');
    assert.equal(commands[dwarf + 1].name, '__LINKEDIT');
    const [a, b] = [commands[dwarf], commands[dwarf + 1]];
    Buffer.concat([bytes.subarray(b.at, b.at + b.size), bytes.subarray(a.at, a.at + a.size)]).copy(bytes, a.at);
    const file = writeTemp('cgo-shaped', bytes);
    const text = run(objdump(), ['--macho', '--private-headers', file]);
    const segments = text
      .split(/\nLoad command \d+\n/)
      .filter((c) => /cmd LC_SEGMENT_64\n/.test(c))
      .map((c) => c.match(/segname (\S+)/)![1]);
    assert.equal(segments.at(-1), '__DWARF', 'llvm-objdump lists __DWARF after __LINKEDIT');
    await signFile(file, adhoc, noCms);
    const [slice] = sigcheck(file);
    assert.deepEqual(slice.problems, []);
    assert.equal(linkeditEnd(file), fs.statSync(file).size);
    const report = (await inspectPath(file)).reports[0].architectures[0];
    assert.equal(report.verification.valid, true, JSON.stringify(report.verification.failures));
  });

  it('with an identity, entitlements and runtime: a real CMS from openssl cms -sign over the primary CodeDirectory', async () => {
    // Non-critical here (Apple marks it critical) so that openssl, which does not know it, can check the chain.
    const cert = certificate('goid', '/CN=Developer ID Application: Go (ABCDE12345)/OU=ABCDE12345/O=Go/C=US', [
      '1.2.840.113635.100.6.1.13=DER:0500',
    ]);
    const file = path.join(dir, 'go-devid');
    fs.copyFileSync(arm64, file);
    const entitlements = Buffer.from(
      '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">\n<dict>\n' +
        '<key>com.apple.security.cs.allow-jit</key><true/>\n<key>get-task-allow</key><true/>\n</dict>\n</plist>\n',
    );
    const cms: CmsProducer = async ([primary]) => {
      const content = path.join(dir, 'cd.bin');
      fs.writeFileSync(content, primary.blob);
      const pem = cert.key.replace(/\.key$/, '.pem');
      return openssl([
        'cms',
        '-sign',
        '-binary',
        '-nosmimecap',
        '-md',
        'sha256',
        '-in',
        content,
        '-signer',
        pem,
        '-inkey',
        cert.key,
        '-outform',
        'DER',
      ]);
    };
    const id = identity(cert, { teamId: 'ABCDE12345', kind: 'developer-id-application' });
    const result = await signFile(file, { identity: id, runtime: true, timestampUrl: null, entitlements }, cms);
    const [slice] = sigcheck(file);
    assert.deepEqual(slice.problems, []);
    assert.equal(slice.team, 'ABCDE12345');
    assert.equal(slice.flags, 0x10000, 'runtime, not ad hoc');
    assert.equal(slice.version, 0x20500);
    assert.equal(slice.n_special, 7, 'XML and DER entitlements sealed in slots 5 and 7');
    assert.equal(result.slices[0].keptSpace, false, "Go's linker signature has no room for a CMS");
    const facts = objdumpFacts(file);
    const report = (await inspectPath(file)).reports[0].architectures[0];
    const sig = report.signature!;
    assert.equal(sig.teamId, 'ABCDE12345');
    assert.equal(sig.hardenedRuntime, true);
    assert.equal(
      sig.codeDirectories[0].runtimeVersion?.replace(/\.0$/, ''),
      facts.sdk,
      'the runtime version is the SDK of LC_BUILD_VERSION',
    );
    assert.deepEqual(sig.entitlements, { 'com.apple.security.cs.allow-jit': true, 'get-task-allow': true });
    assert.deepEqual(sig.entitlementsDer, sig.entitlements);
    assert.deepEqual(report.verification.failures, []);
    // openssl itself accepts the CMS with the CodeDirectory as detached content.
    const bytes = fs.readFileSync(file);
    const embedded = blobOf(bytes, slice.dataoff, 0x10000)!.subarray(8);
    const verified = opensslCmsVerify(embedded, blobOf(bytes, slice.dataoff, 0)!, cert.key.replace(/\.key$/, '.pem'));
    assert.ok(verified.ok, verified.out);
  });

  it('with a certificate Apple did not issue: no team ID in the CodeDirectory, as codesign writes it', async () => {
    const cert = certificate('mine', '/CN=My Signer/OU=ABCDE12345/O=Mine/C=US', []);
    const file = path.join(dir, 'go-other');
    fs.copyFileSync(arm64, file);
    const id = identity(cert, { teamId: 'ABCDE12345', kind: 'other' });
    await signFile(file, { identity: id, runtime: false, timestampUrl: null }, async () => Buffer.from('3000', 'hex'));
    const [slice] = sigcheck(file);
    assert.deepEqual(slice.problems, []);
    assert.equal(slice.team, null);
    assert.equal(slice.flags, 0);
    assert.equal(slice.n_special, 2);
  });

  it('a CMS larger than the space it was given: laid out again with room for it, the producer asked twice', async () => {
    const file = path.join(dir, 'go-big-cms');
    fs.copyFileSync(arm64, file);
    await signFile(file, adhoc, noCms); // leaves codesign's 18000-byte CMS reserve in the space
    const before = sigcheck(file)[0];
    let calls = 0;
    const big = Buffer.alloc(60_000, 0x30);
    const id = identity(certificate('big', '/CN=Big/O=Big', []), {});
    await signFile(file, { identity: id, runtime: false, timestampUrl: null }, async () => (calls++, big));
    const [after] = sigcheck(file);
    assert.deepEqual(after.problems, []);
    assert.equal(calls, 2);
    assert.equal(after.dataoff, before.dataoff, 'the signature stays where it was; only its space grows');
    assert.ok(after.datasize > before.datasize + big.length - 18000);
    assert.equal(linkeditEnd(file), fs.statSync(file).size);
  });

  it('a segment whose data lies after __LINKEDIT: one line, nothing written', async () => {
    const bytes = Buffer.from(fs.readFileSync(amd64));
    // Move __DWARF's file range past __LINKEDIT's start (only the offset in its command changes).
    for (let i = 0, at = 32; i < bytes.readUInt32LE(16); i++) {
      if (bytes.subarray(at + 8, at + 15).toString('latin1') === '__DWARF')
        bytes.writeBigUInt64LE(BigInt(fs.statSync(amd64).size - 64), at + 40);
      at += bytes.readUInt32LE(at + 4);
    }
    const file = writeTemp('dwarf-after', bytes);
    await assert.rejects(signFile(file, adhoc, noCms), /segment __DWARF lies after __LINKEDIT in the file/);
    assert.ok(fs.readFileSync(file).equals(bytes));
  });

  it('no room for LC_CODE_SIGNATURE: one line, nothing written, no temporary file left', async () => {
    // Fill the header padding of the amd64 build with a load command, leaving 8 bytes: less than LC_CODE_SIGNATURE needs.
    const bytes = Buffer.from(fs.readFileSync(amd64));
    const ncmds = bytes.readUInt32LE(16);
    const sizeofcmds = bytes.readUInt32LE(20);
    const firstSection = Math.min(
      ...objdumpFacts(amd64)
        .sections.filter((s) => s.offset > 0 && s.size > 0)
        .map((s) => s.offset),
    );
    const filler = firstSection - (32 + sizeofcmds) - 8;
    assert.ok(filler > 16 && filler % 8 === 0);
    bytes.writeUInt32LE(0x7fff_fff0, 32 + sizeofcmds); // a command no reader knows: skipped by its size
    bytes.writeUInt32LE(filler, 32 + sizeofcmds + 4);
    bytes.writeUInt32LE(ncmds + 1, 16);
    bytes.writeUInt32LE(sizeofcmds + filler, 20);
    const roomless = path.join(dir, 'roomless', 'hello');
    fs.mkdirSync(path.dirname(roomless));
    fs.writeFileSync(roomless, bytes, { mode: 0o755 });
    await assert.rejects(signFile(roomless, adhoc, noCms), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.match(error.message, /^\S+: no room for LC_CODE_SIGNATURE: .*\(relink with a larger -headerpad\)$/);
      assert.doesNotMatch(error.message, /\n/);
      return true;
    });
    assert.ok(fs.readFileSync(roomless).equals(bytes), 'the file is unchanged');
    assert.deepEqual(fs.readdirSync(path.dirname(roomless)), ['hello']);
  });
});
