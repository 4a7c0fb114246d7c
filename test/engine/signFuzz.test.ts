/**
 * Seeded fuzzing of the builtin signer's input: Go binaries built here with bytes flipped and boundary values written
 * over the header and load commands (counts, sizes, offsets), truncations, and tiny files. Each case must end in an
 * InputError or in a signed slice that our verifier accepts (every page and special slot) and that keeps
 * __LINKEDIT ending at the end of the slice; any other exception, or a signature that does not verify, fails.
 * Set SIGN_FUZZ_CASES / SIGN_FUZZ_SEED to run longer or reproduce a case.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { InputError } from '../../server/src/errors';
import { parseMachO } from '../../server/src/macho/loadCommands';
import { readSignature } from '../../server/src/macho/signature';
import { BufferSource } from '../../server/src/macho/source';
import { verifySignature } from '../../server/src/macho/verify';
import { readSliceLayout } from '../../server/src/sign/layout';
import { signSlice } from '../../server/src/sign/slice';
import { prng, randomBytes } from '../support/random';
import { buildGo, tempDir } from '../support/tools';

const CASES = Number(process.env.SIGN_FUZZ_CASES ?? 240);
const SEED = Number(process.env.SIGN_FUZZ_SEED ?? 0x51647);
const BOUNDARY = [0, 1, 8, 16, 0x1000, 0x7fffffff, 0x80000000, 0xfffffff0, 0xffffffff];

const request = {
  identifier: 'fuzz',
  identity: null,
  runtime: false,
  timestampUrl: null,
  cms: async () => assert.fail('an ad-hoc signature must not ask for a CMS'),
};

function mutate(seed: Buffer, rand: () => number): { bytes: Buffer; how: string } {
  const bytes = Buffer.from(seed);
  const commandsEnd = Math.min(bytes.length, 32 + bytes.readUInt32LE(20));
  const pick = (n: number) => Math.floor(rand() * n);
  switch (pick(6)) {
    case 0: {
      const flips = 1 + pick(4);
      for (let i = 0; i < flips; i++) bytes[pick(commandsEnd)] ^= 1 << pick(8);
      return { bytes, how: `${flips} bit flips in the load commands` };
    }
    case 1: {
      const at = pick(commandsEnd / 4) * 4;
      const value = BOUNDARY[pick(BOUNDARY.length)];
      bytes.writeUInt32LE(value, at);
      return { bytes, how: `u32 ${value} at ${at}` };
    }
    case 2: {
      const field = [16, 20][pick(2)]; // ncmds, sizeofcmds
      const value = [0, 1, 0xffff, 0xffffffff, bytes.readUInt32LE(field) + 1 + pick(64)][pick(5)];
      bytes.writeUInt32LE(value >>> 0, field);
      return { bytes, how: `header field ${field} = ${value}` };
    }
    case 3: {
      const length = pick(bytes.length);
      return { bytes: bytes.subarray(0, length), how: `truncated to ${length}` };
    }
    case 4: {
      const length = pick(96);
      const tiny = randomBytes(rand, length);
      if (length >= 4 && rand() < 0.7) tiny.writeUInt32BE(rand() < 0.5 ? 0xcffaedfe : 0xcefaedfe, 0);
      return { bytes: tiny, how: `tiny file of ${length} bytes` };
    }
    default: {
      // A section or segment count, size or offset in a random segment command.
      const at = 32 + pick(Math.max(1, commandsEnd - 40));
      const value = BOUNDARY[pick(BOUNDARY.length)];
      bytes.writeUInt32LE(value, at - (at % 4));
      return { bytes, how: `u32 ${value} near ${at}` };
    }
  }
}

describe('fuzzing the signer (seeded)', () => {
  const seeds: { name: string; bytes: Buffer }[] = [];
  before(() => {
    const dir = tempDir('gms-sign-fuzz-');
    for (const arch of ['arm64', 'amd64'] as const)
      seeds.push({ name: arch, bytes: fs.readFileSync(buildGo(arch, path.join(dir, arch))) });
  });

  it(`${CASES} mutated inputs: an InputError or a signature our verifier accepts`, async () => {
    const rand = prng(SEED);
    const outcomes = { signed: 0, refused: 0 };
    for (let i = 0; i < CASES; i++) {
      const seed = seeds[i % seeds.length];
      const { bytes, how } = mutate(seed.bytes, rand);
      const label = `case ${i} (seed ${SEED}, ${seed.name}: ${how})`;
      let signed: Buffer;
      try {
        signed = await signSlice(bytes, request);
      } catch (error) {
        assert.ok(error instanceof InputError, `${label}: ${String(error)}`);
        assert.doesNotMatch(error.message, /\n/, label);
        outcomes.refused++;
        continue;
      }
      const source = new BufferSource(signed, label);
      const image = parseMachO(source);
      const report = await verifySignature(source, image, readSignature(source, image), {}, { parallel: false });
      assert.equal(report.valid, true, `${label}: ${JSON.stringify(report.failures.slice(0, 3))}`);
      const layout = readSliceLayout(signed, label);
      assert.equal(layout.linkedit!.fileoff + layout.linkedit!.filesize, signed.length, label);
      outcomes.signed++;
    }
    // Both outcomes happen: the mutations neither all break the file nor all miss what matters.
    assert.ok(outcomes.signed > CASES / 10 && outcomes.refused > CASES / 10, JSON.stringify(outcomes));
  });
});
