// Timers of one sandbox server. Every pending bot step, transcript completion and webhook retry goes
// through here, so closing the server cancels them all and no callback fires after close().

export class Scheduler {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly abort = new AbortController();

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  get closed(): boolean {
    return this.abort.signal.aborted;
  }

  /** Runs `task` after `delayMs`; returns a function that cancels it. Errors are passed to `onError`. */
  after(delayMs: number, task: () => void | Promise<void>, onError: (error: unknown) => void): () => void {
    if (this.closed) {
      return () => undefined;
    }

    // setTimeout overflows above 2^31-1 ms (about 24.8 days) and would fire at once.
    const boundedDelay = Math.min(Math.max(0, delayMs), 2_147_483_647);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      Promise.resolve().then(task).catch(onError);
    }, boundedDelay);
    this.timers.add(timer);

    return () => {
      clearTimeout(timer);
      this.timers.delete(timer);
    };
  }

  /** Resolves after `delayMs`, or rejects with an AbortError when the server closes first. */
  sleep(delayMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(new DOMException('Sandbox closed', 'AbortError'));

        return;
      }
      const onAbort = (): void => {
        clearTimeout(timer);
        this.timers.delete(timer);
        reject(new DOMException('Sandbox closed', 'AbortError'));
      };
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.abort.signal.removeEventListener('abort', onAbort);
        resolve();
      }, delayMs);
      this.timers.add(timer);
      this.abort.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  close(): void {
    this.abort.abort();
    for (const timer of this.timers) {
      clearTimeout(timer);
    }
    this.timers.clear();
  }
}
