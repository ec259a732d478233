import { Prng, deriveSeed } from './prng.js';
import { UsageError } from '../errors.js';
import type { UserIdSpec } from '../model/scenario.js';

/** Produces the next user id for one worker. */
export type UserIdSource = () => number;

/**
 * Build the user-id source of worker `index` of `count`. Random generators get an independent
 * stream per worker (seeded from `seed`); `sequential` partitions the id space by stride, so
 * workers (VUs, processes or machines) never hand out the same id.
 */
export function createUserIdSource(spec: UserIdSpec, seed: number, index = 0, count = 1): UserIdSource {
  const rng = new Prng(deriveSeed(seed, index));
  switch (spec.type) {
    case 'uniform': {
      const { min, max } = spec;
      const span = max - min + 1;
      return () => min + Math.floor(rng.next() * span);
    }
    case 'sequential': {
      let next = (spec.start ?? 1) + index;
      return () => {
        const id = next;
        next += count;
        return id;
      };
    }
    case 'zipf':
      return zipfSource(spec.min ?? 1, spec.count, spec.exponent ?? 1.1, rng);
    case 'list': {
      const ids = spec.ids;
      if (ids.length === 0) throw new UsageError('users.ids: the list is empty');
      return () => ids[Math.floor(rng.next() * ids.length)] as number;
    }
  }
}

/** Zipf over `count` ranks (rank 1 hottest) by inverse CDF on a precomputed table. */
function zipfSource(min: number, count: number, exponent: number, rng: Prng): UserIdSource {
  const cdf = new Float64Array(count);
  let sum = 0;
  for (let k = 1; k <= count; k++) {
    sum += 1 / Math.pow(k, exponent);
    cdf[k - 1] = sum;
  }
  for (let i = 0; i < count; i++) cdf[i] = (cdf[i] as number) / sum;
  return () => {
    const r = rng.next();
    let lo = 0;
    let hi = count - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cdf[mid] as number) < r) lo = mid + 1;
      else hi = mid;
    }
    return min + lo;
  };
}
