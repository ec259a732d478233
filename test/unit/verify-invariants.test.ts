import { describe, expect, it } from 'vitest';
import type { LedgerRecord } from '../../src/model/ledger-record.js';
import type { Outcome } from '../../src/model/outcome.js';
import { foldRecord, emptyLedgerSnapshot } from '../../src/verify/read-ledger.js';
import { DbSnapshotBuilder } from '../../src/verify/db-snapshot-builder.js';
import type { LedgerSnapshot, RedisSnapshot, TemplateSnapshot } from '../../src/verify/snapshot.js';
import { noOverIssue } from '../../src/verify/invariants/no-over-issue.js';
import { noDuplicateUser } from '../../src/verify/invariants/no-duplicate-user.js';
import { seqContiguous } from '../../src/verify/invariants/seq-contiguous.js';
import { redisDbMatch } from '../../src/verify/invariants/redis-db-match.js';
import { outboxDrained } from '../../src/verify/invariants/outbox-drained.js';
import { noLostAck } from '../../src/verify/invariants/no-lost-ack.js';
import { noPhantom } from '../../src/verify/invariants/no-phantom.js';
import { noLiedRefusal } from '../../src/verify/invariants/no-lied-refusal.js';
import { soldOutExact } from '../../src/verify/invariants/sold-out-exact.js';
import { unknownBounded } from '../../src/verify/invariants/unknown-bounded.js';

/** Hand-made snapshots: holders as [user, seq] pairs; ledger as [outcome, user, seq?]. */
function redisOf(holders: Array<[number, number]>, seq = holders.length, outbox = { length: 0, pending: 0, undelivered: 0 }): RedisSnapshot {
  return { stock: 3, seq, users: new Map(holders), outbox: { ...outbox, groupExists: true, waitedMs: 0 } };
}
function dbOf(rows: Array<[number, number]>) {
  const b = new DbSnapshotBuilder('store');
  for (const [u, s] of rows) b.add(u, s);
  return b.build(3);
}
function ledgerOf(records: Array<[Outcome, number, number?]>, mode: 'full' | 'acked' = 'full'): LedgerSnapshot {
  const snap = emptyLedgerSnapshot(mode);
  for (const [o, u, seq] of records) {
    const r: LedgerRecord = { o, tpl: 1, u, st: o === 'issued' ? 200 : 400, ts: 0, lat: 0, ...(seq ? { seq, c: `1-${seq}` } : {}) };
    foldRecord(snap, r);
  }
  return snap;
}

const holders: Array<[number, number]> = [
  [10, 1],
  [20, 2],
  [30, 3],
];
const goodLedger: Array<[Outcome, number, number?]> = [
  ['issued', 10, 1],
  ['issued', 20, 2],
  ['issued', 30, 3],
  ['duplicate', 10],
  ['sold_out', 40],
];

/** A correct run: stock 3, three holders everywhere, one duplicate and one sold-out answer. */
function good(): TemplateSnapshot {
  return { templateId: 1, stock: 3, redis: redisOf(holders), db: dbOf(holders), ledger: ledgerOf(goodLedger) };
}

const ALL = [noOverIssue, noDuplicateUser, seqContiguous, redisDbMatch, outboxDrained, noLostAck, noPhantom, noLiedRefusal, soldOutExact, unknownBounded];

describe('invariants on a correct snapshot', () => {
  it('all pass', () => {
    for (const check of ALL) {
      const r = check(good());
      expect(r.status, `${r.name}: ${r.detail}`).toBe('PASS');
      expect(r.examples).toEqual([]);
    }
  });
  it('all skip with a reason when nothing is given, never pass', () => {
    for (const check of ALL) {
      const r = check({ templateId: 1 });
      expect(r.status).toBe('SKIP');
      expect(r.detail.length).toBeGreaterThan(5);
    }
  });
});

describe('no-over-issue', () => {
  it('fails when Redis, the DB or the ledger exceed the stock', () => {
    const four: Array<[number, number]> = [...holders, [40, 4]];
    const r = noOverIssue({ ...good(), redis: redisOf(four), db: dbOf(four) });
    expect(r.status).toBe('FAIL');
    expect(r.counts).toMatchObject({ stock: 3, redisIssued: 4, dbRows: 4 });
    expect(r.examples[0]).toContain('Redis: 4 issued > stock 3');
    const ledgerOnly = noOverIssue({ templateId: 1, stock: 2, ledger: ledgerOf(goodLedger) });
    expect(ledgerOnly.status).toBe('FAIL');
    expect(ledgerOnly.examples[0]).toContain('3 clients told 200 > stock 2');
  });
  it('skips without a stock', () => {
    expect(noOverIssue({ ...good(), stock: undefined }).status).toBe('SKIP');
  });
});

