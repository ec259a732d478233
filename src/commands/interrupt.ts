/** The signals that ask a command to stop: Ctrl-C, and what CI cancellation and `timeout` send. */
export const INTERRUPT_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** What `--help` says about interrupting a command that traps the signals. */
export const INTERRUPT_HELP =
  'Ctrl-C (SIGINT) or SIGTERM stops the load cleanly: report.json and the ledger are still written, marked\n' +
  'interrupted (harness invalid, exit 97), and anything started for the run is stopped. A second one quits at once.';

/** SIGINT and SIGTERM held for a command that can stop cleanly; see {@link trapInterrupts}. */
export interface InterruptTrap {
  /** aborted by the first signal; its `reason` is the signal's name (`'SIGINT'`, `'SIGTERM'`) */
  readonly signal: AbortSignal;
  /** give the signals back to their default (ending the process) */
  release(): void;
}

/**
 * Trap SIGINT and SIGTERM while a command that can stop cleanly runs (`run`, `demo`): the first
 * one aborts `signal`, so the command stops its load, still writes its report and ledger, stops
 * what it started, and returns (the run is marked interrupted: exit 97). A second one ends the
 * process at once, without a report, by that signal, exactly as if it had not been trapped (the
 * shell sees 130 or 143; a managed redis-server is stopped by its watchdog).
 */
export function trapInterrupts(proc: NodeJS.Process = process): InterruptTrap {
  const ctrl = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    if (!ctrl.signal.aborted) {
      ctrl.abort(sig);
      return;
    }
    release();
    proc.kill(proc.pid, sig);
  };
  function release(): void {
    for (const s of INTERRUPT_SIGNALS) proc.off(s, onSignal);
  }
  for (const s of INTERRUPT_SIGNALS) proc.on(s, onSignal);
  return { signal: ctrl.signal, release };
}
