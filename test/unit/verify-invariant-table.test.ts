import { describe, expect, it } from 'vitest';
import { INVARIANTS } from '../../src/model/verdict.js';
import { INVARIANT_CHECKS, runInvariant } from '../../src/verify/invariants/index.js';
import type { TemplateSnapshot } from '../../src/verify/snapshot.js';

describe('invariant table', () => {
  it('has one check per contract invariant, in the contract order', () => {
    expect(INVARIANT_CHECKS.map(([name]) => name)).toEqual([...INVARIANTS]);
    for (const [, check] of INVARIANT_CHECKS) expect(typeof check).toBe('function');
  });

  it('turns a check that throws into SKIP with the error, never PASS', () => {
    const r = runInvariant(
      'no-over-issue',
      () => {
        throw new Error('snapshot field missing');
      },
      {} as TemplateSnapshot,
    );
    expect(r.name).toBe('no-over-issue');
    expect(r.status).toBe('SKIP');
    expect(r.detail).toContain('snapshot field missing');
  });

  it('returns the check result when it does not throw', () => {
    const r = runInvariant('seq-contiguous', () => ({ name: 'seq-contiguous', status: 'FAIL', counts: { gaps: 1 }, examples: ['x'], detail: 'gap' }), {} as TemplateSnapshot);
    expect(r.status).toBe('FAIL');
    expect(r.counts).toEqual({ gaps: 1 });
  });
});
