import { describe, expect, it } from 'vitest';
import type { LedgerRecord } from '../../src/model/ledger-record.js';
import type { Outcome } from '../../src/model/outcome.js';
import type { InvariantResult } from '../../src/model/verdict.js';
import type { FaultBand } from '../../src/model/fault.js';
import { exerciseOf, mergeExercise, withExercise } from '../../src/verify/exercise.js';
import { applyFaultLosses } from '../../src/verify/fault-losses.js';
import { completeCommand } from '../../src/verify/complete-command.js';
import { emptyLedgerSnapshot, foldRecord } from '../../src/verify/read-ledger.js';
import { settleVerdict } from '../../src/verify/settle-verdict.js';
import type { LedgerSnapshot, TemplateSnapshot } from '../../src/verify/snapshot.js';

/** A record: outcome, user, send time (ms), latency (ms). */
type Req = [Outcome, number, number, number];

/** Fold records in answer order, as the ledger writer writes them. */
function ledgerOf(reqs: Req[], mode: 'full' | 'acked' = 'full'): LedgerSnapshot {
  const snap = emptyLedgerSnapshot(mode);
  const byAnswer = [...reqs].sort((a, b) => a[2] + a[3] - (b[2] + b[3]));
  let seq = 0;
  for (const [o, u, ts, latMs] of byAnswer) {
    const r: LedgerRecord = { o, tpl: 1, u, st: o === 'issued' ? 200 : 400, ts, lat: latMs * 1000, ...(o === 'issued' ? { seq: ++seq } : {}) };
    foldRecord(snap, r);
  }
  return snap;
}
function snapOf(reqs: Req[], stock = 2, mode: 'full' | 'acked' = 'full'): TemplateSnapshot {
  return { templateId: 1, stock, ledger: ledgerOf(reqs, mode) };
}
const pass = (name: InvariantResult['name']): InvariantResult => ({ name, status: 'PASS', counts: {}, examples: [], detail: 'held' });

describe('exercise: no-duplicate-user', () => {
  // Stock 2 sells out at t=20 (the last coupon's request is sent then); user 3 is refused after.
  const soldOut: Req[] = [
    ['issued', 1, 0, 5],
    ['issued', 2, 20, 5],
    ['sold_out', 3, 40, 5],
  ];
  it('is not exercised when every repeat came after the sell-out (the lucky seed-k6 run)', () => {
    const e = exerciseOf('no-duplicate-user', snapOf([...soldOut, ['sold_out', 1, 50, 5]]));
    expect(e).toMatchObject({ exercised: false, count: 0, why: 'no user asked twice before sell-out' });
  });
  it('counts a user who asked again after their coupon and before the last coupon went out', () => {
    const e = exerciseOf('no-duplicate-user', snapOf([...soldOut, ['duplicate', 1, 10, 3]]));
    expect(e).toMatchObject({ exercised: true, count: 1 });
  });
  it('a repeat answered after the last coupon was asked for does not count (stock may be gone)', () => {
    expect(exerciseOf('no-duplicate-user', snapOf([...soldOut, ['duplicate', 1, 10, 15]])).count).toBe(0);
  });
  it("counts requests concurrent with the user's own issued one, answered before or after it", () => {
    const after = exerciseOf('no-duplicate-user', snapOf([...soldOut, ['duplicate', 1, 2, 10]]));
    expect(after).toMatchObject({ exercised: true, count: 1 });
    const before = exerciseOf('no-duplicate-user', snapOf([...soldOut, ['duplicate', 1, -1, 3]]));
    expect(before).toMatchObject({ exercised: true, count: 1 });
  });
  it('a concurrent request answered after the last coupon was asked for does not count (it may have met no stock)', () => {
    expect(exerciseOf('no-duplicate-user', snapOf([...soldOut, ['duplicate', 2, 22, 10]])).count).toBe(0);
    expect(exerciseOf('no-duplicate-user', snapOf([...soldOut, ['duplicate', 1, 4, 26]])).count).toBe(0);
  });
  it('a request before the user was issued anything is not a repeat', () => {
    expect(exerciseOf('no-duplicate-user', snapOf([...soldOut, ['rejected', 2, 1, 2]])).count).toBe(0);
  });
  it('counts users, not requests', () => {
    const e = exerciseOf('no-duplicate-user', snapOf([...soldOut, ['duplicate', 1, 10, 1], ['duplicate', 1, 12, 1]]));
    expect(e.count).toBe(1);
  });
  it('when the stock never ran out, a repeat at any time counts', () => {
    const e = exerciseOf('no-duplicate-user', snapOf([['issued', 1, 0, 5], ['duplicate', 1, 100, 5]], 10));
    expect(e).toMatchObject({ exercised: true, count: 1 });
  });
  it('cannot tell from an acked ledger or from records without times', () => {
    expect(exerciseOf('no-duplicate-user', snapOf(soldOut, 2, 'acked'))).toMatchObject({ exercised: null });
    const l = emptyLedgerSnapshot('full');
    foldRecord(l, { o: 'issued', tpl: 1, u: 1 });
    expect(exerciseOf('no-duplicate-user', { templateId: 1, stock: 1, ledger: l })).toMatchObject({ exercised: null, why: 'the ledger records no request times' });
  });
});

