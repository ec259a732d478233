import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkForeignFlags, foreignKeyFor } from '../../src/verify/foreign-keys.js';
import { resolveQueryColumns } from '../../src/verify/query-columns.js';
import { resolveInput } from '../../src/verify/resolve-input.js';

const dir = mkdtempSync(join(tmpdir(), 'foreign-flags-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('foreign-store flags', () => {
  it('reads --db-query columns by name, in any order and case; refuses missing, unnamed and repeated ones', () => {
    expect(resolveQueryColumns(['coupon_id', 'extra', 'USER_ID', 'Issued_At'])).toEqual({ user: 2, coupon: 0, issuedAt: 3 });
    expect(resolveQueryColumns(['user_id', 'coupon_id', 'seq'])).toEqual({ user: 0, coupon: 1, seq: 2 });
    expect(() => resolveQueryColumns(['member', 'code'])).toThrow(/returns the columns member, code; it needs user_id and coupon_id/);
    expect(() => resolveQueryColumns(['user_id', ''])).toThrow(/\(unnamed\); it needs coupon_id/);
    expect(() => resolveQueryColumns(['user_id', 'coupon_id', 'user_id'])).toThrow(/user_id appears more than once/);
  });

  it('checks combinations: keys need --redis, a query needs --db, a limit and a remaining counter exclude each other', () => {
    expect(() => checkForeignFlags({ redisUsersKey: 'k' }, { redis: false, db: false })).toThrow('--redis-users-key needs --redis <url>');
    expect(() => checkForeignFlags({ dbQuery: 'SELECT 1' }, { redis: false, db: false })).toThrow('--db-query needs --db <url>');
    expect(() => checkForeignFlags({ redisStockKey: 'a', redisRemainingKey: 'b' }, { redis: true, db: false })).toThrow(/give one/);
    expect(() => checkForeignFlags({ redisRemainingKey: ' ' }, { redis: true, db: false })).toThrow('--redis-remaining-key: empty key');
    expect(() => checkForeignFlags({ redisRemainingKey: 'r:{template}', redisUsersKey: 'u:{template}' }, { redis: true, db: false })).not.toThrow();
    expect(foreignKeyFor('--redis-users-key', 'c:{template}:m', 7, true)).toBe('c:7:m');
    expect(() => foreignKeyFor('--redis-users-key', 'members', 7, true)).toThrow(/\{template\} placeholder/);
  });

  it("verify --report reads a run's foreign flags from its report; flags given win", () => {
    const report = join(dir, 'report.json');
    const stores = { redis: 'redis://127.0.0.1:6379', db: 'sqlite:/tmp/shop.sqlite', source: 'flags', dbQuery: 'SELECT a AS user_id, b AS coupon_id FROM t WHERE c = ?', redisUsersKey: 'u:{template}' };
    writeFileSync(report, JSON.stringify({ templates: [{ templateId: 1, stock: 10 }], stores }));
    expect(resolveInput({ reportPath: report }).foreign).toEqual({ dbQuery: stores.dbQuery, redisUsersKey: 'u:{template}' });
    expect(resolveInput({ reportPath: report, redisUsersKey: 'other:{template}', redisRemainingKey: 'left:{template}' }).foreign).toEqual({
      dbQuery: stores.dbQuery,
      redisUsersKey: 'other:{template}',
      redisRemainingKey: 'left:{template}',
    });
  });
});
