/**
 * Benchmark: a full re-lint of a 2,000-key entitlements plist, against the floor of tokenizing the same text with
 * saxes and no handlers (what any XML-based linter must at least do), measured in the same run.
 *
 *   npm run bench        (runs this after bench/verify.ts)
 *
 * Prints the time per lint, the time per bare tokenization and their ratio (target: 3 or lower). Not a test.
 */
import { SaxesParser } from 'saxes';
import { lintDocument } from '../server/src/lint/lintFiles';
import { medianMs } from './timing';

const KEYS = 2000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);

function entitlements(): string {
  const body = Array.from({ length: KEYS }, (_, i) => {
    const value = i % 4 === 0 ? '<false/>' : i % 4 === 1 ? '<true/>' : i % 4 === 2 ? `<string>group.com.example.app${i}</string>` : `<array><string>TEAMID.com.example.${i}</string></array>`;
    return `\t<key>com.example.entitlement.${i}</key>\n\t${value}\n`;
  }).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0">\n<dict>\n${body}</dict>\n</plist>\n`;
}

const timePerRun = (fn: () => void) => medianMs(fn, ROUNDS, 20);

const text = entitlements();
const tokenize = () => {
  new SaxesParser({ position: true }).write(text).close();
};
let diagnostics = 0;
const lint = () => {
  diagnostics = lintDocument('bench.entitlements', text).length;
};
const floor = timePerRun(tokenize);
const ours = timePerRun(lint);
console.log(`entitlements plist: ${KEYS} keys, ${(text.length / 1024).toFixed(0)} KiB, ${diagnostics} diagnostics`);
console.log(`bare saxes tokenization: ${floor.toFixed(2)} ms (median of ${ROUNDS})`);
console.log(`full lint:               ${ours.toFixed(2)} ms (median of ${ROUNDS})`);
console.log(`ratio lint / tokenizer:  ${(ours / floor).toFixed(2)} (target 3 or lower)`);

// Hostile input: 2 MB of random bytes (seeded), which must lint in well under a second (parsing stops after a
// bounded number of problems instead of building an error for nearly every byte).
let seed = 20261201;
const noise = Buffer.alloc(2 * 1024 * 1024).map(() => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed >>> 24;
});
const noiseText = Buffer.from(noise).toString('utf8');
const noisy = medianMs(() => lintDocument('noise.entitlements', noiseText), 5, 1);
console.log(`2 MB of random bytes:    ${noisy.toFixed(2)} ms (median of 5)`);
