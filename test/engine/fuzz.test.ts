/**
 * Seeded mutation fuzzing of real binaries: byte flips, boundary values written over header, load-command and
 * signature fields, and truncations. The only exception allowed out of the engine is InputError; every read must
 * stay inside the source's declared bounds; no case may hang; memory must stay bounded.
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
import { parseFatArchs } from '../../server/src/macho/container';
import { objdumpFacts } from '../support/oracle';
import { buildGo, npmPackage, tempDir } from '../support/tools';

const CASES = Number(process.env.FUZZ_CASES ?? 10000);
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);

/** mulberry32: small, fast, and the same sequence on every machine. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A source that fails the test (with a non-InputError) if anything reads outside its declared size. */
class StrictSource extends BufferSource {
  constructor(private readonly buf: Buffer, name: string) {
    super(buf, name);
  }
  override read(offset: number, length: number): Buffer {
    if (offset < 0 || length < 0 || offset + length > this.buf.length) assert.fail(`read past the bound: ${offset}+${length} > ${this.buf.length}`);
    return super.read(offset, length);
  }
  override slice(offset: number, size: number, name: string): ByteSource {
    if (offset < 0 || size < 0 || offset + size > this.buf.length) assert.fail(`slice past the bound: ${offset}+${size} > ${this.buf.length}`);
    return new StrictSource(this.buf.subarray(offset, offset + size), name);
  }
}

const BOUNDARY = [0, 1, 7, 8, 0x7fffffff, 0x80000000, 0xfffffff8, 0xffffffff];

interface Seed {
  name: string;
  bytes: Buffer;
  /** Regions worth hitting: header and load commands, the signature. */
  hot: [number, number][];
}

function mutate(seed: Seed, rand: () => number): Buffer {
  const b = Buffer.from(seed.bytes);
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

const seeds: Seed[] = [];

before(() => {
  const dir = tempDir();
  const go = fs.readFileSync(buildGo('arm64', dir));
  const goSig = objdumpFacts(path.join(dir, 'hello-arm64')).codeSignature!;
  seeds.push({ name: 'go-arm64', bytes: go, hot: [[0, 4096], [goSig.dataOffset, goSig.dataOffset + 2048]] });
  const fsevents = fs.readFileSync(path.join(npmPackage('fsevents@2.3.3'), 'fsevents.node'));
  seeds.push({ name: 'fsevents', bytes: fsevents, hot: [[0, 64], [16384, 16384 + 4096], [98304, 98304 + 4096], [fsevents.length - 2048, fsevents.length]] });
});

describe('fuzzing the engine with mutated real binaries', () => {
  it(`${CASES} whole-file cases: only InputError escapes, reads stay in bounds, nothing hangs`, async () => {
    const rand = prng(SEED);
    const rssBefore = process.memoryUsage().rss;
    let inputErrors = 0;
    let reports = 0;
    let slowest = 0;
    for (let i = 0; i < CASES; i++) {
      const seed = seeds[i % seeds.length];
      const bytes = mutate(seed, rand);
      const started = process.hrtime.bigint();
      try {
        const result = await inspectMachO(new StrictSource(bytes, `${seed.name}#${i}`));
        JSON.stringify(result); // the model must always be serialisable (no cycles, no BigInt)
        reports++;
      } catch (error) {
        if (!isInputError(error)) {
          throw new Error(`case ${i} (seed ${SEED}, ${seed.name}) threw ${(error as Error)?.stack ?? error}`);
        }
        inputErrors++;
      }
      slowest = Math.max(slowest, Number(process.hrtime.bigint() - started) / 1e6);
    }
    const growth = (process.memoryUsage().rss - rssBefore) / 1024 / 1024;
    console.log(`fuzz: ${CASES} cases, ${reports} reports, ${inputErrors} input errors, slowest ${slowest.toFixed(1)} ms, rss growth ${growth.toFixed(0)} MiB`);
    // A hang guard, not a performance test: a case that loops on hostile counts would take minutes.
    assert.ok(slowest < 10_000, `slowest case took ${slowest} ms`);
    assert.ok(growth < 512, `memory grew by ${growth} MiB`);
    assert.ok(reports > 0 && inputErrors > 0, 'the mutations exercise both outcomes');
  });

  it('mutations confined to a Developer ID signature (CMS, requirements, CodeDirectory) never throw', async () => {
    const file = path.join(npmPackage('@sentry/cli-darwin@3.8.0'), 'bin', 'sentry-cli');
    const whole = new BufferSource(fs.readFileSync(file), 'sentry-cli');
    const arch = parseFatArchs(whole).find((a) => a.cputype === 0x0100000c)!;
    const sliceBytes = whole.read(arch.offset, arch.size);
    const image = parseMachO(new BufferSource(sliceBytes, 'slice'));
    const { dataOffset, dataSize } = image.codeSignature!;
    const rand = prng(SEED + 1);
    const cases = Math.max(200, Math.floor(CASES / 3));
    for (let i = 0; i < cases; i++) {
      const bytes = mutate({ name: 'sentry', bytes: sliceBytes, hot: [[dataOffset, dataOffset + dataSize]] }, rand);
      try {
        const source = new StrictSource(bytes, `sentry#${i}`);
        const signature = readSignature(source, parseMachO(source));
        JSON.stringify(signature?.problems);
      } catch (error) {
        if (!isInputError(error)) throw new Error(`signature case ${i} threw ${(error as Error)?.stack ?? error}`);
      }
    }
  });
});
