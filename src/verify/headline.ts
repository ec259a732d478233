import type { Outcome } from '../model/outcome.js';
import type { InvariantResult } from '../model/verdict.js';
import type { TemplateSnapshot } from './snapshot.js';
import { fmt } from './invariants/result.js';

/** Totals the headline is made of (summed over templates). */
export interface HeadlineTotals {
  /** coupons issued per the most durable store read (DB, else Redis, else 200s) */
  issued?: number;
  distinctUsers?: number;
  /** true when every source read agrees and equals the declared stock */
  exact: boolean;
  /** refusals and unknowns per outcome, when known */
  outcomes?: Record<Outcome, number>;
  /** issued per source, shown when they disagree */
  bySource: { redis?: number; db?: number; told200?: number };
}

/** Sum what the stores and the ledger say across templates. */
export function headlineTotals(snaps: readonly TemplateSnapshot[], reportOutcomes?: Record<Outcome, number>): HeadlineTotals {
  let issued: number | undefined;
  let distinct: number | undefined;
  let exact = snaps.length > 0;
  let outcomes: Record<Outcome, number> | undefined;
  const bySource: HeadlineTotals['bySource'] = {};
  const add = (k: keyof HeadlineTotals['bySource'], v: number | undefined): void => {
    if (v !== undefined) bySource[k] = (bySource[k] ?? 0) + v;
  };
  for (const s of snaps) {
    add('redis', s.redis?.users?.size);
    add('db', s.db?.rows);
    add('told200', s.ledger?.counts.issued);
    const sources: number[] = [];
    if (s.db) sources.push(s.db.rows);
    if (s.redis?.users) sources.push(s.redis.users.size);
    if (s.ledger) sources.push(s.ledger.counts.issued);
    const n = sources[0];
    if (n !== undefined) issued = (issued ?? 0) + n;
    const d = s.db?.users.size ?? s.redis?.users?.size ?? s.ledger?.issuedSeq.size;
    if (d !== undefined) distinct = (distinct ?? 0) + d;
    if (n === undefined || s.stock === undefined || sources.some((v) => v !== s.stock) || d !== n) exact = false;
    if (s.ledger) {
      outcomes ??= { issued: 0, sold_out: 0, duplicate: 0, not_found: 0, rejected: 0, unknown: 0 };
      for (const k of Object.keys(outcomes) as Outcome[]) outcomes[k] += s.ledger.counts[k];
    }
  }
  // An acked ledger holds no refusals: the report's counters are the only source of them.
  if (outcomes && reportOutcomes && snaps.every((s) => s.ledger?.mode !== 'full')) {
    outcomes = { ...outcomes, sold_out: reportOutcomes.sold_out, duplicate: reportOutcomes.duplicate, not_found: reportOutcomes.not_found, rejected: reportOutcomes.rejected };
  }
  return { issued, distinctUsers: distinct, exact, outcomes, bySource };
}

/** "exactly 10 issued to 10 distinct users; 9,719 refused: 9,627 sold out, 92 duplicate; 0 unknown" */
export function formatHeadline(t: HeadlineTotals, results: readonly InvariantResult[]): string {
  const parts: string[] = [];
  if (t.issued === undefined) parts.push('issued count unknown');
  else {
    let s = `${t.exact ? 'exactly ' : ''}${fmt(t.issued)} issued to ${fmt(t.distinctUsers ?? 0)} distinct user${t.distinctUsers === 1 ? '' : 's'}`;
    const src = t.bySource;
    const values = [src.redis, src.db, src.told200].filter((v) => v !== undefined);
    if (values.some((v) => v !== values[0])) {
      const named = [src.db !== undefined ? `DB ${fmt(src.db)}` : '', src.redis !== undefined ? `Redis ${fmt(src.redis)}` : '', src.told200 !== undefined ? `told 200: ${fmt(src.told200)}` : ''];
      s += ` (${named.filter(Boolean).join(', ')})`;
    }
    parts.push(s);
  }
  if (t.outcomes) {
    const o = t.outcomes;
    const refused = o.sold_out + o.duplicate + o.not_found + o.rejected;
    const split = [`${fmt(o.sold_out)} sold out`, `${fmt(o.duplicate)} duplicate`];
    if (o.not_found) split.push(`${fmt(o.not_found)} not found`);
    if (o.rejected) split.push(`${fmt(o.rejected)} rejected`);
    parts.push(`${fmt(refused)} refused: ${split.join(', ')}`);
    parts.push(`${fmt(o.unknown)} unknown`);
  }
  const failed = results.filter((r) => r.status === 'FAIL').map((r) => r.name);
  if (failed.length) parts.push(`FAILED: ${failed.join(', ')}`);
  else if (results.length > 0 && results.every((r) => r.status === 'SKIP' || r.status === 'N/A')) parts.push('nothing could be checked');
  return parts.join('; ');
}
