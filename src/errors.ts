/**
 * Typed errors with stable codes. Users and tests match on `code`; the CLI prints `message` alone
 * for these and a stack for anything else.
 */
export class CouponBenchError extends Error {
  override name = 'CouponBenchError';
  /** Stable machine-readable code, e.g. `E_USAGE`. */
  readonly code: string;
  /** Process exit code the CLI uses when this error escapes a command. */
  readonly exitCode: number;

  constructor(code: string, message: string, exitCode: number = ExitCode.UsageOrTool, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** Exit codes (contract). */
export const ExitCode = {
  Ok: 0,
  UsageOrTool: 1,
  HarnessInvalid: 97,
  ThresholdsFailed: 99,
  InvariantFailed: 100,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Bad flags, bad files, bad URLs: exit 1. */
export class UsageError extends CouponBenchError {
  override name = 'UsageError';
  constructor(message: string, code = 'E_USAGE') {
    super(code, message, ExitCode.UsageOrTool);
  }
}

/** The measurement itself cannot be trusted (target unreachable, nothing checked): exit 97. */
export class HarnessInvalidError extends CouponBenchError {
  override name = 'HarnessInvalidError';
  constructor(message: string, code = 'E_HARNESS_INVALID') {
    super(code, message, ExitCode.HarnessInvalid);
  }
}

/** A required external program is missing (e.g. redis-server not on PATH). */
export class MissingDependencyError extends CouponBenchError {
  override name = 'MissingDependencyError';
  constructor(message: string) {
    super('E_MISSING_DEPENDENCY', message, ExitCode.UsageOrTool);
  }
}
