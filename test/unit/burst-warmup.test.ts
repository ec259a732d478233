import { describe, expect, it } from 'vitest';
import { burstWarmupReason, openFileLimit } from '../../src/load/executors/burst-warmup.js';

describe('burst: connections not opened before the release', () => {
  it('none opened and no answer: the target is unreachable', () => {
    expect(burstWarmupReason(['ECONNREFUSED', 'ECONNREFUSED'], 2, 0, 1_000_000)).toBe('target unreachable: no connection could be opened (ECONNREFUSED)');
  });

  it('some (or all) failed but answers came: the burst was not simultaneous, never "unreachable"', () => {
    expect(burstWarmupReason(['CONNECTION_DESTROYED'], 3000, 2981, 1_000_000)).toBe(
      'burst: 1 of 3000 connections could not be opened before the release (CONNECTION_DESTROYED), so not every request left at once',
    );
    expect(burstWarmupReason(['SOCKET_CLOSED', 'x'], 2, 9197, undefined)).toMatch(/^burst: 2 of 2 connections/);
  });

  it('names the open-file limit when it is below the burst, or the error says so', () => {
    expect(burstWarmupReason(['CONNECTION_DESTROYED'], 3000, 10, 1500)).toMatch(/open-file limit \(ulimit -n: 1500\) is too low for 3000 connections/);
    expect(burstWarmupReason(['EMFILE'], 10, 5, undefined)).toMatch(/open-file limit \(ulimit -n\) is too low for 10 connections/);
    expect(burstWarmupReason(['ETIMEDOUT'], 10, 5, 1_000_000)).not.toMatch(/ulimit/);
  });

  it('reads this process\'s limit on Linux', () => {
    const limit = openFileLimit();
    if (process.platform === 'linux') expect(limit).toBeGreaterThan(0);
    else expect(limit).toBeUndefined();
  });
});
