import { CouponBenchError } from '../errors.js';

/** A batch holds a row that contradicts one already stored (same coupon id, other user or seq). */
export class StoreConflictError extends CouponBenchError {
  override name = 'StoreConflictError';
  constructor(message: string) {
    super('E_STORE_CONFLICT', message);
  }
}

/** The database could not be reached or refused the credentials (messages carry no stack or password). */
export class StoreConnectError extends CouponBenchError {
  override name = 'StoreConnectError';
  constructor(code: 'E_DB_UNREACHABLE' | 'E_DB_AUTH' | 'E_DB_NOT_FOUND' | 'E_DB_INIT', message: string, cause?: unknown) {
    super(code, message, 1, { cause });
  }
}

const SQLITE_DATA = /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/;
const MYSQL_DATA = new Set([
  'ER_DUP_ENTRY',
  'ER_BAD_NULL_ERROR',
  'ER_DATA_TOO_LONG',
  'ER_WARN_DATA_OUT_OF_RANGE',
  'ER_TRUNCATED_WRONG_VALUE_FOR_FIELD',
  'ER_CHECK_CONSTRAINT_VIOLATED',
  'ER_CONSTRAINT_FAILED',
]);

/**
 * True when an insert failed because of the rows themselves (constraint, bad value): retrying the
 * same rows can never succeed, so the persister isolates them and eventually dead-letters them.
 * Everything else (connection lost, timeouts, server restarting) is transient: retry, never drop.
 */
export function isDataError(err: unknown): boolean {
  if (err instanceof StoreConflictError) return true;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  // PostgreSQL SQLSTATE class 22 (data exception) and 23 (integrity constraint violation).
  if (/^2[23][0-9A-Z]{3}$/.test(code)) return true;
  return SQLITE_DATA.test(code) || MYSQL_DATA.has(code);
}

/** Short one-line description of a database error, without stacks. */
export function describeDbError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const msg = err.message || (err as AggregateError).errors?.map((e: Error) => e.message).join('; ') || err.name;
    return typeof code === 'string' && !msg.includes(code) ? `${code}: ${msg}` : msg;
  }
  return String(err);
}
