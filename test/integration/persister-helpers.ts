/** Shared set-up for persister integration tests (real Redis, unique prefix). */
import type { RedisClient } from '../../src/redis/client.js';
import { PERSISTER_GROUP, templateKeys, templatesIndexKey, type TemplateKeys } from '../../src/redis/keys.js';

/** Create a template the way the server's admin route does (script + index SADD). */
export async function createTemplate(redis: RedisClient, prefix: string, templateId: number, stock: number): Promise<TemplateKeys> {
  const k = templateKeys(prefix, templateId);
  await redis.createTemplate(k.stock, k.seq, k.users, k.outbox, stock, PERSISTER_GROUP);
  await redis.sadd(templatesIndexKey(prefix), templateId);
  return k;
}

/** Issue coupons to users first..first+count-1 through the real Lua script, pipelined. */
export async function issueUsers(redis: RedisClient, k: TemplateKeys, templateId: number, first: number, count: number): Promise<void> {
  for (let done = 0; done < count; done += 1000) {
    const p = redis.pipeline();
    for (let i = done; i < Math.min(count, done + 1000); i++) p.issue(k.stock, k.seq, k.users, k.outbox, first + i, templateId);
    const res = (await p.exec()) ?? [];
    for (const [err, reply] of res) if (err || (reply as number[])[0] !== 1) throw new Error(`issue failed: ${String(err ?? reply)}`);
  }
}

/** Poll until `cond` holds; throws with `what` after `timeoutMs` (bounded loops only). */
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Pending count of the persister group on one outbox. */
export async function pendingCount(redis: RedisClient, outbox: string): Promise<number> {
  const [n] = (await redis.xpending(outbox, PERSISTER_GROUP)) as [number, ...unknown[]];
  return Number(n);
}
