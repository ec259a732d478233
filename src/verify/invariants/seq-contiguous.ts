import type { InvariantResult } from '../../model/verdict.js';
import type { TemplateSnapshot } from '../snapshot.js';
import { Offences, judge, notApplicable, skip } from './result.js';

function isSorted(a: Float64Array): boolean {
  for (let i = 1; i < a.length; i++) if (a[i]! < a[i - 1]!) return false;
  return true;
}

/**
 * Check that `seqs` are exactly 1..n once each; offences are labelled with `where`. `owned` arrays
 * may be sorted in place; others are copied first (invariants never change their snapshots).
 */
function checkSeqs(where: string, input: Float64Array, off: Offences, owned = false): number {
  // Rows usually arrive in seq order already: skip the copy and the sort then.
  const seqs = isSorted(input) ? input : (owned ? input : Float64Array.from(input)).sort();
  let problems = 0;
  let expect = 1;
  for (let i = 0; i < seqs.length; i++) {
    const v = seqs[i]!;
    if (i > 0 && v === seqs[i - 1]) {
      problems++;
      off.add(`${where}: seq ${v} appears more than once`);
      continue;
    }
    if (v !== expect) {
      if (v > expect) {
        const missing = v - expect;
        problems += missing;
        off.add(missing === 1 ? `${where}: seq ${expect} missing` : `${where}: seqs ${expect}..${v - 1} missing`);
      } else {
        problems++;
        off.add(`${where}: seq ${v} out of range`);
        continue;
      }
    }
    expect = v + 1;
  }
  return problems;
}

/** `seq-contiguous`: DB seqs (and the Redis holders' seqs) are exactly 1..issued, no gaps, no repeats. */
export function seqContiguous(s: TemplateSnapshot): InvariantResult {
  const name = 'seq-contiguous';
  const counts: Record<string, number> = {};
  const off = new Offences();
  let judged = 0;
  if (s.db?.seqs) {
    judged++;
    counts.dbRows = s.db.seqs.length;
    counts.dbProblems = checkSeqs('DB', s.db.seqs, off);
  }
  if (s.redis?.users && s.redis.seq !== undefined) {
    judged++;
    counts.redisHolders = s.redis.users.size;
    counts.redisProblems = checkSeqs('Redis', Float64Array.from(s.redis.users.values()), off, true);
    if (s.redis.seq !== undefined && s.redis.seq !== s.redis.users.size) {
      counts.redisProblems++;
      off.add(`Redis: seq counter ${s.redis.seq} ≠ ${s.redis.users.size} holders`);
    }
  }
  if (judged === 0 && s.foreign) {
    return notApplicable(name, "another team's service: its coupons carry no seq (return a seq column from --db-query if it has one)");
  }
  if (judged === 0) {
    const why = s.db ? 'the DB query returned no seq (add a third column or use <template>-<seq> coupon ids)' : (s.dbMissing ?? 'no --db');
    return skip(name, `no seqs to check: ${why}`);
  }
  return judge(name, off, counts, 'seqs are exactly 1..issued', 'seqs have gaps or repeats');
}
