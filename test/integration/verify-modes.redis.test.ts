import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { createRedis, type RedisClient } from '../../src/redis/client.js';
import { PERSISTER_GROUP, templateKeys, templatesIndexKey } from '../../src/redis/keys.js';
import { openStore } from '../../src/store/open-store.js';
import type { LedgerRecord } from '../../src/model/ledger-record.js';
import type { VerdictJson } from '../../src/model/verdict.js';
import { verify } from '../../src/verify/verify.js';
import { startFixturePersister } from '../fixtures/flawed/fixture-persister.js';
import { REDIS_URL, deletePrefix, uniquePrefix } from '../helpers/env.js';

const status = (v: VerdictJson, name: string) => v.invariants.find((i) => i.name === name)!.status;
const byStatus = (v: VerdictJson, s: string) => v.invariants.filter((i) => i.status === s).map((i) => i.name);

let redis: RedisClient;
const prefixes: string[] = [];
const dirs: string[] = [];
beforeAll(() => {
  redis = createRedis(REDIS_URL, { role: 'worker' });
});
afterAll(async () => {
  for (const p of prefixes) await deletePrefix(REDIS_URL, p);
  redis.disconnect();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'verify-modes-'));
  dirs.push(d);
  return d;
}

function ledgerLines(records: LedgerRecord[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n') + '\n';
}
/**
 * Send times of the fixture's requests, explicit and strictly increasing: one a millisecond from a
 * fixed start, in the order the records are built, each answered 0.9 ms after it was sent (`lat`
 * 900 µs). No two requests overlap: each was answered before the next was sent. (`Date.now()` would
 * stamp several in one millisecond, and a repeat answered 0.9 ms after the last coupon's request was
 * sent may have met no stock: the duplicate check would not be exercised, by the product's rule.)
 */
const FIRST_SEND_MS = Date.UTC(2026, 0, 1);
let sent = 0;
const nextSendMs = (): number => FIRST_SEND_MS + sent++;
const rec = (o: LedgerRecord['o'], u: number, seq?: number): LedgerRecord => ({
  o,
  tpl: 1,
  u,
  st: o === 'issued' ? 200 : o === 'unknown' ? 0 : 400,
  ts: nextSendMs(),
  lat: 900,
  ...(seq ? { seq, c: `1-${seq}` } : {}),
});

/** Issue coupons to `users` with the real script; persist them unless `persist` is false. */
async function seedStores(stock: number, users: number[], persist = true): Promise<{ prefix: string; dbUrl: string; dir: string; ledger: LedgerRecord[] }> {
  const prefix = uniquePrefix('vmodes');
  prefixes.push(prefix);
  const dir = tmp();
  const dbUrl = `sqlite:${join(dir, 'coupons.sqlite')}`;
  const k = templateKeys(prefix, 1);
  await redis.createTemplate(k.stock, k.seq, k.users, k.outbox, stock, PERSISTER_GROUP);
  await redis.sadd(templatesIndexKey(prefix), 1);
  const store = await openStore(dbUrl);
  await store.upsertTemplate({ templateId: 1, name: 't', stock, createdAt: Date.now() });
  const ledger: LedgerRecord[] = [];
  for (const u of users) {
    const [code, seq] = await redis.issue(k.stock, k.seq, k.users, k.outbox, u, 1);
    ledger.push(code === 1 ? rec('issued', u, seq) : rec(code === 2 ? 'duplicate' : 'sold_out', u));
  }
  if (persist) {
    const blocking = createRedis(REDIS_URL, { role: 'worker' });
    const p = startFixturePersister(blocking, store, [k.outbox], 'correct');
    for (let i = 0; i < 100 && (await redis.xlen(k.outbox)) > 0; i++) await new Promise((r) => setTimeout(r, 20));
    await p.stop();
    blocking.disconnect();
  }
  await store.close();
  return { prefix, dbUrl, dir, ledger };
}

describe('bundled stores through a report', () => {
  it('reads stores, templates and the ledger from report.json, and finds the latest run without flags', async () => {
    // User 1 asks again after their coupon, and is answered before user 3's request takes the last one.
    const { prefix, dbUrl, ledger } = await seedStores(3, [1, 2, 1, 3, 4, 5]);
    const reports = tmp();
    const write = (runId: string, mtime: number, records = ledger): string => {
      const runDir = join(reports, runId);
      mkdirSync(runDir);
      writeFileSync(join(runDir, 'ledger.ndjson'), ledgerLines(records));
      const report = {
        runId,
        templates: [{ templateId: 1, stock: 3 }],
        stores: { redis: REDIS_URL, db: dbUrl, prefix },
        ledger: { file: 'ledger.ndjson', records: records.length, mode: 'full' },
        metrics: { http_reqs: { count: records.length, rate: 1 } },
        outcomes: { issued: 3, sold_out: 2, duplicate: 1, not_found: 0, rejected: 0, unknown: 0 },
      };
      const path = join(runDir, 'report.json');
      writeFileSync(path, JSON.stringify(report));
      utimesSync(path, mtime, mtime);
      return path;
    };
    const older = write('run-old', Date.now() / 1000 - 100, [rec('issued', 9, 1), rec('issued', 9, 2)]);
    const latest = write('run-new', Date.now() / 1000);

    const v = await verify({ reportPath: latest, drainTimeoutMs: 1000 });
    expect(v.headline).toBe('exactly 3 issued to 3 distinct users; 3 refused: 2 sold out, 1 duplicate; 0 unknown');
    expect(byStatus(v, 'FAIL')).toEqual([]);
    expect(byStatus(v, 'SKIP')).toEqual([]);
    expect(v.invariants.find((i) => i.name === 'no-duplicate-user')).toMatchObject({ exercised: true, exercise: { count: 1 } });
    expect(v.exitCode).toBe(0);
    expect(v.sources?.ledger).toContain('(full)');

    const auto = await verify({ reportsDir: reports, drainTimeoutMs: 1000 });
    expect(auto.sources?.report).toBe(latest);
    expect(auto.exitCode).toBe(0);
    // The older run's ledger claims two 200s for user 9: judged on its own it fails.
    const old = await verify({ reportPath: older, drainTimeoutMs: 1000 });
    expect(old.exitCode).toBe(100);
    expect(status(old, 'no-duplicate-user')).toBe('FAIL');
  });

  it('a run whose Redis is gone: RedisClient invariants SKIP with the reason, the rest is judged', async () => {
    const { dbUrl, ledger } = await seedStores(3, [1, 2, 3]);
    const runDir = tmp();
    writeFileSync(join(runDir, 'ledger.ndjson'), ledgerLines(ledger));
    writeFileSync(
      join(runDir, 'report.json'),
      JSON.stringify({ templates: [{ templateId: 1, stock: 3 }], stores: { redis: 'redis://127.0.0.1:1', db: dbUrl, prefix: 'cb' }, ledger: { file: '/elsewhere/ledger.ndjson', records: 3, mode: 'acked' } }),
    );
    const v = await verify({ reportPath: join(runDir, 'report.json') });
    expect(status(v, 'redis-db-match')).toBe('SKIP');
    expect(v.invariants.find((i) => i.name === 'redis-db-match')!.detail).toContain('unreachable');
    expect(status(v, 'no-lost-ack')).toBe('PASS');
    expect(status(v, 'no-phantom')).toBe('SKIP');
    expect(v.exitCode).toBe(0);
  });

  it("stores the run's user named (source flags) must answer: unreachable is 97, never SKIPs and a pass", async () => {
    const { dbUrl, ledger } = await seedStores(3, [1, 2, 3]);
    const runDir = tmp();
    writeFileSync(join(runDir, 'ledger.ndjson'), ledgerLines(ledger));
    const write = (source: 'flags' | 'serve'): string => {
      const path = join(runDir, `report-${source}.json`);
      const stores = { redis: 'redis://127.0.0.1:1', db: dbUrl, prefix: 'cb', source };
      writeFileSync(path, JSON.stringify({ templates: [{ templateId: 1, stock: 3 }], stores, ledger: { file: 'ledger.ndjson', records: 3, mode: 'acked' } }));
      return path;
    };
    const named = write('flags');
    await expect(verify({ reportPath: named })).rejects.toMatchObject({ code: 'E_REDIS_UNREACHABLE', exitCode: 97 });
    // a run's own server's stores are gone after it: skipped with the reason, as before...
    const served = write('serve');
    expect((await verify({ reportPath: served })).exitCode).toBe(0);
    // ...but not while run --verify audits them (they must be up then)
    await expect(verify({ reportPath: served, storesRequired: true })).rejects.toMatchObject({ code: 'E_REDIS_UNREACHABLE', exitCode: 97 });
    // a flag replaces the report's store
    expect((await verify({ reportPath: named, redisUrl: REDIS_URL, prefix: uniquePrefix('none') })).exitCode).not.toBe(97);
  });
});

describe('a wrong --prefix or template id', () => {
  it('coupons confirmed to clients for a template the stores do not have: no-lost-ack FAILS (100) with a hint, never SKIP and a pass', async () => {
    const { prefix, dbUrl, dir, ledger } = await seedStores(10, [1, 2, 3, 4, 5]);
    const ledgerPath = join(dir, 'ledger.ndjson');
    writeFileSync(ledgerPath, ledgerLines(ledger));
    const base = { ledgerPath, redisUrl: REDIS_URL, templateIds: [1], stocks: { 1: 10 }, drainTimeoutMs: 200 };
    const wrong = await verify({ ...base, prefix: 'wrongprefix' });
    expect(wrong.exitCode).toBe(100);
    const lost = wrong.invariants.find((i) => i.name === 'no-lost-ack')!;
    expect(lost.status).toBe('FAIL');
    expect(lost.detail).toBe('5 coupon(s) were confirmed to clients, but template 1 is not in Redis under prefix "wrongprefix": wrong --prefix or template id?');
    // a template id the stores do not know either, with the database read too
    writeFileSync(ledgerPath, ledgerLines(ledger.map((r) => ({ ...r, tpl: 7 }))));
    const other = await verify({ ...base, prefix, dbUrl, templateIds: [7], stocks: { 7: 10 } });
    expect(other.exitCode).toBe(100);
    expect(other.invariants.find((i) => i.name === 'no-lost-ack')!.detail).toMatch(/template 7 is not in the database .*coupons\.sqlite: wrong --db or template id\?/);
    // the right prefix and template pass
    writeFileSync(ledgerPath, ledgerLines(ledger));
    const right = await verify({ ...base, prefix, dbUrl });
    expect(status(right, 'no-lost-ack')).toBe('PASS');
    expect(right.exitCode).toBe(0);
  });
});

describe('--drain-timeout', () => {
  it('stores without a ledger: what held is PASS with "exercise unknown (no ledger)", never claimed either way; --strict is 97', async () => {
    const { prefix, dbUrl } = await seedStores(5, [1, 2, 3]);
    const v = await verify({ redisUrl: REDIS_URL, dbUrl, prefix, templateIds: [1], drainTimeoutMs: 2000 });
    const passed = v.invariants.filter((i) => i.status === 'PASS');
    expect(passed.map((i) => i.name)).toContain('no-over-issue');
    for (const i of passed) expect(i, i.name).toMatchObject({ exercised: null, exercise: { why: 'no ledger' } });
    expect(v.exitCode).toBe(0);
    expect(v.headline).toContain(`exercise unknown (no ledger): ${passed.map((i) => i.name).join(', ')}`);
    const strict = await verify({ redisUrl: REDIS_URL, dbUrl, prefix, templateIds: [1], drainTimeoutMs: 2000, strict: true });
    expect(strict.exitCode).toBe(97);
  });

  it('fails outbox-drained when nothing persists within the timeout', async () => {
    const { prefix, dbUrl } = await seedStores(5, [1, 2, 3], false);
    const t0 = Date.now();
    const v = await verify({ redisUrl: REDIS_URL, dbUrl, prefix, templateIds: [1], drainTimeoutMs: 300 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    const o = v.invariants.find((i) => i.name === 'outbox-drained')!;
    expect(o.status).toBe('FAIL');
    expect(o.counts.length).toBe(3);
    expect(status(v, 'redis-db-match')).toBe('FAIL');
    expect(v.exitCode).toBe(100);
  });

  it('an outbox read and acknowledged but not trimmed (XACK without XDEL) counts as drained; a pending one does not', async () => {
    const { prefix, dbUrl } = await seedStores(10, [1, 2, 3]);
    const k = templateKeys(prefix, 1);
    // Three more entries: two read and acknowledged but kept, one read and left pending.
    for (const u of [7, 8, 9]) await redis.issue(k.stock, k.seq, k.users, k.outbox, u, 1);
    const read = (await redis.xreadgroup('GROUP', PERSISTER_GROUP, 'c', 'COUNT', 3, 'STREAMS', k.outbox, '>')) as Array<[string, Array<[string, string[]]>]>;
    const ids = read[0]![1].map(([id]) => id);
    await redis.xack(k.outbox, PERSISTER_GROUP, ids[0]!, ids[1]!);
    const v = await verify({ redisUrl: REDIS_URL, dbUrl, prefix, templateIds: [1], drainTimeoutMs: 200 });
    const o = v.invariants.find((i) => i.name === 'outbox-drained')!;
    expect(o.status).toBe('FAIL');
    expect(o.counts).toMatchObject({ length: 3, unread: 0, pending: 1 });
    await redis.xack(k.outbox, PERSISTER_GROUP, ids[2]!);
    const v2 = await verify({ redisUrl: REDIS_URL, dbUrl, prefix, templateIds: [1], drainTimeoutMs: 200 });
    expect(v2.invariants.find((i) => i.name === 'outbox-drained')!.status).toBe('PASS');
    // The DB never got those three rows: the other invariants still say so.
    expect(status(v2, 'redis-db-match')).toBe('FAIL');
  });

  it('waits for a persister that catches up, then passes', async () => {
    const { prefix, dbUrl } = await seedStores(5, [1, 2, 3], false);
    const store = await openStore(dbUrl);
    const blocking = createRedis(REDIS_URL, { role: 'worker' });
    let persister: ReturnType<typeof startFixturePersister> | undefined;
    const timer = setTimeout(() => (persister = startFixturePersister(blocking, store, [templateKeys(prefix, 1).outbox], 'correct')), 400);
    try {
      const v = await verify({ redisUrl: REDIS_URL, dbUrl, prefix, templateIds: [1], drainTimeoutMs: 5000 });
      expect(byStatus(v, 'FAIL')).toEqual([]);
      expect(Number(v.sources?.drainWaitMs)).toBeGreaterThanOrEqual(300);
      expect(v.exitCode).toBe(0);
    } finally {
      clearTimeout(timer);
      await persister?.stop();
      blocking.disconnect();
      await store.close();
    }
  });
});

describe('ledger alone', () => {
  it('proves 200s ≤ stock and one 200 per user; everything else is SKIP, never PASS', async () => {
    const dir = tmp();
    const path = join(dir, 'ledger.ndjson');
    writeFileSync(path, ledgerLines([rec('issued', 1, 1), rec('issued', 2, 2), rec('sold_out', 3), rec('duplicate', 1, 0)]));
    const v = await verify({ ledgerPath: path, templateIds: [1], stocks: { 1: 2 } });
    expect(byStatus(v, 'PASS').sort()).toEqual(['no-duplicate-user', 'no-over-issue']);
    expect(v.exitCode).toBe(0);
    for (const i of v.invariants.filter((x) => x.status === 'SKIP')) expect(i.detail.length).toBeGreaterThan(10);

    writeFileSync(path, ledgerLines([rec('issued', 1, 1), rec('issued', 1, 2), rec('issued', 3, 3)]));
    const bad = await verify({ ledgerPath: path, templateIds: [1], stocks: { 1: 2 } });
    expect(byStatus(bad, 'FAIL').sort()).toEqual(['no-duplicate-user', 'no-over-issue']);
    expect(bad.exitCode).toBe(100);
  });

  it('zero requests is 97, never a pass', async () => {
    const path = join(tmp(), 'ledger.ndjson');
    writeFileSync(path, '');
    const v = await verify({ ledgerPath: path, templateIds: [1], stocks: { 1: 2 } });
    expect(v.exitCode).toBe(97);
    expect(v.ok).toBe(false);
    expect(v.headline).toMatch(/^zero requests checked/);
  });
});

describe("another team's stores (--db-query, --redis-stock-key)", () => {
  it('judges their table and stock key; flags a member holding two vouchers', async () => {
    const dir = tmp();
    const dbPath = join(dir, 'shop.sqlite');
    const db = new Database(dbPath);
    db.exec('CREATE TABLE grants (member_id INTEGER, voucher_code TEXT, event INTEGER)');
    const ins = db.prepare('INSERT INTO grants VALUES (?, ?, ?)');
    for (const [u, c] of [[11, 'A1'], [12, 'B7'], [13, 'C3']] as const) ins.run(u, c, 42);
    ins.run(99, 'X', 43);
    db.close();
    const prefix = uniquePrefix('vteam');
    prefixes.push(prefix);
    await redis.set(`${prefix}:stock:42`, 3);
    const ledgerPath = join(dir, 'ledger.ndjson');
    const r42 = (o: LedgerRecord['o'], u: number): LedgerRecord => ({ ...rec(o, u), tpl: 42 });
    writeFileSync(ledgerPath, ledgerLines([r42('issued', 11), r42('issued', 12), r42('issued', 13), r42('sold_out', 14)]));
    const input = {
      ledgerPath,
      dbUrl: `sqlite:${dbPath}`,
      dbQuery: 'SELECT member_id AS user_id, voucher_code AS coupon_id FROM grants WHERE event = :template',
      redisUrl: REDIS_URL,
      redisStockKey: `${prefix}:stock:{template}`,
      templateIds: [42],
    };
    const v = await verify(input);
    expect(v.exitCode).toBe(0);
    expect(status(v, 'no-over-issue')).toBe('PASS');
    expect(v.invariants.find((i) => i.name === 'no-over-issue')!.counts).toMatchObject({ stock: 3, dbRows: 3, ledgerIssued: 3 });
    expect(status(v, 'redis-db-match')).toBe('SKIP');
    expect(status(v, 'seq-contiguous')).toBe('N/A');
    expect(status(v, 'outbox-drained')).toBe('N/A');
    expect(v.notChecked).not.toContain('outbox-drained');
    expect(status(v, 'no-lied-refusal')).toBe('PASS');

    const db2 = new Database(dbPath);
    db2.prepare('INSERT INTO grants VALUES (?, ?, ?)').run(12, 'B8', 42);
    db2.close();
    const bad = await verify(input);
    expect(bad.exitCode).toBe(100);
    expect(byStatus(bad, 'FAIL')).toContain('no-duplicate-user');
    expect(byStatus(bad, 'FAIL')).toContain('no-over-issue');
    expect(bad.invariants.find((i) => i.name === 'no-duplicate-user')!.examples[0]).toContain('user 12');
  });
});
