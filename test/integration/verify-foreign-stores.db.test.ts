import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { Redis } from 'ioredis';
import type { LedgerRecord } from '../../src/model/ledger-record.js';
import type { VerdictJson } from '../../src/model/verdict.js';
import { verify, type VerifyInput } from '../../src/verify/verify.js';
import { MYSQL_URL, PG_URL, REDIS_URL, deletePrefix, uniquePrefix } from '../helpers/env.js';

// Another team's service, seeded directly: a remaining counter (DECR per issue), a SET or HASH of
// holders, and its own claims table with opaque coupon ids, on SQLite, PostgreSQL and MariaDB.

const TEMPLATE = 5;
const STOCK = 10;
const tag = randomUUID().slice(0, 8);
const prefix = uniquePrefix('foreign');
const dir = mkdtempSync(join(tmpdir(), 'verify-foreign-'));
let redis: Redis;
let pgClient: pg.Client;
let my: mysql.Connection;

/** One issued claim: member, opaque claim code (shaped like `<template>-<n>` on purpose), issue time. */
interface Claim {
  member: number;
  code: string;
  at: number;
}

interface Engine {
  name: string;
  dbUrl: string;
  dbQuery: string;
  /** replace the claims of the template with these */
  seed(claims: Claim[]): Promise<void>;
}

const pgSchema = `fs_${tag}`;
const myTable = `fs_${tag}_claims`;
const sqlitePath = join(dir, 'shop.sqlite');

const engines: Engine[] = [
  {
    name: 'SQLite',
    dbUrl: `sqlite:${sqlitePath}`,
    dbQuery: 'SELECT member AS user_id, claim_code AS coupon_id, created_at AS issued_at FROM claims WHERE campaign = :template',
    async seed(claims) {
      const db = new Database(sqlitePath);
      db.exec('CREATE TABLE IF NOT EXISTS claims (member INTEGER, claim_code TEXT, campaign INTEGER, created_at TEXT)');
      db.prepare('DELETE FROM claims WHERE campaign = ?').run(TEMPLATE);
      const ins = db.prepare('INSERT INTO claims VALUES (?, ?, ?, ?)');
      for (const c of claims) ins.run(c.member, c.code, TEMPLATE, new Date(c.at).toISOString());
      db.close();
    },
  },
  {
    name: 'PostgreSQL',
    dbUrl: PG_URL,
    dbQuery: `SELECT member AS user_id, claim_code AS coupon_id, created_at AS issued_at FROM ${pgSchema}.claims WHERE campaign = $1`,
    async seed(claims) {
      await pgClient.query(`DELETE FROM ${pgSchema}.claims WHERE campaign = $1`, [TEMPLATE]);
      for (const c of claims) await pgClient.query(`INSERT INTO ${pgSchema}.claims VALUES ($1, $2, $3, $4)`, [c.member, c.code, TEMPLATE, new Date(c.at)]);
    },
  },
  {
    name: 'MariaDB',
    dbUrl: MYSQL_URL,
    dbQuery: `SELECT claim_code AS coupon_id, member AS user_id, created_at AS issued_at FROM ${myTable} WHERE campaign = ?`,
    async seed(claims) {
      await my.query(`DELETE FROM ${myTable} WHERE campaign = ?`, [TEMPLATE]);
      for (const c of claims) await my.query(`INSERT INTO ${myTable} VALUES (?, ?, ?, ?)`, [c.member, c.code, TEMPLATE, new Date(c.at)]);
    },
  },
];

