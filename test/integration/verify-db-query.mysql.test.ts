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
  it('binds :template and reads user and coupon ids (seq parsed from <template>-<seq>)', async () => {
    const snap = await readQueryTemplate(MYSQL_URL, `SELECT member, code FROM ${table} WHERE event = :template ORDER BY member`, 7);
    expect([...snap.users]).toEqual([
      [1, 1],
      [2, 3],
    ]);
    expect(snap.duplicateRows).toBe(0);
    const other = await readQueryTemplate(MYSQL_URL, `SELECT member, code FROM ${table} WHERE event = ?`, 8);
    expect(other.rows).toBe(1);
    expect(other.seqs).toBeUndefined();
  });
});
