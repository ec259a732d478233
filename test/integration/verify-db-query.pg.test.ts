import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { readQueryTemplate } from '../../src/verify/read-db.js';
import { PG_URL } from '../helpers/env.js';

// Another team's PostgreSQL table, read through --db-query with each placeholder style.
const table = `vq_${randomUUID().slice(0, 8)}`;
const client = new pg.Client({ connectionString: PG_URL });

beforeAll(async () => {
  await client.connect();
  await client.query(`CREATE TABLE ${table} (member bigint, code text, event int, n int)`);
  await client.query(`INSERT INTO ${table} VALUES (1, '7-1', 7, 1), (2, '7-2', 7, 2), (2, '7-4', 7, 4), (3, 'x', 8, 1)`);
});
afterAll(async () => {
  await client.query(`DROP TABLE IF EXISTS ${table}`);
  await client.end();
});

describe('--db-query on PostgreSQL', () => {
  it('binds :template, ? and $1 and reads user, coupon and seq', async () => {
    for (const where of ['event = :template', 'event = ?', 'event = $1']) {
      const snap = await readQueryTemplate(PG_URL, `SELECT member AS user_id, code AS coupon_id, n AS seq FROM ${table} WHERE ${where}`, 7);
      expect(snap.rows).toBe(3);
      expect(snap.duplicateRows).toBe(1);
      expect(snap.duplicateExamples[0]).toBe('user 2: two DB rows (coupon "7-2" and coupon "7-4")');
      expect([...(snap.seqs ?? [])]).toEqual([1, 2, 4]);
    }
    // Without a seq column the coupon ids are opaque: `7-2` is not read as seq 2.
    const opaque = await readQueryTemplate(PG_URL, `SELECT code AS coupon_id, member AS user_id FROM ${table} WHERE event = $1`, 7);
    expect(opaque.seqs).toBeUndefined();
    expect(opaque.users.get(2)).toBe(0);
    expect(opaque.coupons?.get(2)).toBe('7-2');
    // Swapped or unnamed columns, or SELECT * with other names, are refused before any row is judged.
    for (const sql of [`SELECT * FROM ${table} WHERE event = $1`, `SELECT code, member FROM ${table} WHERE event = $1`, `SELECT member, code FROM ${table} WHERE event = $1 AND false`]) {
      await expect(readQueryTemplate(PG_URL, sql, 7)).rejects.toMatchObject({ code: 'E_DB_QUERY', message: expect.stringContaining('needs user_id and coupon_id') });
    }
    const withSeq = await readQueryTemplate(PG_URL, `SELECT member AS user_id, code AS coupon_id, n AS seq FROM ${table} WHERE event = :template`, 8);
    expect([...withSeq.users]).toEqual([[3, 1]]);
  });

  it('reads a result larger than one cursor batch completely, through several fetches', async () => {
    // 25,000 rows of template 9: users 1..25000 holding seqs 1..25000 (the cursor reads 10,000 at a time)
    await client.query(`INSERT INTO ${table} SELECT g, '9-' || g, 9, g FROM generate_series(1, 25000) g`);
    const snap = await readQueryTemplate(PG_URL, `SELECT member AS user_id, code AS coupon_id, n AS seq FROM ${table} WHERE event = $1`, 9);
    expect(snap.rows).toBe(25_000);
    expect(snap.users.size).toBe(25_000);
    expect(snap.duplicateRows).toBe(0);
    expect(snap.users.get(25_000)).toBe(25_000);
  });

  it('a bad row in the middle fails with E_DB_QUERY and leaves no session behind', async () => {
    await client.query(`INSERT INTO ${table} SELECT g, '10-' || g, 10, g FROM generate_series(1, 15000) g`);
    // user 12,000 comes back as text that is no user id: after the first cursor batch was read
    const sql = `SELECT CASE WHEN member = 12000 THEN 'someone' ELSE member::text END AS user_id, code AS coupon_id FROM ${table} WHERE event = $1 ORDER BY member`;
    await expect(readQueryTemplate(PG_URL, sql, 10)).rejects.toMatchObject({ code: 'E_DB_QUERY' });
    // The cursor and its session are closed (the server may take a moment to drop the backend).
    const open = async (): Promise<number> =>
      (await client.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE $1 AND pid <> pg_backend_pid()`, [`%THEN 'someone'%`])).rows[0].n as number;
    for (let i = 0; i < 40 && (await open()) > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await open()).toBe(0);
  });

  it('reports a broken query as a usage error naming the database', async () => {
    await expect(readQueryTemplate(PG_URL, `SELECT nope FROM ${table} WHERE event = $1`, 7)).rejects.toMatchObject({ code: 'E_DB_QUERY' });
  });
});
