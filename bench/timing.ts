/** Timing for the benchmarks: the median of `rounds` runs after `warmup` runs that let V8 optimise the code. */
export function medianMs(fn: () => void, rounds: number, warmup: number): number {
  for (let i = 0; i < warmup; i++) fn();
  const runs: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = process.hrtime.bigint();
    fn();
    runs.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return runs.sort((a, b) => a - b)[Math.floor(runs.length / 2)];
}
