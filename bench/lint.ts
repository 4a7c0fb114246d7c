/**
 * Benchmark: a full re-lint of a 2,000-key entitlements plist, against the floor of tokenizing the same text with
 * saxes and no handlers (what any XML-based linter must at least do), measured in the same run.
 *
 *   npm run bench        (runs this after bench/verify.ts)
 *
 * Prints the time per lint, the time per bare tokenization and their ratio (target: 3 or lower). Not a test.
 * Then the same for a billion-laughs document (nested entity declarations): refused without expansion, its lint costs
 * about what tokenizing its few hundred bytes costs (moved here from test/unit/lintEntitlements.test.ts, which only
 * checks that nothing is expanded).
 */
import { SaxesParser } from 'saxes';
import { lintDocument } from '../server/src/lint/lintFiles';
import { medianMs } from './timing';

const KEYS = 2000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);

function entitlements(): string {
  const body = Array.from({ length: KEYS }, (_, i) => {
    const value =
      i % 4 === 0
        ? '<false/>'
        : i % 4 === 1
          ? '<true/>'
          : i % 4 === 2
            ? `<string>group.com.example.app${i}</string>`
            : `<array><string>TEAMID.com.example.${i}</string></array>`;
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

// Billion laughs: 10 entities, each ten of the previous; expanded, &j; would be 10^10 bytes.
const laughs =
  '<!DOCTYPE lolz [<!ENTITY a "aaaaaaaaaa">' +
  Array.from(
    { length: 9 },
    (_, i) => `<!ENTITY ${String.fromCharCode(98 + i)} "${`&${String.fromCharCode(97 + i)};`.repeat(10)}">`,
  ).join('') +
  ']><plist><string>&j;</string></plist>';
const laughsFloor = timePerRun(() => {
  const parser = new SaxesParser({ position: true });
  parser.on('error', () => undefined); // saxes does not expand &j; either: it reports it undefined
  parser.write(laughs).close();
});
const laughsLint = timePerRun(() => void lintDocument('laughs.entitlements', laughs));
console.log(
  `billion laughs (${laughs.length} bytes): bare tokenization ${laughsFloor.toFixed(3)} ms, lint ${laughsLint.toFixed(3)} ms, ratio ${(laughsLint / laughsFloor).toFixed(2)} (target: 10 or lower, no expansion)`,
);

// Hostile input: 2 MB of random bytes (seeded), which must lint in well under a second (parsing stops after a
// bounded number of problems instead of building an error for nearly every byte).
let seed = 20261201;
const noise = Buffer.alloc(2 * 1024 * 1024).map(() => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed >>> 24;
});
const noiseText = Buffer.from(noise).toString('utf8');
const noiseFloor = medianMs(
  () => {
    const parser = new SaxesParser({ position: true });
    parser.on('error', () => undefined);
    parser.write(noiseText.slice(0, 64 * 1024)).close();
  },
  5,
  1,
);
const noisy = medianMs(() => lintDocument('noise.entitlements', noiseText), 5, 1);
console.log(
  `2 MB of random bytes:    ${noisy.toFixed(2)} ms (median of 5), ratio ${(noisy / noiseFloor).toFixed(2)} against bare saxes over the first 64 KB (it stops after a bounded number of problems)`,
);
