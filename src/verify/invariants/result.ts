import type { InvariantName, InvariantResult } from '../../model/verdict.js';
import type { TemplateSnapshot } from '../snapshot.js';
import { couponLabel } from '../coupon-label.js';

/** Examples shown per invariant (contract: up to 5). */
export const MAX_EXAMPLES = 5;

/** An invariant: a pure function over one template's snapshots. */
export type Invariant = (s: TemplateSnapshot) => InvariantResult;

/** Collects up to {@link MAX_EXAMPLES} examples while counting every offence. */
export class Offences {
  count = 0;
  readonly examples: string[] = [];
  add(example: string): void {
    this.count++;
    if (this.examples.length < MAX_EXAMPLES) this.examples.push(example);
  }
  addAll(count: number, examples: readonly string[]): void {
    this.count += count;
    for (const e of examples) if (this.examples.length < MAX_EXAMPLES) this.examples.push(e);
  }
}

/** An invariant that could not be checked (never reported as passed). */
export function skip(name: InvariantName, detail: string, counts: Record<string, number> = {}): InvariantResult {
  return { name, status: 'SKIP', counts, examples: [], detail };
}

/** An invariant that does not apply to the target (e.g. no outbox on a foreign service): N/A, never PASS. */
export function notApplicable(name: InvariantName, detail: string, counts: Record<string, number> = {}): InvariantResult {
  return { name, status: 'N/A', counts, examples: [], detail };
}

/** PASS when there are no offences, else FAIL with the offences' examples. */
export function judge(
  name: InvariantName,
  offences: Offences,
  counts: Record<string, number>,
  passDetail: string,
  failDetail: string,
): InvariantResult {
  const failed = offences.count > 0;
  return {
    name,
    status: failed ? 'FAIL' : 'PASS',
    counts,
    examples: failed ? offences.examples : [],
    detail: failed ? failDetail : passDetail,
  };
}

/**
 * Who holds a coupon of the template: the database when it was read (the durable truth), else the
 * Redis users hash. Undefined when neither was read.
 */
export function holdings(s: TemplateSnapshot): Holdings | undefined {
  if (s.db) return { users: s.db.users, coupons: s.db.coupons, source: 'DB' };
  if (s.redis?.users) return { users: s.redis.users, source: 'Redis' };
  return undefined;
}

/** Who holds a coupon: user -> seq (0 unknown), and the opaque coupon ids when the store has them. */
export interface Holdings {
  users: Map<number, number>;
  coupons?: Map<number, string>;
  source: 'DB' | 'Redis';
}

/** `seq 3`, `coupon "A-7"` or `a coupon`: what a holder holds, for examples. */
export function heldLabel(h: Holdings, user: number): string {
  return couponLabel(h.users.get(user), h.coupons?.get(user));
}

/** Why no holder list is available, for SKIP details. */
export function holdingsMissing(s: TemplateSnapshot): string {
  return `no store to compare with (${s.dbMissing ?? 'no --db'}; ${s.redisMissing ?? 'no Redis users hash'})`;
}

/** `n` with thousands separators. */
export function fmt(n: number): string {
  return n.toLocaleString('en-US');
}
