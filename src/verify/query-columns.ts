import { CouponBenchError } from '../errors.js';

/** Where each column `--db-query` needs sits in a row. */
export interface QueryColumns {
  user: number;
  coupon: number;
  seq?: number;
  issuedAt?: number;
}

const REQUIRED = ['user_id', 'coupon_id'] as const;
const OPTIONAL = ['seq', 'issued_at'] as const;

/**
 * Find the columns of a `--db-query` by name (case-insensitive): `user_id` and `coupon_id`, and
 * optionally `seq` and `issued_at`; other columns are ignored. Missing, unnamed or repeated ones are
 * `E_DB_QUERY` before any row is judged: a query read by position would judge swapped columns.
 */
export function resolveQueryColumns(names: readonly string[]): QueryColumns {
  const at = new Map<string, number>();
  const repeated = new Set<string>();
  names.forEach((raw, i) => {
    const n = raw.toLowerCase();
    if (at.has(n)) repeated.add(n);
    else at.set(n, i);
  });
  const wanted = [...REQUIRED, ...OPTIONAL].filter((n) => repeated.has(n));
  const shown = names.length ? names.map((n) => n || '(unnamed)').join(', ') : 'none';
  if (wanted.length) throw queryError(`column ${wanted.join(', ')} appears more than once (columns: ${shown})`);
  const missing = REQUIRED.filter((n) => !at.has(n));
  if (missing.length) {
    throw queryError(`the query returns the columns ${shown}; it needs ${missing.join(' and ')} (name them with AS, e.g. SELECT member AS user_id, claim_code AS coupon_id …)`);
  }
  const cols: QueryColumns = { user: at.get('user_id')!, coupon: at.get('coupon_id')! };
  if (at.has('seq')) cols.seq = at.get('seq')!;
  if (at.has('issued_at')) cols.issuedAt = at.get('issued_at')!;
  return cols;
}

/** A `--db-query` error (exit 1). */
export function queryError(what: string): CouponBenchError {
  return new CouponBenchError('E_DB_QUERY', `--db-query: ${what}`);
}

/** epoch ms of an issued_at value (Date, number, or a date string); undefined when unreadable. */
export function issuedAtMs(v: unknown): number | undefined {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v.getTime();
  if (typeof v === 'number' || typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') {
    const n = Date.parse(v);
    return Number.isNaN(n) ? undefined : n;
  }
  return undefined;
}
