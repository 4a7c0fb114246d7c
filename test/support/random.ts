/**
 * Seeded randomness for tests: the same inputs on every run and every machine, so a failure can be reproduced.
 * Tests never call Math.random or crypto.randomBytes for their inputs; they take a generator from `prng(seed)`.
 */

/** mulberry32: small, fast, well-distributed 32-bit generator; returns numbers in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `length` bytes from the generator. */
export function randomBytes(rand: () => number, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(rand() * 256);
  return bytes;
}
