import type { RunReport } from '../model/report.js';
import type { RunEvent } from './run-input.js';

/**
 * A run's interruption (SIGINT, SIGTERM; the abort reason names the signal): before or during the
 * load it stops the load and marks the run interrupted; once the load is over the run is complete.
 */
export class RunControl {
  /** the executors' stop flag (also set by a failed abortOnFail threshold) */
  readonly stop = { requested: false };
  interrupted: RunReport['interrupted'];
  loadStarted = false;
  loadOver = false;

  private readonly onAbort = (): void => {
    const reason: unknown = this.signal?.reason;
    const signal = typeof reason === 'string' ? reason : 'abort';
    if (!this.loadOver) {
      this.interrupted = { signal, during: this.loadStarted ? 'load' : 'setup' };
      this.stop.requested = true;
    }
    this.emit({ type: 'interrupt', signal, stopping: !this.loadOver });
  };

  constructor(
    private readonly signal: AbortSignal | undefined,
    private readonly emit: (e: RunEvent) => void,
  ) {
    if (signal?.aborted) this.onAbort();
    else signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** The run is over: a signal no longer interrupts it. */
  close(): void {
    this.loadOver = true;
    this.signal?.removeEventListener('abort', this.onAbort);
  }
}