describe('exercise: the other invariants', () => {
  it('no-over-issue and sold-out-exact need demand beyond the stock (sold-out answers)', () => {
    for (const name of ['no-over-issue', 'sold-out-exact'] as const) {
      expect(exerciseOf(name, snapOf([['issued', 1, 0, 5]]))).toMatchObject({ exercised: false, count: 0 });
      expect(exerciseOf(name, snapOf([['issued', 1, 0, 5], ['sold_out', 2, 1, 5], ['sold_out', 3, 1, 5]]))).toMatchObject({ exercised: true, count: 2 });
    }
  });
  it('an acked ledger knows sold-out answers only from the report counters', () => {
    const s = snapOf([['issued', 1, 0, 5]], 1, 'acked');
    expect(exerciseOf('no-over-issue', s).exercised).toBeNull();
    s.ledger!.counts.sold_out = 7;
    s.ledger!.refusalsFromReport = true;
    expect(exerciseOf('no-over-issue', s)).toMatchObject({ exercised: true, count: 7 });
  });
  it('no-lost-ack and the store invariants need acknowledged coupons', () => {
    for (const name of ['no-lost-ack', 'seq-contiguous', 'redis-db-match', 'outbox-drained', 'no-phantom'] as const) {
      expect(exerciseOf(name, snapOf([['sold_out', 1, 0, 5]], 0))).toMatchObject({ exercised: false, count: 0, why: 'no coupon was acknowledged' });
      expect(exerciseOf(name, snapOf([['issued', 1, 0, 5], ['issued', 2, 0, 5]]))).toMatchObject({ exercised: true, count: 2 });
    }
  });
  it('no-lied-refusal and unknown-bounded need users only ever refused', () => {
    for (const name of ['no-lied-refusal', 'unknown-bounded'] as const) {
      // user 1 was refused but also issued: a coupon of theirs is explained, so it proves nothing
      expect(exerciseOf(name, snapOf([['issued', 1, 0, 5], ['duplicate', 1, 10, 5]]))).toMatchObject({ exercised: false, count: 0 });
      expect(exerciseOf(name, snapOf([['issued', 1, 0, 5], ['sold_out', 2, 10, 5], ['unknown', 3, 10, 5]]))).toMatchObject({ exercised: true, count: 1 });
    }
  });
  it('without a ledger every exercise is unknown, never claimed either way', () => {
    expect(exerciseOf('no-over-issue', { templateId: 1, stock: 1 })).toEqual({ exercised: null, of: 'the ledger', why: 'no ledger' });
  });
  it('a FAIL was exercised; a SKIP carries no exercise', () => {
    const s = snapOf([['issued', 1, 0, 5]]);
    expect(withExercise({ ...pass('no-over-issue'), status: 'FAIL' }, s)).toMatchObject({ exercised: true });
    expect(withExercise({ ...pass('no-over-issue'), status: 'SKIP' }, s).exercised).toBeUndefined();
    expect(withExercise(pass('no-over-issue'), s)).toMatchObject({ exercised: false, exercise: { count: 0 } });
  });
  it('a PASS a fault turns into a FAIL (data lost) was exercised', () => {
    const inv = [{ ...pass('no-lost-ack'), exercised: false, exercise: { count: 0, of: 'coupons acknowledged (200)', why: 'no coupon was acknowledged' } }];
    applyFaultLosses(inv, [{ spec: 'restart-redis@1s', startMs: 1000, dataLost: 'Redis came back empty' } as FaultBand]);
    expect(inv[0]).toMatchObject({ status: 'FAIL', exercised: true, exercise: { count: 0, of: 'coupons acknowledged (200)' } });
    expect(inv[0]!.exercise.why).toBeUndefined();
  });
  it('over several templates a PASS is exercised only when every template was', () => {
    const yes = { ...pass('no-lost-ack'), exercised: true, exercise: { count: 3, of: 'x' } };
    const no = { ...pass('no-lost-ack'), exercised: false, exercise: { count: 0, of: 'x', why: 'none' } };
    expect(mergeExercise([yes, no])).toEqual({ exercised: false, exercise: { count: 3, of: 'x', why: 'none' } });
    expect(mergeExercise([yes, yes])).toEqual({ exercised: true, exercise: { count: 6, of: 'x' } });
  });
});

