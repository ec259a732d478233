import type { FaultBand } from '../model/fault.js';
import type { InvariantResult } from '../model/verdict.js';

/**
 * A fault the run saw destroy data (Redis restarted without its append-only file came back with
 * fewer coupons than it had acknowledged) fails `no-lost-ack`, even when the database happens to
 * hold every row: the issuing store lost what it confirmed, and the run knows it.
 */
export function applyFaultLosses(invariants: InvariantResult[], faults: readonly FaultBand[] | undefined): void {
  const losses = (faults ?? []).filter((f) => f.dataLost !== undefined);
  if (losses.length === 0) return;
  const inv = invariants.find((i) => i.name === 'no-lost-ack');
  if (!inv) return;
  const examples = losses.map((f) => `fault ${f.spec} at ${(f.startMs / 1000).toFixed(1)} s: ${f.dataLost as string}`);
  const wasFail = inv.status === 'FAIL';
  inv.status = 'FAIL';
  // A violation the run revealed was exercised, whatever the ledger alone says.
  inv.exercised = true;
  if (inv.exercise) delete inv.exercise.why;
  inv.examples = [...examples, ...inv.examples];
  inv.counts = { ...inv.counts, faultsLosingData: losses.length };
  inv.detail = wasFail ? `${inv.detail}; ${examples.length} fault(s) lost data` : `the run's faults lost acknowledged data (${losses.map((f) => f.spec).join(', ')})`;
}
