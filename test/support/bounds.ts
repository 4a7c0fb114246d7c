/**
 * Every wait in a test is bounded: a child process is killed after CHILD_LIMIT, a promise from outside the test (a
 * server's notification, a child's exit) fails after `within`'s limit naming what it waited for, and a polling loop
 * gives up in `waitUntil`. These are hang guards, not performance assertions: the limits are minutes or tens of
 * seconds, far above any normal run, so a slow machine never fails a test and a hang never stalls the suite.
 */

/** Options for spawnSync / execFileSync: a hung child is killed (SIGKILL: it may ignore SIGTERM) after five minutes. */
export const CHILD_LIMIT = { timeout: 300_000, killSignal: 'SIGKILL' as const };

/** `promise`, or a rejection saying what did not happen within `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`gave up waiting for ${what} after ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/** Polls `probe` every `everyMs` until it holds; fails naming `what` after `ms`. */
export async function waitUntil(what: string, probe: () => boolean, ms = 30_000, everyMs = 50): Promise<void> {
  const until = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > until) throw new Error(`gave up waiting for ${what} after ${ms / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
