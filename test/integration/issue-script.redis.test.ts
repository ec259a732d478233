import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { createRedis } from '../../src/redis/client.js';
import { PERSISTER_GROUP, templateKeys } from '../../src/redis/keys.js';
import { parseIssueReply } from '../../src/redis/issue-result.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('issue-4.lua against real Redis', () => {
  let redis: Redis;
  const prefix = `test-${randomUUID()}`;
  const k = templateKeys(prefix, 7);

  beforeAll(async () => {
    redis = createRedis(REDIS_URL, { role: 'worker' });
    const [code] = await redis.createTemplate(k.stock, k.seq, k.users, k.outbox, 3, PERSISTER_GROUP);
    expect(code).toBe(0);
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('issues up to stock, refuses duplicates with the same seq, then sells out', async () => {
    const issue = async (u: number) => parseIssueReply(await redis.issue(k.stock, k.seq, k.users, k.outbox, u, 7));
    expect(await issue(1)).toMatchObject({ kind: 'issued', seq: 1 });
    expect(await issue(1)).toEqual({ kind: 'already_issued', seq: 1 });
    expect(await issue(2)).toMatchObject({ kind: 'issued', seq: 2 });
    expect(await issue(3)).toMatchObject({ kind: 'issued', seq: 3 });
    expect(await issue(4)).toEqual({ kind: 'out_of_stock', issued: 3 });
    expect(await redis.xlen(k.outbox)).toBe(3);
    expect(await redis.hlen(k.users)).toBe(3);
    const missing = templateKeys(prefix, 8);
    expect(parseIssueReply(await redis.issue(missing.stock, missing.seq, missing.users, missing.outbox, 1, 8))).toEqual({
      kind: 'template_not_found',
    });
    expect(await redis.exists(missing.seq, missing.users, missing.outbox)).toBe(0);
  });

  it('still works after SCRIPT FLUSH (EVALSHA falls back to EVAL)', async () => {
    await redis.script('FLUSH');
    const r = parseIssueReply(await redis.issue(k.stock, k.seq, k.users, k.outbox, 1, 7));
    expect(r).toEqual({ kind: 'already_issued', seq: 1 });
  });

  it('refuses to change an existing template stock', async () => {
    const [code, stock] = await redis.createTemplate(k.stock, k.seq, k.users, k.outbox, 99, PERSISTER_GROUP);
    expect(code).toBe(2);
    expect(stock).toBe(3);
  });
});
