/**
 * Where another team's service keeps its coupons: the flags `verify`, `run --verify` and `chaos`
 * share. Keys take `{template}` (or `{id}`) for the template id.
 */
export interface ForeignStoreFlags {
  /** SQL returning the columns user_id, coupon_id [, seq] [, issued_at] for a template placeholder */
  dbQuery?: string;
  /** Redis key holding the stock limit */
  redisStockKey?: string;
  /** Redis key holding the stock left (a counter that goes down): the limit is remaining + issued */
  redisRemainingKey?: string;
  /** Redis SET (members) or HASH (fields) of the users who hold a coupon */
  redisUsersKey?: string;
}

/** The foreign-store flags that were given (commander's camelCase keys). */
export function foreignFlagsOf(flags: ForeignStoreFlags): ForeignStoreFlags {
  const out: ForeignStoreFlags = {};
  for (const k of ['dbQuery', 'redisStockKey', 'redisRemainingKey', 'redisUsersKey'] as const) if (flags[k] !== undefined) out[k] = flags[k];
  return out;
}
