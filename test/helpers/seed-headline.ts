import { expect } from 'vitest';
import type { Outcome } from '../../src/model/outcome.js';

/**
 * The origin's story in one line: the verdict headline says exactly 10 issued to 10 distinct users,
 * and its split of the refusals into sold out and duplicate matches what the run was told. What the
 * load did not exercise follows (seed-k6 sells out in milliseconds: nobody asks twice before that).
 */
export function expectSeedHeadline(headline: string, outcomes: Record<Outcome, number>): void {
  const m = /^exactly 10 issued to 10 distinct users; ([\d,]+) refused: ([\d,]+) sold out, ([\d,]+) duplicate; 0 unknown(?:; [a-z-]+: PASS, not exercised \([^)]*\))*$/.exec(headline);
  expect(m, headline).not.toBeNull();
  const n = (s: string): number => Number(s.replace(/,/g, ''));
  expect(n(m![2]!)).toBe(outcomes.sold_out);
  expect(n(m![3]!)).toBe(outcomes.duplicate);
  expect(n(m![1]!)).toBe(outcomes.sold_out + outcomes.duplicate);
}
