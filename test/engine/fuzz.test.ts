/**
 * Seeded mutation fuzzing of real binaries: byte flips, boundary values written over header, load-command and
 * signature fields, and truncations. The only exception allowed out of the engine is InputError (a TypeError or
 * RangeError is a bug and fails the test); every read, including the streamed reads of page hashing, must stay inside
 * the source's declared bounds; and a case that changed a signed byte must not verify. Signed ranges come from
 * llvm-objdump and the SuperBlob index read by hand, not from our parser.
 * Set FUZZ_CASES / FUZZ_SEED to run longer or reproduce a case.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { InputError } from '../../server/src/errors';
import { inspectMachO } from '../../server/src/macho/inspect';
import { parseMachO } from '../../server/src/macho/loadCommands';
import { readSignature } from '../../server/src/macho/signature';
import { BufferSource, ByteSource } from '../../server/src/macho/source';
import { verifySignature } from '../../server/src/macho/verify';
import { objdumpFacts, universalOffsets } from '../support/oracle';
import { buildGo, npmPackage, tempDir } from '../support/tools';
import { prng } from '../support/random';

const CASES = Number(process.env.FUZZ_CASES ?? 10000);
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);

/** A source that fails the test (with a non-InputError) if anything reads outside its declared size. */
class StrictSource extends BufferSource {
  constructor(
    private readonly buf: Buffer,
    name: string,
    readonly counter = { chunks: 0 },
  ) {
    super(buf, name);
  }
  override read(offset: number, length: number): Buffer {
    if (offset < 0 || length < 0 || offset + length > this.buf.length)
      assert.fail(`read past the bound: ${offset}+${length} > ${this.buf.length}`);
    return super.read(offset, length);
  }
  override chunk(offset: number, length: number): Promise<Buffer> {
    if (offset < 0 || length < 0 || offset + length > this.buf.length)
      assert.fail(`chunk past the bound: ${offset}+${length} > ${this.buf.length}`);
    this.counter.chunks++; // page-hashing reads, counted across slices so the test can show that path ran
    return super.chunk(offset, length);
  }
  override slice(offset: number, size: number, name: string): ByteSource {
    if (offset < 0 || size < 0 || offset + size > this.buf.length)
      assert.fail(`slice past the bound: ${offset}+${size} > ${this.buf.length}`);
    return new StrictSource(this.buf.subarray(offset, offset + size), name, this.counter);
  }
}

const BOUNDARY = [0, 1, 7, 8, 0x7fffffff, 0x80000000, 0xfffffff8, 0xffffffff];

interface Seed {
  name: string;
  bytes: Buffer;
  /** Regions worth hitting: header and load commands, the signature. */
  hot: [number, number][];
  /** Byte ranges a signature covers, with the offset of the slice whose verdict they decide. */
  signed: { slice: number; start: number; end: number }[];
}

/** Mutates `b` (a working copy of the seed's bytes) in place, or returns a truncated view of it. */
function mutate(seed: Pick<Seed, 'hot'>, b: Buffer, rand: () => number): Buffer {
  const pick = (n: number) => Math.floor(rand() * n);
  const inHot = () => {
    const [start, end] = seed.hot[pick(seed.hot.length)];
    return start + pick(Math.max(1, end - start));
  };
  const kind = pick(4);
  if (kind === 0) {
    for (let i = 0, n = 1 + pick(8); i < n; i++) b[inHot()] ^= 1 << pick(8);
  } else if (kind === 1) {
    const at = inHot() & ~3;
    if (at + 4 <= b.length) {
      const value = BOUNDARY[pick(BOUNDARY.length)];
      if (rand() < 0.5) b.writeUInt32BE(value >>> 0, at);
      else b.writeUInt32LE(value >>> 0, at);
    }
  } else if (kind === 2) {
    return b.subarray(0, pick(b.length));
  } else {
    const at = inHot();
    for (let i = 0, n = 1 + pick(64); i < n && at + i < b.length; i++) b[at + i] = pick(256);
  }
  return b;
}

function isInputError(error: unknown): boolean {
  return error instanceof InputError;
}

/** The first signed range whose bytes `mutated` changed (same length only: truncations are judged elsewhere). */
function changedSigned(seed: Seed, mutated: Buffer): Seed['signed'][number] | null {
  if (mutated.length !== seed.bytes.length) return null;
  return seed.signed.find((r) => !mutated.subarray(r.start, r.end).equals(seed.bytes.subarray(r.start, r.end))) ?? null;
}

const seeds: Seed[] = [];

before(() => {
  const dir = tempDir();
  const go = fs.readFileSync(buildGo('arm64', dir));
  const goSig = objdumpFacts(path.join(dir, 'hello-arm64')).codeSignature!;
  // Go's signer hashes every page up to the signature (codeLimit = dataoff).
  const goSigned = [{ slice: 0, start: 0, end: goSig.dataOffset }];
  seeds.push({
    name: 'go-arm64',
    bytes: go,
    hot: [
      [0, 4096],
      [goSig.dataOffset, goSig.dataOffset + 2048],
    ],
    signed: goSigned,
  });
  const fseventsFile = path.join(npmPackage('fsevents@2.3.3'), 'fsevents.node');
  const fsevents = fs.readFileSync(fseventsFile);
  const arm64At = universalOffsets(fseventsFile).arm64;
  const arm64Signed = [
    { slice: arm64At, start: arm64At, end: arm64At + objdumpFacts(fseventsFile, 'arm64').codeSignature!.dataOffset },
  ];
  seeds.push({
    name: 'fsevents',
    bytes: fsevents,
    hot: [
      [0, 64],
      [16384, 16384 + 4096],
      [98304, 98304 + 4096],
      [fsevents.length - 2048, fsevents.length],
    ],
    signed: arm64Signed,
  });
});