describe('no-duplicate-user', () => {
  it('fails on two 200s for one user in the ledger', () => {
    const r = noDuplicateUser({ templateId: 1, ledger: ledgerOf([...goodLedger, ['issued', 10, 4]]) });
    expect(r.status).toBe('FAIL');
    expect(r.counts.ledgerExtra200).toBe(1);
    expect(r.examples[0]).toContain('user 10');
  });
  it('fails on two DB rows for one user (another team\'s table without the constraint)', () => {
    const r = noDuplicateUser({ templateId: 1, db: dbOf([...holders, [10, 4]]) });
    expect(r.status).toBe('FAIL');
    expect(r.examples[0]).toContain('user 10: two DB rows');
  });
  it('fails when the Redis counter ran ahead of the holders (HSET overwrote a holder)', () => {
    const r = noDuplicateUser({ templateId: 1, redis: redisOf(holders, 4) });
    expect(r.status).toBe('FAIL');
    expect(r.counts.redisOverwritten).toBe(1);
  });
});

describe('seq-contiguous', () => {
  it('fails on a gap and on a repeat, naming them', () => {
    const r = seqContiguous({ templateId: 1, db: dbOf([[10, 1], [20, 3], [30, 3]]) });
    expect(r.status).toBe('FAIL');
    expect(r.examples).toEqual(['DB: seq 2 missing', 'DB: seq 3 appears more than once']);
  });
  it('checks the Redis holders and the counter too', () => {
    const r = seqContiguous({ templateId: 1, redis: redisOf([[10, 1], [20, 2]], 3) });
    expect(r.status).toBe('FAIL');
    expect(r.examples.join('\n')).toContain('seq counter 3 ≠ 2 holders');
  });
  it('skips when the DB query gave no seqs', () => {
    expect(seqContiguous({ templateId: 1, db: dbOf([[10, 0]]) }).status).toBe('SKIP');
  });
});

describe('redis-db-match', () => {
  it('fails on a row only in Redis, only in the DB, and a seq mismatch', () => {
    const r = redisDbMatch({ ...good(), db: dbOf([[10, 1], [20, 3], [50, 4]]) });
    expect(r.status).toBe('FAIL');
    expect(r.counts).toMatchObject({ onlyRedis: 1, onlyDb: 1, seqMismatch: 1 });
  });
  it('skips without Redis users (another team\'s Redis)', () => {
    expect(redisDbMatch({ ...good(), redis: { stock: 3 } }).status).toBe('SKIP');
  });
});

describe('outbox-drained', () => {
  it('fails with entries left or pending', () => {
    const r = outboxDrained({ ...good(), redis: redisOf(holders, 3, { length: 2, pending: 1, undelivered: 1 }) });
    expect(r.status).toBe('FAIL');
    expect(r.counts).toMatchObject({ length: 2, unread: 1, pending: 1 });
    expect(outboxDrained({ ...good(), redis: redisOf(holders, 3, { length: 0, pending: 1, undelivered: 0 }) }).status).toBe('FAIL');
  });
  it('passes for entries read and acknowledged but kept (a persister that does not XDEL)', () => {
    expect(outboxDrained({ ...good(), redis: redisOf(holders, 3, { length: 3, pending: 0, undelivered: 0 }) }).status).toBe('PASS');
  });
});

describe('no-lost-ack', () => {
  it('fails when a 200 has no DB row, or the DB holds another coupon', () => {
    const r = noLostAck({ ...good(), db: dbOf([[10, 1], [20, 3]]) });
    expect(r.status).toBe('FAIL');
    expect(r.counts).toMatchObject({ missing: 1, wrongCoupon: 1 });
    expect(r.examples.join('\n')).toContain('user 30: told 200 (seq 3), no DB row');
  });
  it('falls back to Redis holders without a DB', () => {
    const r = noLostAck({ ...good(), db: undefined });
    expect(r.status).toBe('PASS');
    expect(r.detail).toContain('Redis');
  });
  it('a store that was read and does not know the template loses every acknowledged coupon: FAIL with a hint, not SKIP', () => {
    const wrongPrefix: TemplateSnapshot = {
      ...good(),
      redis: undefined,
      db: undefined,
      redisMissing: 'template 1 not found in Redis under prefix "wrongprefix"',
      absentFrom: [{ store: 'redis', where: 'in Redis under prefix "wrongprefix"', flag: '--prefix' }],
    };
    const r = noLostAck(wrongPrefix);
    expect(r.status).toBe('FAIL');
    expect(r.counts).toEqual({ acked: 3, missing: 3 });
    expect(r.detail).toBe('3 coupon(s) were confirmed to clients, but template 1 is not in Redis under prefix "wrongprefix": wrong --prefix or template id?');
    expect(r.examples[0]).toBe('user 10: told 200 (seq 1), template unknown to the store');
    // nothing confirmed: nothing lost, and nothing to compare with
    expect(noLostAck({ ...wrongPrefix, ledger: ledgerOf([['sold_out', 40]]) }).status).toBe('SKIP');
    // a store that was not read at all is still a SKIP
    expect(noLostAck({ ...wrongPrefix, absentFrom: undefined }).status).toBe('SKIP');
  });
  it('a database that does not know the template: the missing rows name it', () => {
    const r = noLostAck({ ...good(), db: dbOf([]), absentFrom: [{ store: 'db', where: 'in the database /x.sqlite', flag: '--db' }] });
    expect(r.status).toBe('FAIL');
    expect(r.detail).toBe('clients were told 200 for coupons the DB does not hold (template 1 is not in the database /x.sqlite: wrong --db or template id?)');
  });
});

