import { UsageError } from '../../errors.js';
import type { Scenario } from '../../model/scenario.js';

/** One generator's part of a split run: `index` (0-based) of `count`, and the VU slots of the widest part. */
export interface Shard {
  index: number;
  count: number;
  /** VU slots of the largest share: user-id stripes are sized by it, so shares of unequal size never overlap */
  slots: number;
}

/** `--shard 1/2` (1-based, as jest and playwright count): the first of two shares. */
export function parseShard(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const i = m ? Number(m[1]) : NaN;
  const n = m ? Number(m[2]) : NaN;
  if (!m || !Number.isSafeInteger(n) || n < 1 || n > 1000 || i < 1 || i > n) {
    throw new UsageError(`--shard ${text}: write it as i/n with 1 <= i <= n <= 1000, e.g. --shard 1/2`, 'E_USAGE');
  }
  return { index: i - 1, count: n };
}

/** Share `index` of `total` split `count` ways (the first `total % count` shares get one more). */
export function shareOf(total: number, index: number, count: number): number {
  return Math.floor(total / count) + (index < total % count ? 1 : 0);
}

/**
 * The scenario one shard runs: VUs, iterations and burst requests split into shares (which add up
 * to the whole), arrival rates divided; stock, users and thresholds stay the run's. User ids stay
 * disjoint across shards: every generator draws from its own stripe of the id space (sequential
 * ids by stride, random ones from independent streams).
 */
export function shardScenario(s: Scenario, index: number, count: number): { scenario: Scenario; shard: Shard } {
  if (count === 1) return { scenario: s, shard: { index: 0, count: 1, slots: slotsOf(s) } };
  const split = (v: number | undefined, field: string, min = 1): number | undefined => {
    if (v === undefined) return undefined;
    const share = shareOf(v, index, count);
    if (share < min) throw new UsageError(`--shard ${index + 1}/${count}: ${field} ${v} cannot be split ${count} ways (each share needs at least ${min})`, 'E_USAGE');
    return share;
  };
  const out: Scenario = { ...s };
  const set = <K extends keyof Scenario>(k: K, v: Scenario[K] | undefined): void => {
    if (v !== undefined) out[k] = v;
  };
  const open = s.executor === 'constant-arrival-rate' || s.executor === 'ramping-arrival-rate';
  set('vus', split(s.vus, s.executor === 'burst' ? 'requests (vus)' : 'vus'));
  set('iterations', split(s.iterations, 'iterations'));
  set('requests', split(s.requests, 'requests'));
  set('startVUs', split(s.startVUs, 'startVUs', 0));
  set('preAllocatedVUs', split(s.preAllocatedVUs, 'preAllocatedVUs'));
  set('maxVUs', split(s.maxVUs, 'maxVUs'));
  if (s.rate !== undefined) out.rate = s.rate / count;
  if (s.startRate !== undefined) out.startRate = s.startRate / count;
  if (s.stages) out.stages = s.stages.map((st) => ({ ...st, target: open ? st.target / count : shareOf(st.target, index, count) }));
  return { scenario: out, shard: { index, count, slots: slotsOf(s) === 0 ? 0 : Math.ceil(slotsOf(s) / count) } };
}

/** The VU slots a closed-model scenario allocates (its widest moment). */
function slotsOf(s: Scenario): number {
  if (s.executor === 'ramping-vus') return Math.max(s.startVUs ?? 0, ...(s.stages ?? []).map((st) => st.target), 1);
  return s.vus ?? 0;
}
