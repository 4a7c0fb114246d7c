/**
 * One notification for the latest run of a long command (Notarize…), with no VS Code import so that plain Node can
 * test it.
 *
 * VS Code cannot close a message toast from an extension, so a verdict shown with showErrorMessage stays until the
 * user dismisses it, stacked beside the next run's. Here the run's own progress notification carries the verdict: when
 * the work is done the status-bar spinner ends at once, the notification's message becomes the verdict, and it stays
 * until the next run starts, the user closes it (its Cancel button) or `lingerMs` passes. The run's promise settles
 * when the work is done, never waiting for the notification to close. (Hiding it with × instead makes VS Code show it
 * in the status bar until the linger ends: the reason the linger is short.)
 */

export interface ProgressStep {
  message?: string;
  /** 100 fills the bar: the run is over. */
  increment?: number;
}

/** vscode.window.withProgress at ProgressLocation.Notification, cancellable: the notification lives while `task` runs. */
export type WithProgress = (
  title: string,
  task: (report: (step: ProgressStep) => void, onCancel: (listener: () => void) => void) => Promise<void>,
) => PromiseLike<void>;

/** The status-bar item that spins while a run works. */
export interface BusyIndicator {
  show(text: string): void;
  hide(): void;
}

export class LatestRunNotification {
  private closeShown: (() => void) | undefined;
  private working = 0;

  constructor(
    private readonly withProgress: WithProgress,
    private readonly busy: BusyIndicator,
    private readonly lingerMs = 20_000,
  ) {}

  /**
   * Closes the previous run's notification and runs `work` under a new one titled `title`. `work` resolves with the
   * verdict the notification then shows, or undefined to close it at once (a cancelled run).
   */
  run(
    title: string,
    busyText: string,
    work: (report: (message: string) => void, signal: AbortSignal) => Promise<string | undefined>,
  ): Promise<void> {
    this.closeShown?.();
    this.working++;
    this.busy.show(busyText);
    let started = false;
    return new Promise<void>((resolveRun, rejectRun) => {
      const shown = this.withProgress(title, async (report, onCancel) => {
        started = true;
        const abort = new AbortController();
        let close!: () => void;
        const closed = new Promise<void>((resolve) => (close = resolve));
        this.closeShown = close;
        // Cancel stops the work while it runs; afterwards it only closes the verdict.
        onCancel(() => {
          abort.abort();
          close();
        });
        let verdict: string | undefined;
        try {
          verdict = await work((message) => report({ message }), abort.signal);
        } catch (error) {
          this.ended();
          rejectRun(error);
          return;
        }
        this.ended();
        resolveRun();
        if (verdict === undefined || abort.signal.aborted) return;
        report({ message: verdict, increment: 100 });
        const timer = setTimeout(close, this.lingerMs);
        await closed;
        clearTimeout(timer);
      });
      // A notification that cannot be shown must not leave the run hanging, nor the spinner spinning.
      void Promise.resolve(shown).then(undefined, (error: unknown) => {
        if (!started) this.ended();
        rejectRun(error);
      });
    });
  }

  /** Closes the verdict on screen, if any (the extension is deactivated). */
  dispose(): void {
    this.closeShown?.();
  }

  private ended(): void {
    if (--this.working === 0) this.busy.hide();
  }
}