describe('no-phantom', () => {
  it('fails when a holder never asked', () => {
    const rows: Array<[number, number]> = [...holders.slice(0, 2), [99, 3]];
    const r = noPhantom({ ...good(), db: dbOf(rows) });
    expect(r.status).toBe('FAIL');
    expect(r.examples[0]).toContain('user 99');
  });
  it('skips with an acked ledger', () => {
    const r = noPhantom({ ...good(), ledger: ledgerOf(goodLedger.slice(0, 3), 'acked') });
    expect(r.status).toBe('SKIP');
    expect(r.detail).toContain('acked');
  });
});

describe('no-lied-refusal', () => {
  it('fails when a user only told sold out holds a coupon', () => {
    const ledger = ledgerOf([['issued', 10, 1], ['issued', 20, 2], ['sold_out', 30]]);
    const r = noLiedRefusal({ ...good(), ledger });
    expect(r.status).toBe('FAIL');
    expect(r.examples[0]).toBe('user 30: only ever refused, yet holds seq 3');
  });
  it('fails when a user told duplicate holds nothing', () => {
    const r = noLiedRefusal({ ...good(), ledger: ledgerOf([...goodLedger, ['duplicate', 77]]) });
    expect(r.status).toBe('FAIL');
    expect(r.counts.duplicateWithout).toBe(1);
  });
  it('a refusal after an unknown answer is explained', () => {
    const ledger = ledgerOf([['issued', 10, 1], ['issued', 20, 2], ['unknown', 30], ['duplicate', 30]]);
    expect(noLiedRefusal({ ...good(), ledger }).status).toBe('PASS');
  });
  it('skips with an acked ledger', () => {
    expect(noLiedRefusal({ ...good(), ledger: ledgerOf(goodLedger.slice(0, 3), 'acked') }).status).toBe('SKIP');
  });
});

describe('sold-out-exact', () => {
  it('fails when users were told sold out but stock is left', () => {
    const two: Array<[number, number]> = holders.slice(0, 2);
    const r = soldOutExact({ ...good(), db: dbOf(two), ledger: ledgerOf([['issued', 10, 1], ['issued', 20, 2], ['sold_out', 40]]) });
    expect(r.status).toBe('FAIL');
    expect(r.examples[0]).toContain('2 issued < stock 3');
  });
  it('skips when demand stayed below the stock', () => {
    const r = soldOutExact({ ...good(), stock: 10, ledger: ledgerOf(goodLedger.slice(0, 3)) });
    expect(r.status).toBe('SKIP');
  });
  it('does not count users whose only answers were unknown and who hold nothing as demand (they may never have reached the service)', () => {
    // stock 3, two issued, a third user only unknown (say, a refused connection), nobody told sold out
    const two: Array<[number, number]> = holders.slice(0, 2);
    const snap = { ...good(), redis: redisOf(two), db: dbOf(two) };
    const r = soldOutExact({ ...snap, ledger: ledgerOf([['issued', 10, 1], ['issued', 20, 2], ['unknown', 30]]) });
    expect(r.status, r.detail).toBe('SKIP');
    expect(r.counts).toMatchObject({ askers: 2, issued: 2 });
    // the same user told duplicate after the unknown did get an answer: demand reached the stock, and stock leaked
    const leaked = soldOutExact({ ...snap, ledger: ledgerOf([['issued', 10, 1], ['issued', 20, 2], ['unknown', 30], ['duplicate', 30]]) });
    expect(leaked.status).toBe('FAIL');
  });
});

describe('unknown-bounded', () => {
  it('passes when the extra coupon belongs to an unknown request', () => {
    const ledger = ledgerOf([['issued', 10, 1], ['issued', 20, 2], ['unknown', 30]]);
    const r = unknownBounded({ ...good(), ledger });
    expect(r.status).toBe('PASS');
    expect(r.counts).toMatchObject({ beyondAcked: 1, unknownRequests: 1, unexplained: 0 });
  });
  it('fails when a holder was neither told 200 nor left unknown', () => {
    const ledger = ledgerOf([['issued', 10, 1], ['issued', 20, 2]], 'acked');
    const r = unknownBounded({ ...good(), ledger });
    expect(r.status).toBe('FAIL');
    expect(r.examples[0]).toContain('user 30');
  });
});
