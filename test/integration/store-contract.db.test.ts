// Store contract on all three engines: SQLite temp file, PostgreSQL schema, MariaDB/MySQL database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { couponIdOf } from '../../src/model/coupon-id.js';
import { openStore } from '../../src/store/open-store.js';
import type { CouponStore, IssuedRow, StoreEngine } from '../../src/store/store.js';
import { isDataError } from '../../src/store/store-errors.js';
import { testDb, type TestDb } from './store-test-db.js';

const row = (templateId: number, seq: number, userId = seq * 10): IssuedRow => ({
  couponId: couponIdOf(templateId, seq),
  templateId,
  userId,
  seq,
  issuedAt: 1_700_000_000_000 + seq,
});

describe.each<StoreEngine>(['sqlite', 'postgres', 'mysql'])('%s store contract', (engine) => {
  let db: TestDb;
  let store: CouponStore;

  beforeAll(async () => {
    db = testDb(engine);
    store = await openStore(db.url, { poolSize: 2 });
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it('creates the schema idempotently and keeps templates insert-if-absent', async () => {
    const again = await openStore(db.url);
    await again.close();
    await store.upsertTemplate({ templateId: 1, name: 'one', stock: 10, createdAt: 1 });
    await store.upsertTemplate({ templateId: 1, name: 'changed', stock: 99, createdAt: 2 });
    await store.upsertTemplate({ templateId: 2, name: 'two', stock: 0, createdAt: 3 });
    expect(await store.getTemplate(1)).toEqual({ templateId: 1, name: 'one', stock: 10, createdAt: 1 });
    expect(await store.getTemplate(404)).toBeUndefined();
    expect((await store.listTemplates()).map((t) => t.templateId)).toEqual([1, 2]);
  });

  it('inserts a batch, counts only new rows, and ignores an identical redelivery', async () => {
    const batch = [row(1, 1), row(1, 2), row(1, 3)];
    expect(await store.insertIssued(batch)).toBe(3);
    expect(await store.insertIssued(batch)).toBe(0);
    // Partly new batch: only the new rows count.
    expect(await store.insertIssued([row(1, 3), row(1, 4)])).toBe(1);
    expect(await store.countIssued(1)).toBe(4);
    expect(await store.insertIssued([])).toBe(0);
  });

  it('rejects a second coupon for the same user (other coupon id) with a clear error, atomically', async () => {
    // user 10 already holds seq 1; seq 50 for the same user must fail, and so must the whole batch.
    const bad = [row(1, 5), row(1, 50, 10)];
    const err = await store.insertIssued(bad).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(isDataError(err)).toBe(true);
    expect(await store.countIssued(1)).toBe(4); // row 5 rolled back with its batch
  });

  it('rejects a second coupon with the same seq (other user) and a redelivered id carrying another row', async () => {
    const sameSeq = await store.insertIssued([{ ...row(1, 2, 777), couponId: 'other-id' }]).catch((e: unknown) => e);
    expect(isDataError(sameSeq)).toBe(true);
    const changed = await store.insertIssued([{ ...row(1, 2), userId: 999 }]).catch((e: unknown) => e);
    expect(changed).toMatchObject({ code: 'E_STORE_CONFLICT' });
    expect(await store.countIssued(1)).toBe(4);
  });

  it('scans rows ordered by seq in keyset batches, per template', async () => {
    const rows = Array.from({ length: 25 }, (_, i) => row(2, 25 - i)); // inserted in reverse order
    expect(await store.insertIssued(rows)).toBe(25);
    const batches: IssuedRow[][] = [];
    for await (const b of store.scanIssued(2, 10)) batches.push(b);
    expect(batches.map((b) => b.length)).toEqual([10, 10, 5]);
    const flat = batches.flat();
    expect(flat.map((r) => r.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(flat[0]).toEqual(row(2, 1));
    expect(await store.countIssued(2)).toBe(25);
    const none: IssuedRow[][] = [];
    for await (const b of store.scanIssued(3)) none.push(b);
    expect(none).toEqual([]);
  });

  it('keeps a large multi-row batch in one transaction', async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => row(3, i + 1));
    expect(await store.insertIssued(rows)).toBe(5000);
    expect(await store.insertIssued(rows)).toBe(0);
    expect(await store.countIssued(3)).toBe(5000);
  });

  it('truncates', async () => {
    await store.truncate();
    expect(await store.countIssued(1)).toBe(0);
    expect(await store.listTemplates()).toEqual([]);
  });
});