describe('fuzzing the engine with mutated real binaries', () => {
  it(`${CASES} whole-file cases: only InputError escapes, reads stay in bounds, a changed signed byte never verifies`, async () => {
    const rand = prng(SEED);
    let inputErrors = 0;
    let reports = 0;
    let signedChanges = 0;
    let pageReads = 0;
    for (let i = 0; i < CASES; i++) {
      const seed = seeds[i % seeds.length];
      const bytes = mutate(seed, Buffer.from(seed.bytes), rand);
      const changed = changedSigned(seed, bytes);
      const source = new StrictSource(bytes, `${seed.name}#${i}`);
      try {
        const result = await inspectMachO(source, {}, { parallel: false });
        JSON.stringify(result); // the model must always be serialisable (no cycles, no BigInt)
        reports++;
        if (changed) {
          signedChanges++;
          const slice = result.slices.find((s) => s.offset === changed.slice);
          assert.ok(
            !slice || !slice.verification.valid,
            `case ${i} (seed ${SEED}, ${seed.name}) changed signed bytes and still verifies`,
          );
        }
      } catch (error) {
        if (!isInputError(error)) {
          throw new Error(`case ${i} (seed ${SEED}, ${seed.name}) threw ${(error as Error)?.stack ?? error}`);
        }
        inputErrors++;
      }
      pageReads += source.counter.chunks;
    }
    console.log(
      `fuzz: ${CASES} cases, ${reports} reports, ${inputErrors} input errors, ${signedChanges} verdicts on changed signed bytes, ${pageReads} page reads`,
    );
    assert.ok(reports > 0 && inputErrors > 0, 'the mutations exercise both outcomes');
    assert.ok(signedChanges > 0, 'some cases change signed bytes and are judged');
    assert.ok(pageReads > 0, 'page hashing read through the strict source');
  });

  it('mutations confined to a Developer ID signature (CMS, requirements, CodeDirectory): verdicts hold, nothing throws', async () => {
    const file = path.join(npmPackage('@sentry/cli-darwin@3.8.0'), 'bin', 'sentry-cli');
    const offset = universalOffsets(file).arm64;
    const { dataOffset, dataSize } = objdumpFacts(file, 'arm64').codeSignature!;
    const whole = fs.readFileSync(file);
    const pristine = whole.subarray(offset, offset + dataOffset + dataSize);
    // Blobs sealed by the signature, from the SuperBlob index (big-endian {slot, offset} pairs after a 12-byte header):
    // the CodeDirectory, signed by the CMS, and the requirements and entitlements, hashed in its special slots.
    const sealed: Seed['signed'] = [];
    for (let i = 0, n = pristine.readUInt32BE(dataOffset + 8); i < n; i++) {
      const slot = pristine.readUInt32BE(dataOffset + 12 + i * 8);
      const at = dataOffset + pristine.readUInt32BE(dataOffset + 16 + i * 8);
      if ([0, 2, 5, 7].includes(slot)) sealed.push({ slice: 0, start: at, end: at + pristine.readUInt32BE(at + 4) });
    }
    assert.equal(sealed.length, 4);
    const seed: Seed = { name: 'sentry', bytes: pristine, hot: [[dataOffset, dataOffset + dataSize]], signed: sealed };
    const work = Buffer.from(pristine); // mutated in place and restored: copying 13 MB per case would dominate
    const rand = prng(SEED + 1);
    const cases = Math.max(200, Math.floor(CASES / 3));
    let judged = 0;
    for (let i = 0; i < cases; i++) {
      const bytes = mutate(seed, work, rand);
      const changed = changedSigned(seed, bytes);
      try {
        const source = new StrictSource(bytes, `sentry#${i}`);
        const image = parseMachO(source);
        const signature = readSignature(source, image);
        JSON.stringify(signature?.problems);
        // Hashing 3,300 pages per verdict is the slow part: judge a fixed tenth of the cases.
        if (i % 10 === 0) {
          const verdict = await verifySignature(source, image, signature, {}, { parallel: false });
          if (changed) {
            judged++;
            assert.equal(
              verdict.valid,
              false,
              `case ${i} (seed ${SEED + 1}) changed a sealed byte at ${changed.start}..${changed.end} and still verifies`,
            );
          }
        }
      } catch (error) {
        if (!isInputError(error))
          throw new Error(`signature case ${i} (seed ${SEED + 1}) threw ${(error as Error)?.stack ?? error}`);
      } finally {
        pristine.copy(work, dataOffset, dataOffset, dataOffset + dataSize);
      }
    }
    assert.ok(judged > 0, 'some cases change sealed bytes and are judged');
  });

  it('the untouched seeds verify (the verdicts above mean something)', async () => {
    for (const seed of seeds) {
      const { slices } = await inspectMachO(
        new StrictSource(Buffer.from(seed.bytes), seed.name),
        {},
        { parallel: false },
      );
      for (const range of seed.signed)
        assert.equal(slices.find((s) => s.offset === range.slice)?.verification.valid, true, seed.name);
    }
  });
});
