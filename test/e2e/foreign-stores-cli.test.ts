import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import { REDIS_URL, deletePrefix, uniquePrefix } from '../helpers/env.js';
import { runCli } from '../helpers/cli.js';

// The CLI's answers to another team's stores: one line with a stable code, before any load.
const cwd = mkdtempSync(join(tmpdir(), 'cb-foreign-'));
const prefix = uniquePrefix('fcli');
const shop = join(cwd, 'shop.sqlite');
const db = `sqlite:${shop}`;
const cli = (args: string[]) => runCli(args, { cwd });
/** A target nothing listens on: these runs must stop before sending anything. */
const nowhere = 'http://127.0.0.1:1';
const oneLine = (stderr: string, code: string): void => {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^coupon-bench: .*\\[${code}\\]$`));
};

beforeAll(() => {
  const d = new Database(shop);
  d.exec('CREATE TABLE claims (member INTEGER, claim_code TEXT, campaign INTEGER)');
  d.prepare('INSERT INTO claims VALUES (?, ?, ?)').run(7, '1-17', 1);
  d.close();
});
afterAll(async () => {
  await deletePrefix(REDIS_URL, prefix);
  rmSync(cwd, { recursive: true, force: true });
});

describe('foreign stores on the command line (spawned CLI)', () => {
  it('verify: a --db-query whose columns are not named user_id and coupon_id is E_DB_QUERY, one line, exit 1', async () => {
    const r = await cli(['verify', '--db', db, '--db-query', 'SELECT * FROM claims WHERE campaign = :template', '--template', '1:10']);
    expect(r.code).toBe(1);
    oneLine(r.stderr, 'E_DB_QUERY');
    expect(r.stderr).toContain('the query returns the columns member, claim_code, campaign; it needs user_id and coupon_id');
  });

  it('verify: an opaque coupon id is shown as given, never as a seq', async () => {
    const q = 'SELECT member AS user_id, claim_code AS coupon_id FROM claims WHERE campaign = :template';
    const r = await cli(['verify', '--db', db, '--db-query', q, '--template', '1:0', '--json']);
    expect(r.code, r.stderr).toBe(100);
    const v = JSON.parse(r.stdout) as { invariants: Array<{ name: string; status: string; examples: string[] }> };
    const over = v.invariants.find((i) => i.name === 'no-over-issue')!;
    expect(over.examples).toContain('DB row 1 of 1 (past the stock): user 7 (coupon "1-17")');
    expect(v.invariants.find((i) => i.name === 'outbox-drained')!.status).toBe('N/A');
    expect(r.stdout).not.toMatch(/seq 17/);
  });

  it('run --verify on another service\'s database without --db-query: one line before the load, no stack, no report', async () => {
    const r = await cli(['run', 'seed-k6', '--target', nowhere, '--verify', '--db', db, '--out', 'no-query']);
    expect(r.code).toBe(1);
    oneLine(r.stderr, 'E_DB_QUERY');
    expect(r.stderr).toContain('no coupon-bench issued_coupon table');
    expect(existsSync(join(cwd, 'no-query', 'report.json'))).toBe(false);
    // Nothing of ours was created in their database.
    const d = new Database(shop, { readonly: true });
    const tables = d.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>;
    d.close();
    expect(tables.map((t) => t.name)).toEqual(['claims']);
  });

  it('run --verify: a bad --db-query is refused before the load too', async () => {
    const r = await cli(['run', 'seed-k6', '--target', nowhere, '--verify', '--db', db, '--db-query', 'SELECT claim_code, member FROM claims WHERE campaign = ?', '--out', 'bad-query']);
    expect(r.code).toBe(1);
    oneLine(r.stderr, 'E_DB_QUERY');
    expect(existsSync(join(cwd, 'bad-query', 'report.json'))).toBe(false);
  });

  it('run --verify: dirty foreign stores are exit 97 before the load, with a one-line reason', async () => {
    const q = 'SELECT member AS user_id, claim_code AS coupon_id FROM claims WHERE campaign = :template';
    // seed-k6's template is 1: their table already holds a claim for it.
    const r = await cli(['run', 'seed-k6', '--target', nowhere, '--verify', '--db', db, '--db-query', q, '--out', 'dirty-db']);
    expect(r.code).toBe(97);
    oneLine(r.stderr, 'E_TEMPLATE_NOT_FRESH');
    expect(r.stderr).toContain('(--db-query)');
    // A holder in their Redis SET is the same.
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
    await redis.sadd(`${prefix}:holders:1`, '42');
    redis.disconnect();
    const r2 = await cli(['run', 'seed-k6', '--target', nowhere, '--verify', '--redis', REDIS_URL, '--redis-users-key', `${prefix}:holders:{template}`, '--out', 'dirty-redis']);
    expect(r2.code).toBe(97);
    oneLine(r2.stderr, 'E_TEMPLATE_NOT_FRESH');
    expect(r2.stderr).toContain(`in ${prefix}:holders:{template}`);
  });

  it('flag combinations are usage errors before anything starts', async () => {
    const noRedis = await cli(['run', 'seed-k6', '--target', nowhere, '--verify', '--redis-users-key', 'k']);
    expect(noRedis.code).toBe(1);
    oneLine(noRedis.stderr, 'E_USAGE');
    expect(noRedis.stderr).toContain('--redis-users-key needs --redis <url>');
    const both = await cli(['verify', '--redis', REDIS_URL, '--redis-stock-key', 'a', '--redis-remaining-key', 'b', '--template', '1:10']);
    expect(both.code).toBe(1);
    oneLine(both.stderr, 'E_USAGE');
    const emptyKey = await cli(['chaos', '--only', '--fault', 'kill-serve@1s', '--redis-users-key', '']);
    expect(emptyKey.code).toBe(1);
    oneLine(emptyKey.stderr, 'E_USAGE');
    expect(emptyKey.stderr).toContain('--redis-users-key: empty key');
  });
});
