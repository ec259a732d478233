import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis, type RedisClient } from '../../src/redis/client.js';
import { PERSISTER_GROUP, templateKeys } from '../../src/redis/keys.js';
import { parseIssueReply } from '../../src/redis/issue-result.js';
import { loadScripts } from '../../src/redis/scripts.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('issue-4.lua against real Redis', () => {
  let redis: RedisClient;
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

  it('serves a batch of users in order, as if each came after the one before', async () => {
    const b = templateKeys(prefix, 9);
    await redis.createTemplate(b.stock, b.seq, b.users, b.outbox, 4, PERSISTER_GROUP);
    const lua = loadScripts().find((x) => x.name === 'issue')!.lua;
    const batch = async (keys: typeof b, templateId: number, users: number[]): Promise<ReturnType<typeof parseIssueReply>[]> => {
      const reply = (await redis.call('EVAL', lua, 4, keys.stock, keys.seq, keys.users, keys.outbox, users[0]!, templateId, ...users.slice(1))) as number[];
      expect(reply).toHaveLength(3 * users.length);
      return users.map((_, i) => parseIssueReply(reply.slice(3 * i, 3 * i + 3) as [number, number, number]));
    };
    const [one] = await batch(b, 9, [50]);
    expect(one).toMatchObject({ kind: 'issued', seq: 1 });
    // 50 already holds seq 1; 60 twice in one batch gets one coupon; 80 and 90 find it sold out.
    const r = await batch(b, 9, [60, 50, 60, 70, 71, 80, 90]);
    expect(r).toMatchObject([
      { kind: 'issued', seq: 2 },
      { kind: 'already_issued', seq: 1 },
      { kind: 'already_issued', seq: 2 },
      { kind: 'issued', seq: 3 },
      { kind: 'issued', seq: 4 },
      { kind: 'out_of_stock', issued: 4 },
      { kind: 'out_of_stock', issued: 4 },
    ]);
    const issuedAt = r.map((x) => (x.kind === 'issued' ? x.issuedAtMs : undefined)).filter((x) => x !== undefined);
    expect(new Set(issuedAt).size).toBe(1);
    expect(Math.abs(issuedAt[0]! - Date.now())).toBeLessThan(60_000);
    expect(await redis.hgetall(b.users)).toEqual({ 50: '1', 60: '2', 70: '3', 71: '4' });
    const outbox = (await redis.xrange(b.outbox, '-', '+')).map(([, f]) => f);
    const times = [one!.kind === 'issued' ? one!.issuedAtMs : 0, ...issuedAt];
    expect(outbox).toEqual([50, 60, 70, 71].map((u, i) => ['u', String(u), 's', String(i + 1), 't', String(times[i]), 'tpl', '9']));
    expect(await redis.get(b.seq)).toBe('4');
    // A missing template answers every user of the batch, and writes nothing.
    const missing = templateKeys(prefix, 10);
    expect(await batch(missing, 10, [1, 2])).toEqual([{ kind: 'template_not_found' }, { kind: 'template_not_found' }]);
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