describe('settleVerdict', () => {
  const judged = (n: number, extra: Partial<InvariantResult> = {}): InvariantResult[] =>
    Array.from({ length: 10 }, (_, i) => ({ ...pass('no-over-issue'), exercised: true, ...(i < n ? extra : { status: 'SKIP' as const }) }));
  it('fewer than half judged is PARTIAL, exit 0; --strict makes it 97', () => {
    const s = settleVerdict({ invariants: judged(4), strict: false, headline: 'h' });
    expect(s).toMatchObject({ exitCode: 0, partial: { judged: 4, of: 10 } });
    expect(settleVerdict({ invariants: judged(4), strict: true, headline: 'h' })).toMatchObject({ exitCode: 97, strictRefused: true });
    expect(settleVerdict({ invariants: judged(5), strict: false, headline: 'h' }).partial).toBeUndefined();
  });
  it('a FAIL is never PARTIAL', () => {
    const s = settleVerdict({ invariants: judged(1, { status: 'FAIL' }), strict: false, headline: 'h' });
    expect(s.exitCode).toBe(100);
    expect(s.partial).toBeUndefined();
  });
  it('an invariant that is neither judged nor skipped (does not apply) is left out of the share', () => {
    const inv = judged(4).map((i, k) => (k >= 4 && k < 8 ? { ...i, status: 'N/A' as unknown as 'SKIP' } : i));
    expect(settleVerdict({ invariants: inv, strict: false, headline: 'h' }).partial).toBeUndefined();
  });
  it('a PASS not exercised is named in the headline and refused by --strict', () => {
    const inv = Array.from({ length: 10 }, () => ({ ...pass('no-lost-ack'), exercised: true }));
    inv[1] = { ...pass('no-duplicate-user'), exercised: false, exercise: { count: 0, of: 'users', why: 'no user asked twice before sell-out' } };
    const s = settleVerdict({ invariants: inv, strict: false, headline: 'h' });
    expect(s).toMatchObject({ exitCode: 0, notExercised: ['no-duplicate-user'], strictRefused: false });
    expect(s.headline).toBe('h; no-duplicate-user: PASS, not exercised (no user asked twice before sell-out)');
    const strict = settleVerdict({ invariants: inv, strict: true, headline: 'h' });
    expect(strict.exitCode).toBe(97);
    expect(strict.headline).toMatch(/\(--strict: exit 97\)$/);
  });
  it('exercise unknown is said once per reason, and --strict refuses it too', () => {
    const inv = Array.from({ length: 10 }, () => ({ ...pass('no-over-issue'), exercised: null, exercise: { of: 'the ledger', why: 'no ledger' } }));
    const s = settleVerdict({ invariants: inv, strict: false, headline: 'h' });
    expect(s.exitCode).toBe(0);
    expect(s.headline).toMatch(/; exercise unknown \(no ledger\): no-over-issue/);
    expect(settleVerdict({ invariants: inv, strict: true, headline: 'h' }).exitCode).toBe(97);
  });
});

describe('completeCommand', () => {
  const resolved = { redisExplicit: true, dbExplicit: false, foreign: {}, prefix: 'cb', templateIds: [1], stocks: new Map([[1, 10]]) };
  it('repeats a store URL the user gave only without a password, and names what was missing as placeholders', () => {
    const read = { ledger: false, redis: true, db: false, stockUnknown: [] };
    const withPassword = completeCommand({ ...resolved, redisUrl: 'redis://:hunter2@10.0.0.5:6379' }, read, { redisUrl: 'redis://:hunter2@10.0.0.5:6379' });
    expect(withPassword).toBe('coupon-bench verify --ledger <ledger.ndjson> --redis <redis-url> --db <db-url> --template 1:10');
    expect(withPassword).not.toContain('hunter2');
    const plainUrl = completeCommand({ ...resolved, redisUrl: 'redis://10.0.0.5:6379' }, read, { redisUrl: 'redis://10.0.0.5:6379' });
    expect(plainUrl).toContain('--redis redis://10.0.0.5:6379 --db <db-url>');
  });
  it('a run folder: its report, and the stores that are gone as placeholders', () => {
    const cmd = completeCommand({ ...resolved, reportPath: 'reports/my run/report.json' }, { ledger: true, redis: false, db: false, stockUnknown: [] }, {});
    expect(cmd).toBe("coupon-bench verify --report 'reports/my run/report.json' --redis <redis-url> --db <db-url>");
  });
});
