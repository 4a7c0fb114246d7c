/**
 * Runs a task per key once calls for it pause: a burst of edits to one document costs one lint, of its last
 * version. Tasks of different keys do not delay each other.
 */
export class Debouncer {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly delayMs: number,
    private readonly task: (key: string) => void,
  ) {}

  schedule(key: string): void {
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.task(key);
      }, this.delayMs),
    );
  }

  cancel(key: string): void {
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
  }
}