beforeAll(async () => {
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
  pgClient = new pg.Client({ connectionString: PG_URL });
  await pgClient.connect();
  await pgClient.query(`CREATE SCHEMA ${pgSchema}`);
  await pgClient.query(`CREATE TABLE ${pgSchema}.claims (member bigint, claim_code text, campaign int, created_at timestamptz(3))`);
  my = await mysql.createConnection(MYSQL_URL);
  await my.query(`CREATE TABLE ${myTable} (member BIGINT, claim_code VARCHAR(40), campaign INT, created_at DATETIME(3))`);
});
afterAll(async () => {
  await pgClient.query(`DROP SCHEMA IF EXISTS ${pgSchema} CASCADE`);
  await pgClient.end();
  await my.query(`DROP TABLE IF EXISTS ${myTable}`);
  await my.end();
  await deletePrefix(REDIS_URL, prefix);
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

const remainingKey = `${prefix}:campaign:{template}:remaining`;
const usersKey = `${prefix}:campaign:{template}:members`;
const keyOf = (pattern: string): string => pattern.replace('{template}', String(TEMPLATE));

/** The foreign Redis as the service leaves it: the counter DECRed once per claim, the holders in a SET or HASH. */
async function seedRedis(claims: Claim[], holders: 'set' | 'hash', skipHolder?: number): Promise<void> {
  await redis.set(keyOf(remainingKey), STOCK - claims.length);
  await redis.del(keyOf(usersKey));
  const members = claims.map((c) => c.member).filter((m) => m !== skipHolder);
  if (holders === 'set') await redis.sadd(keyOf(usersKey), ...members.map(String));
  else await redis.hset(keyOf(usersKey), Object.fromEntries(members.map((m) => [String(m), String(Date.now())])));
}

/** What clients were told: a 200 with the claim code for every claim, then sold-out answers. */
function writeLedger(claims: Claim[], told?: Map<number, string>): string {
  const t0 = Date.now();
  const lines: LedgerRecord[] = claims.map((c, i) => ({ o: 'issued', tpl: TEMPLATE, u: c.member, st: 201, c: told?.get(c.member) ?? c.code, ts: t0 + i, lat: 900 }));
  // The first member asks again while stock remains (told 409): the run could have caught a second coupon.
  if (claims.length > 1) lines.push({ o: 'duplicate', tpl: TEMPLATE, u: claims[0]!.member, st: 409, ts: t0 + 1, lat: 900 });
  for (let u = 900; u < 905; u++) lines.push({ o: 'sold_out', tpl: TEMPLATE, u, st: 410, ts: t0, lat: 900 });
  const path = join(dir, `ledger-${randomUUID().slice(0, 6)}.ndjson`);
  writeFileSync(path, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return path;
}

/** `count` claims to members 101.., codes `5-<n+16>` (look like template-seq, are not), one ms apart. */
function claims(count: number): Claim[] {
  const t0 = Date.UTC(2026, 0, 1);
  return Array.from({ length: count }, (_, i) => ({ member: 101 + i, code: `${TEMPLATE}-${i + 17}`, at: t0 + i }));
}

const inv = (v: VerdictJson, name: string) => v.invariants.find((i) => i.name === name)!;

function input(e: Engine, ledgerPath: string, extra: Partial<VerifyInput> = {}): VerifyInput {
  return {
    ledgerPath,
    dbUrl: e.dbUrl,
    dbQuery: e.dbQuery,
    redisUrl: REDIS_URL,
    redisRemainingKey: remainingKey,
    redisUsersKey: usersKey,
    templateIds: [TEMPLATE],
    ...extra,
  };
}

describe.each(engines)("another team's stores on $name", (e) => {
  it('a correct service passes --strict: limit = remaining + issued, holders SET matches the table, outbox and seq N/A', async () => {
    const c = claims(STOCK);
    await e.seed(c);
    await seedRedis(c, 'set');
    const v = await verify(input(e, writeLedger(c), { strict: true }));
    expect(v.exitCode).toBe(0);
    expect(inv(v, 'no-over-issue')).toMatchObject({ status: 'PASS', counts: { stock: STOCK, redisRemaining: 0, redisIssued: STOCK, dbRows: STOCK } });
    expect(inv(v, 'redis-db-match').status).toBe('PASS');
    expect(inv(v, 'no-lost-ack').status).toBe('PASS');
    expect(inv(v, 'outbox-drained').status).toBe('N/A');
    expect(inv(v, 'seq-contiguous').status).toBe('N/A');
    expect(v.notChecked).toEqual([]);
    expect(v.headline).toContain('N/A: seq-contiguous, outbox-drained');
  });

  it('an oversell fails no-over-issue; the examples name the extra rows by their opaque ids, never as seqs', async () => {
    const c = claims(STOCK + 2);
    await e.seed(c);
    await seedRedis(c, 'set');
    const v = await verify(input(e, writeLedger(c)));
    expect(v.exitCode).toBe(100);
    const over = inv(v, 'no-over-issue');
    expect(over.status).toBe('FAIL');
    // The limit is still remaining (-2) + issued (12) = 10: a remaining counter is not a limit of -2.
    expect(over.counts).toMatchObject({ stock: STOCK, redisRemaining: -2, dbRows: 12 });
    expect(over.examples).toContain('DB row 11 of 12 (past the stock): user 111 (coupon "5-27")');
    expect(over.examples).toContain('DB row 12 of 12 (past the stock): user 112 (coupon "5-28")');
    expect(over.examples.join('\n')).not.toMatch(/\bseq\b/);
  });

  it('a HASH of holders missing one member fails redis-db-match naming that user', async () => {
    const c = claims(STOCK);
    await e.seed(c);
    await seedRedis(c, 'hash', 104);
    const v = await verify(input(e, writeLedger(c)));
    expect(v.exitCode).toBe(100);
    const m = inv(v, 'redis-db-match');
    expect(m.status).toBe('FAIL');
    expect(m.examples).toEqual(['user 104: DB holds coupon "5-20", not in Redis']);
  });

  it('a user told one coupon id while the table holds another fails no-lost-ack with both ids', async () => {
    const c = claims(STOCK);
    await e.seed(c);
    await seedRedis(c, 'set');
    const v = await verify(input(e, writeLedger(c, new Map([[103, 'X-1']]))));
    expect(v.exitCode).toBe(100);
    expect(inv(v, 'no-lost-ack').examples).toEqual(['user 103: told coupon "X-1", DB holds coupon "5-19"']);
  });

  it('two rows of one member: one example per distinct user', async () => {
    const c = claims(STOCK - 2);
    const t = c[0]!.at + 100;
    await e.seed([...c, { member: 102, code: 'dup-a', at: t }, { member: 102, code: 'dup-b', at: t + 1 }, { member: 105, code: 'dup-c', at: t + 2 }]);
    await seedRedis(c, 'set');
    const v = await verify(input(e, writeLedger(c)));
    const dup = inv(v, 'no-duplicate-user');
    expect(dup.status).toBe('FAIL');
    expect(dup.counts.dbDuplicateRows).toBe(3);
    expect(dup.examples).toHaveLength(2);
    expect(dup.examples[0]).toMatch(/^user 102: 3 DB rows \(coupon "5-18", …, coupon "dup-b"\)$/);
    expect(dup.examples[1]).toMatch(/^user 105: two DB rows/);
  });
});
