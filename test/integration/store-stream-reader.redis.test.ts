// The persister's minimal RESP reader must decode XREADGROUP exactly like ioredis, whatever the
// entries look like and however the reply is split into TCP chunks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis, type RedisClient } from '../../src/redis/client.js';
import { StreamReader } from '../../src/store/stream-reader.js';
import { REDIS_URL, deletePrefix, uniquePrefix } from '../helpers/env.js';

describe('StreamReader (raw XREADGROUP)', () => {
  let redis: RedisClient;
  const prefix = uniquePrefix('sreader');
  const key = `${prefix}:{t3}:outbox`;
  let reader: StreamReader;

  beforeAll(async () => {
    redis = createRedis(REDIS_URL, { role: 'worker' });
    reader = new StreamReader(REDIS_URL);
    await redis.xgroup('CREATE', key, 'g', '0', 'MKSTREAM');
  });
  afterAll(async () => {
    reader.close();
    redis.disconnect();
    await deletePrefix(REDIS_URL, prefix);
  });

  it('decodes standard entries to rows and anything else to field strings, including deleted ones', async () => {
    const ok = await redis.xadd(key, '*', 'u', '42', 's', '1', 't', '1700000000000', 'tpl', '3');
    const reordered = await redis.xadd(key, '*', 's', '2', 'u', '43', 't', '1', 'tpl', '3');
    const bad = await redis.xadd(key, '*', 'u', 'x', 's', '3', 't', '1', 'tpl', '3');
    const utf8 = await redis.xadd(key, '*', 'note', 'héllo ✓', 'u', '');
    const gone = await redis.xadd(key, '*', 'u', '44', 's', '4', 't', '1', 'tpl', '3');
    const first = await reader.xreadgroup(['GROUP', 'g', 'c1', 'COUNT', 100, 'STREAMS', key, '>'], 5000);
    expect(first?.[0]?.key).toBe(key);
    expect(first?.[0]?.entries).toHaveLength(5);
    await redis.xdel(key, gone!);
    // Re-read our own pending list: the deleted entry comes back with null fields.
    const res = await reader.xreadgroup(['GROUP', 'g', 'c1', 'COUNT', 100, 'STREAMS', key, '0'], 5000);
    const entries = res?.[0]?.entries ?? [];
    expect(entries.map((e) => e.id)).toEqual([ok, reordered, bad, utf8, gone]);
    expect(entries[0]).toEqual({ id: ok, row: { couponId: '3-1', templateId: 3, userId: 42, seq: 1, issuedAt: 1700000000000 }, fields: null });
    expect(entries[1]).toMatchObject({ row: undefined, fields: ['s', '2', 'u', '43', 't', '1', 'tpl', '3'] });
    expect(entries[2]).toMatchObject({ row: undefined, fields: ['u', 'x', 's', '3', 't', '1', 'tpl', '3'] });
    expect(entries[3]).toMatchObject({ row: undefined, fields: ['note', 'héllo ✓', 'u', ''] });
    expect(entries[4]).toEqual({ id: gone, row: undefined, fields: null });
    await redis.xack(key, 'g', ok!, reordered!, bad!, utf8!, gone!);
  });

  it('returns null when nothing is new, and decodes a reply spread over many TCP chunks', async () => {
    expect(await reader.xreadgroup(['GROUP', 'g', 'c1', 'COUNT', 10, 'BLOCK', 20, 'STREAMS', key, '>'], 5000)).toBeNull();
    const N = 5000;
    const p = redis.pipeline();
    for (let i = 1; i <= N; i++) p.xadd(key, '*', 'u', String(1000 + i), 's', String(10 + i), 't', '1700000000001', 'tpl', '3');
    await p.exec();
    const res = await reader.xreadgroup(['GROUP', 'g', 'c1', 'COUNT', N, 'STREAMS', key, '>'], 5000);
    const entries = res?.[0]?.entries ?? [];
    expect(entries).toHaveLength(N);
    expect(entries.every((e, i) => e.row?.userId === 1001 + i && e.row.seq === 11 + i)).toBe(true);
  });

  it('rejects with the server error (NOGROUP) and keeps working afterwards', async () => {
    const err = await reader.xreadgroup(['GROUP', 'nope', 'c1', 'COUNT', 1, 'STREAMS', key, '>'], 5000).catch((e: unknown) => e);
    expect(String((err as Error).message)).toContain('NOGROUP');
    expect(await reader.xreadgroup(['GROUP', 'g', 'c1', 'COUNT', 1, 'STREAMS', key, '>'], 5000)).toBeNull();
  });

  it('reconnects on the next call after its connection was killed', async () => {
    const name = `sreader-${prefix.replace(/[^A-Za-z0-9]/g, '')}`;
    const own = new StreamReader(REDIS_URL, name);
    try {
      expect(await own.xreadgroup(['GROUP', 'g', 'c1', 'COUNT', 1, 'STREAMS', key, '>'], 5000)).toBeNull();
      const list = (await redis.client('LIST')) as string;
      const id = /id=(\d+) [^\n]*name=(\S+)/g;
      const mine = [...list.matchAll(id)].find((m) => m[2] === name)?.[1];
      expect(mine).toBeDefined();
      await redis.client('KILL', 'ID', mine!);
      // The kill may or may not be noticed before this call: either way the one after works.
      await own.xreadgroup(['GROUP', 'g', 'c1', 'COUNT', 1, 'STREAMS', key, '>'], 5000).catch(() => undefined);
      expect(await own.xreadgroup(['GROUP', 'g', 'c1', 'COUNT', 1, 'STREAMS', key, '>'], 5000)).toBeNull();
    } finally {
      own.close();
    }
  });

  it('fails fast when Redis is unreachable', async () => {
    const dead = new StreamReader('redis://127.0.0.1:1');
    await expect(dead.xreadgroup(['GROUP', 'g', 'c1', 'COUNT', 1, 'STREAMS', key, '>'], 5000)).rejects.toThrow();
    dead.close();
    expect(StreamReader.supports('rediss://127.0.0.1:6380')).toBe(false);
    expect(StreamReader.supports(REDIS_URL)).toBe(true);
  });
});
