import type { RedisClient } from '../redis/client.js';
import { onNodeOf } from '../redis/slot-node.js';
import { PERSISTER_GROUP, type TemplateKeys } from '../redis/keys.js';
import type { OutboxState, RedisSnapshot } from './snapshot.js';

/** Fields per HSCAN round trip: large enough to keep round trips few, small enough not to block Redis. */
const HSCAN_COUNT = 20_000;

function toInt(v: string | null): number | undefined {
  if (v === null) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Stream the users hash with HSCAN into a Map<userId, seq>; malformed fields are counted. */
export async function scanUsers(redis: RedisClient, key: string): Promise<{ users: Map<number, number>; malformed: number }> {
  const users = new Map<number, number>();
  let malformed = 0;
  let cursor = '0';
  do {
    const [next, flat] = await redis.hscan(key, cursor, 'COUNT', HSCAN_COUNT);
    cursor = next;
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const user = Number(flat[i]);
      const seq = Number(flat[i + 1]);
      if (!Number.isSafeInteger(user) || user <= 0 || !Number.isSafeInteger(seq) || seq <= 0) {
        malformed++;
        continue;
      }
      // HSCAN may return a field twice while the hash is rehashing; a Map keeps it once.
      users.set(user, seq);
    }
  } while (cursor !== '0');
  return { users, malformed };
}

/** Pairs array of XINFO GROUPS → records. */
function pairs(entry: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (Array.isArray(entry)) for (let i = 0; i + 1 < entry.length; i += 2) out[String(entry[i])] = entry[i + 1];
  return out;
}

/** Compare two stream ids `ms-seq`. */
function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number) as [number, number];
  const [bm, bs] = b.split('-').map(Number) as [number, number];
  return am !== bm ? am - bm : (as ?? 0) - (bs ?? 0);
}

/**
 * XLEN, the pending count of every consumer group (XINFO GROUPS, as XPENDING counts it) and what
 * the persister group has not read yet. The contract has the persister XDEL after XACK, so a
 * drained outbox is empty; one that only XACKs is still drained when its group read up to the last
 * entry and nothing is pending.
 */
export async function readOutbox(redis: RedisClient, key: string, waitedMs = 0): Promise<OutboxState> {
  const length = await redis.xlen(key);
  let pending = 0;
  let groupExists = false;
  let undelivered = length;
  if (length > 0 || (await redis.exists(key)) === 1) {
    const groups = (await onNodeOf(redis, key, (node) => node.xinfo('GROUPS', key))) as unknown[];
    let lastDelivered: string | undefined;
    let lag: number | undefined;
    for (const g of groups) {
      const info = pairs(g);
      pending += Number(info.pending ?? 0);
      if (info.name === PERSISTER_GROUP) {
        groupExists = true;
        lastDelivered = String(info['last-delivered-id'] ?? '0-0');
        // `lag` is null once entries were deleted mid-stream; then compare ids instead.
        if (typeof info.lag === 'number') lag = info.lag;
      }
    }
    if (length > 0 && lastDelivered !== undefined) {
      const last = (await redis.xrevrange(key, '+', '-', 'COUNT', 1))[0]?.[0];
      undelivered = last === undefined || compareIds(lastDelivered, last) >= 0 ? 0 : (lag ?? length);
    }
  }
  return { length, pending, undelivered, groupExists, waitedMs };
}

/**
 * Poll until every outbox is empty and nothing is pending (the persister XACKs and XDELs after its
 * commit), or the timeout passes. Returns the ms waited.
 */
export async function waitForDrain(redis: RedisClient, outboxKeys: readonly string[], timeoutMs: number, pollMs = 100): Promise<number> {
  const started = Date.now();
  for (;;) {
    let busy = false;
    for (const key of outboxKeys) {
      const o = await readOutbox(redis, key);
      if (o.undelivered > 0 || o.pending > 0) {
        busy = true;
        break;
      }
    }
    const waited = Date.now() - started;
    if (!busy || waited >= timeoutMs) return waited;
    await new Promise((r) => setTimeout(r, Math.min(pollMs, timeoutMs - waited)));
  }
}

/** Snapshot of one template in the bundled layout (stock, seq, users hash, outbox). */
export async function readBundledTemplate(redis: RedisClient, keys: TemplateKeys, waitedMs: number): Promise<RedisSnapshot> {
  const [stock, seq] = await redis.mget(keys.stock, keys.seq);
  const { users, malformed } = await scanUsers(redis, keys.users);
  const outbox = await readOutbox(redis, keys.outbox, waitedMs);
  return { stock: toInt(stock ?? null), seq: toInt(seq ?? null) ?? 0, users, malformedUsers: malformed, outbox };
}
