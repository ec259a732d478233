import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import { readQueryTemplate } from '../../src/verify/read-db.js';
import { MYSQL_URL } from '../helpers/env.js';

// Another team's MySQL/MariaDB table, read through --db-query.
const table = `vq_${randomUUID().slice(0, 8)}`;
let conn: mysql.Connection;

beforeAll(async () => {
  conn = await mysql.createConnection(MYSQL_URL);
  await conn.query(`CREATE TABLE ${table} (member BIGINT, code VARCHAR(20), event INT)`);
  await conn.query(`INSERT INTO ${table} VALUES (1, '7-1', 7), (2, '7-3', 7), (3, 'x', 8)`);
});
afterAll(async () => {
  await conn.query(`DROP TABLE IF EXISTS ${table}`);
  await conn.end();
});

describe('--db-query on MySQL/MariaDB', () => {
  it('streams a large result completely; a bad row fails with E_DB_QUERY; an unreachable server too', async () => {
    const values = Array.from({ length: 20_000 }, (_, i) => `(${i + 1}, '9-${i + 1}', 9)`).join(',');
    await conn.query(`INSERT INTO ${table} VALUES ${values}`);
    const snap = await readQueryTemplate(MYSQL_URL, `SELECT member AS user_id, code AS coupon_id, member AS seq FROM ${table} WHERE event = ?`, 9);
    expect(snap.rows).toBe(20_000);
    expect(snap.users.get(20_000)).toBe(20_000);
    expect(snap.duplicateRows).toBe(0);

    // user 15,000 comes back as text that is no user id, in the middle of the stream
    const bad = `SELECT CASE WHEN member = 15000 THEN 'someone' ELSE member END AS user_id, code AS coupon_id FROM ${table} WHERE event = ? ORDER BY member`;
    await expect(readQueryTemplate(MYSQL_URL, bad, 9)).rejects.toMatchObject({ code: 'E_DB_QUERY' });
    // The half-read query's connection is dropped, not left running (the server may take a moment to see it).
    const running = async (): Promise<number> => {
      const [rows] = await conn.query(`SELECT COUNT(*) AS n FROM information_schema.processlist WHERE info LIKE ?`, [`%THEN 'someone' ELSE member%`]);
      return Number((rows as Array<{ n: number }>)[0]!.n);
    };
    for (let i = 0; i < 40 && (await running()) > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await running()).toBe(0);
    const closed = new URL(MYSQL_URL);
    closed.port = '1';
    await expect(readQueryTemplate(closed.toString(), `SELECT member AS user_id, code AS coupon_id FROM ${table} WHERE event = ?`, 9)).rejects.toMatchObject({ code: 'E_DB_QUERY' });
  });

  it('binds :template and reads user_id and coupon_id by name; a 7-1 coupon id stays opaque (no seq read from it)', async () => {
    const snap = await readQueryTemplate(MYSQL_URL, `SELECT code AS coupon_id, event, member AS user_id FROM ${table} WHERE event = :template ORDER BY member`, 7);
    expect([...snap.users]).toEqual([
      [1, 0],
      [2, 0],
    ]);
    expect([...(snap.coupons ?? [])]).toEqual([
      [1, '7-1'],
      [2, '7-3'],
    ]);
    expect(snap.seqs).toBeUndefined();
    expect(snap.duplicateRows).toBe(0);
    const other = await readQueryTemplate(MYSQL_URL, `SELECT member AS USER_ID, code AS Coupon_Id FROM ${table} WHERE event = ?`, 8);
    expect(other.rows).toBe(1);
    expect(other.seqs).toBeUndefined();
  });

  it('refuses a query whose columns are not named user_id and coupon_id, even with no row (E_DB_QUERY)', async () => {
    for (const sql of [
      `SELECT * FROM ${table} WHERE event = ?`,
      `SELECT code, member FROM ${table} WHERE event = ?`,
      `SELECT member AS user_id, code AS user_id FROM ${table} WHERE event = ?`,
    ]) {
      await expect(readQueryTemplate(MYSQL_URL, sql, 7)).rejects.toMatchObject({ code: 'E_DB_QUERY', message: expect.stringMatching(/user_id/) });
    }
    const empty = `SELECT member, code FROM ${table} WHERE event = ?`;
    await expect(readQueryTemplate(MYSQL_URL, empty, 12345)).rejects.toMatchObject({ code: 'E_DB_QUERY', message: expect.stringContaining('member, code') });
  });
});
