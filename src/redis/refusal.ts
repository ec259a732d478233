import { CouponBenchError, ExitCode } from '../errors.js';

/**
 * A Redis that answers but refuses the connection's own settings: a wrong user or password, or a
 * database index it does not have. Those are the flags' fault (exit 1, a code of their own), not
 * a Redis that is away: retrying never helps. Undefined for anything else.
 */
export function redisRefusal(where: string, message: string | undefined): CouponBenchError | undefined {
  if (message === undefined) return undefined;
  if (/WRONGPASS|NOAUTH|invalid (username-)?password|called without any password configured|NOPERM/i.test(message)) {
    return new CouponBenchError('E_REDIS_AUTH', `--redis: Redis at ${where} refused the login: ${message}`, ExitCode.UsageOrTool);
  }
  if (isMissingDatabase(message)) {
    return new CouponBenchError('E_BAD_REDIS_URL', `--redis: Redis at ${where} has no such database (the URL's /<index>): ${message}`, ExitCode.UsageOrTool);
  }
  return undefined;
}

/** Redis's reply to a SELECT of a database index it does not have. */
export function isMissingDatabase(message: string): boolean {
  return /DB index is out of range/i.test(message);
}
