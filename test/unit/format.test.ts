/** Names from Apple's headers (machine.h, loader.h, CSCommon.h). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { archName, CD_FLAGS, flagNames, formatVersion } from '../../server/src/macho/format';
import { decompile } from '../../server/src/macho/requirements';

describe('format names', () => {
  it('names architectures as lipo does, masking the capability byte', () => {
    assert.equal(archName(0x0100000c, 0), 'arm64');
    assert.equal(archName(0x0100000c, 0x80000002), 'arm64e');
    assert.equal(archName(0x01000007, 3), 'x86_64');
    assert.equal(archName(0x01000007, 0x80000003), 'x86_64');
    assert.equal(archName(0x01000007, 8), 'x86_64h');
    assert.equal(archName(7, 3), 'i386');
  });

  it('names CodeDirectory flags as codesign prints them', () => {
    assert.deepEqual(flagNames(0x20002, CD_FLAGS), ['adhoc', 'linker-signed']);
    assert.deepEqual(flagNames(0x10000, CD_FLAGS), ['runtime']);
    assert.deepEqual(flagNames(0x40000002, CD_FLAGS), ['adhoc', '0x40000000']);
  });

  it('unpacks xxxx.yy.zz versions', () => {
    assert.equal(formatVersion(0x000b0000), '11.0.0');
    assert.equal(formatVersion(0x000a0904), '10.9.4');
  });

  it('decompiles requirement expressions and gives up on unknown opcodes', () => {
    const expr = (...words: (number | string)[]) =>
      Buffer.concat(
        words.map((w) => {
          if (typeof w === 'number') return Buffer.from([w >>> 24, (w >>> 16) & 255, (w >>> 8) & 255, w & 255]);
          const data = Buffer.from(w);
          const padded = Buffer.alloc((data.length + 3) & ~3);
          data.copy(padded);
          return Buffer.concat([Buffer.from([0, 0, 0, data.length]), padded]);
        }),
      );
    assert.equal(
      decompile(expr(6, 2, 'com.example.tool', 15)),
      'identifier "com.example.tool" and anchor apple generic',
    );
    assert.equal(decompile(expr(7, 6, 1, 1, 21)), 'always and always or notarized');
    assert.equal(decompile(expr(99)), null);
    assert.equal(decompile(expr(6, 2)), null, 'truncated');
  });
});
