/**
 * Subcommand actions return their exit code instead of setting it; `cli.ts` is the only place
 * that sets `process.exitCode`.
 */
let lastExitCode = 0;

/** Wrap an action so its returned exit code reaches `cli.ts`. */
export function withExitCode<A extends unknown[]>(fn: (...args: A) => Promise<number | void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    lastExitCode = (await fn(...args)) ?? 0;
  };
}

/** The exit code the last action returned. */
export function actionExitCode(): number {
  return lastExitCode;
}
