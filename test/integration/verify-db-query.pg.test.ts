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
      const snap = await readQueryTemplate(PG_URL, `SELECT member, code FROM ${table} WHERE ${where}`, 7);
      expect(snap.rows).toBe(3);
      expect(snap.duplicateRows).toBe(1);
      expect(snap.duplicateExamples[0]).toBe('user 2: two DB rows (seq 2 and 4)');
      expect([...(snap.seqs ?? [])]).toEqual([1, 2, 4]);
    }
    const withSeq = await readQueryTemplate(PG_URL, `SELECT member, code, n FROM ${table} WHERE event = :template`, 8);
    expect([...withSeq.users]).toEqual([[3, 1]]);
  });

  it('reports a broken query as a usage error naming the database', async () => {
    await expect(readQueryTemplate(PG_URL, `SELECT nope FROM ${table} WHERE event = $1`, 7)).rejects.toMatchObject({ code: 'E_DB_QUERY' });
  });
});
