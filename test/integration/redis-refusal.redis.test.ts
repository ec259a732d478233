// A Redis that answers but refuses the URL's own settings (a database index it does not have, a
// wrong user or password): serve and verify say so with their own codes, exit 1, and never fall
// back to database 0 or call the Redis unreachable.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { redisRefusal } from '../../src/redis/refusal.js';
import { startServer } from '../../src/server/start-server.js';
import { connectRedis } from '../../src/verify/connect-redis.js';
import { verify } from '../../src/verify/verify.js';
import { REDIS_URL, uniquePrefix } from '../helpers/env.js';

const base = new URL(REDIS_URL);
const withDb = (db: number): string => `redis://${base.host}/${db}`;
const withLogin = (user: string, pass: string): string => `redis://${user}:${pass}@${base.host}`;

describe('Redis refusing the URL\'s settings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cb-redis-refusal-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('classifies refusals, and nothing else', () => {
    expect(redisRefusal('h', 'ERR DB index is out of range')?.code).toBe('E_BAD_REDIS_URL');
    expect(redisRefusal('h', 'WRONGPASS invalid username-password pair or user is disabled.')?.code).toBe('E_REDIS_AUTH');
    expect(redisRefusal('h', 'NOAUTH Authentication required.')?.code).toBe('E_REDIS_AUTH');
    expect(redisRefusal('h', 'connect ECONNREFUSED 127.0.0.1:1')).toBeUndefined();
    expect(redisRefusal('h', undefined)).toBeUndefined();
  });

  it('serve: a database index the Redis does not have is E_BAD_REDIS_URL (exit 1), at once', async () => {
    // refused, not retried: a server that kept retrying would never settle (the test's timeout)
    await expect(
      startServer({ host: '127.0.0.1', port: 0, redisUrl: withDb(99_999), dbUrl: `sqlite:${join(dir, 'a.sqlite')}`, prefix: uniquePrefix('refuse') }),
    ).rejects.toMatchObject({ code: 'E_BAD_REDIS_URL', exitCode: 1, message: expect.stringMatching(/DB index is out of range/) });
  });

  it('serve: a user Redis does not know is E_REDIS_AUTH (exit 1)', async () => {
    await expect(
      startServer({ host: '127.0.0.1', port: 0, redisUrl: withLogin('nosuchuser', 'pw'), dbUrl: `sqlite:${join(dir, 'b.sqlite')}`, prefix: uniquePrefix('refuse') }),
    ).rejects.toMatchObject({ code: 'E_REDIS_AUTH', exitCode: 1, message: expect.not.stringContaining(':pw@') });
  });

  it('verify: the reader never audits database 0 in place of the one named', async () => {
    await expect(connectRedis(withDb(99_999))).rejects.toThrow(/DB index is out of range/);
    await expect(
      verify({ redisUrl: withDb(99_999), templateIds: [1], stocks: { 1: 10 }, prefix: uniquePrefix('refuse') }),
    ).rejects.toMatchObject({ code: 'E_BAD_REDIS_URL', exitCode: 1 });
  });
});
