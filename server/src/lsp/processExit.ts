/**
 * Ending the server even while a file read never returns. Node's exit waits for libuv's thread pool, so a single
 * read blocked for ever (a FIFO without a writer, a hung network mount) would keep the process alive after `exit` or
 * the end of stdin, and the editor would wait on it. Shutdown gives pending reads a moment to finish; if some are
 * still pending when the process exits, it ends itself with SIGKILL, the one way out that does not wait for them.
 */

/** File-system requests in libuv's thread pool that have not completed. */
export function pendingFileRequests(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'FSReqCallback' || r === 'FSReqPromise').length;
}

/** Resolves when no file request is pending, or after `maxMs`. */
export async function settleFileRequests(maxMs: number): Promise<void> {
  const until = Date.now() + maxMs;
  while (pendingFileRequests() > 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** Makes every exit (the `exit` notification, the end of stdin, the editor's death) end the process at once. */
export function exitEvenIfBlocked(log: (message: string) => void): void {
  process.on('exit', () => {
    const pending = pendingFileRequests();
    if (pending === 0) return;
    log(`exiting with ${pending} file read(s) that never returned: ending the process with SIGKILL`);
    process.kill(process.pid, 'SIGKILL');
  });
}
