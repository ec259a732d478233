import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { HarnessInvalidError } from '../errors.js';
import type { RedisClient } from '../redis/client.js';
import { isMissingDatabase } from '../redis/refusal.js';
import { isClusterUrl, parseClusterUrl, type ClusterAddress } from '../redis/redis-url.js';
import { masterKeyOf, splitNodeKey } from '../redis/slot-node.js';

const CONNECT_TIMEOUT_MS = 2000;
const SLOTS = 16384;

/**
 * Connect verify's reader: a single Redis, or a Redis Cluster whose every slot has a master that
 * answers (see {@link assertSlotsServed}); rejects with the last connection error otherwise.
 */
export async function connectRedis(url: string): Promise<RedisClient> {
  return isClusterUrl(url) ? connectCluster(url) : connectSingle(url);
}

async function connectSingle(url: string): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 2,
    retryStrategy: (times) => (times > 3 ? null : 100 * times),
    connectionName: 'coupon-bench-verify',
  });
  // ioredis rejects with "Connection is closed." once it gives up; the cause is the last error it saw.
  let cause: Error | undefined;
  redis.on('error', (err: Error) => (cause = err));
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw cause ?? err;
  }
  // ioredis reports a refused SELECT as an error and is ready anyway, on database 0: never audit that.
  if (cause !== undefined && isMissingDatabase(cause.message)) {
    redis.disconnect();
    throw cause;
  }
  return redis;
}

async function connectCluster(url: string): Promise<Cluster> {
  const addr = parseClusterUrl(url);
  const cluster = new Cluster([...addr.seeds], {
    lazyConnect: true,
    // Not ready while the cluster says its state is not ok (a master is down): then verify says so.
    enableReadyCheck: true,
    scaleReads: 'master',
    maxRedirections: 16,
    retryDelayOnClusterDown: 100,
    slotsRefreshTimeout: CONNECT_TIMEOUT_MS,
    clusterRetryStrategy: (times) => (times > 3 ? null : 100 * times),
    redisOptions: { ...nodeOptions(addr), maxRetriesPerRequest: 2, connectionName: 'coupon-bench-verify' },
  });
  let cause: Error | undefined;
  cluster.on('error', (err: Error) => (cause = err));
  try {
    // ioredis's connect() never settles once its retry strategy gives up: 'end' says so.
    await new Promise<void>((resolve, reject) => {
      const gaveUp = (): void => reject(cause ?? new Error('the cluster did not become ready (cluster_state not ok?)'));
      cluster.once('end', gaveUp);
      cluster.connect().then(
        () => {
          cluster.removeListener('end', gaveUp);
          resolve();
        },
        (err: unknown) => reject(err instanceof Error ? err : new Error(String(err))),
      );
    });
    await assertSlotsServed(slotMapOf(cluster), addr);
  } catch (err) {
    cluster.disconnect();
    if (err instanceof HarnessInvalidError) throw err;
    // Say which master is away when a live node still has the slot map.
    const map = await slotMapFromSeeds(addr);
    if (map) await assertSlotsServed(map, addr);
    throw err;
  }
  return cluster;
}

/** Slot ranges by master `host:port`. */
type SlotMap = Map<string, [number, number][]>;

function nodeOptions(addr: ClusterAddress): RedisOptions {
  return {
    connectTimeout: CONNECT_TIMEOUT_MS,
    ...(addr.username !== undefined ? { username: addr.username } : {}),
    ...(addr.password !== undefined ? { password: addr.password } : {}),
  };
}

/** A connection to one node that tries once. */
async function probe<T>(host: string, port: number, addr: ClusterAddress, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis({ ...nodeOptions(addr), host, port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  let cause: Error | undefined;
  r.on('error', (err: Error) => (cause = err));
  try {
    await r.connect();
    return await fn(r);
  } catch (err) {
    // "Connection is closed." hides why: the last connection error says it (ECONNREFUSED, …).
    throw cause ?? err;
  } finally {
    r.disconnect();
  }
}

function slotMapOf(cluster: Cluster): { map: SlotMap; unowned: number } {
  const map: SlotMap = new Map();
  let unowned = 0;
  for (let slot = 0; slot < SLOTS; slot++) {
    const master = cluster.slots[slot]?.[0];
    if (master === undefined) {
      unowned++;
      continue;
    }
    const list = map.get(master) ?? [];
    const last = list[list.length - 1];
    if (last && last[1] === slot - 1) last[1] = slot;
    else list.push([slot, slot]);
    map.set(master, list);
  }
  return { map, unowned };
}

/** CLUSTER SLOTS of the first seed that answers, as a slot map; undefined when none answers. */
async function slotMapFromSeeds(addr: ClusterAddress): Promise<{ map: SlotMap; unowned: number } | undefined> {
  for (const seed of addr.seeds) {
    try {
      const ranges = await probe(seed.host, seed.port, addr, async (r) => (await r.call('CLUSTER', 'SLOTS')) as [number, number, [string, number, ...unknown[]]][]);
      const map: SlotMap = new Map();
      let owned = 0;
      for (const [a, b, [host, port]] of ranges) {
        const key = `${host}:${port}`;
        map.set(key, [...(map.get(key) ?? []), [a, b]]);
        owned += b - a + 1;
      }
      return { map, unowned: SLOTS - owned };
    } catch {
      // next seed
    }
  }
  return undefined;
}

/**
 * Every one of the 16384 slots has a master, and every master answers PING on a connection of its
 * own; throws naming the slots nobody serves and the masters that do not answer (with their slot
 * ranges). A cluster that lost a master without a replica is unreachable for part of its data:
 * an audit that read only the rest would judge less than it says.
 */
async function assertSlotsServed({ map, unowned }: { map: SlotMap; unowned: number }, addr: ClusterAddress): Promise<void> {
  const problems: string[] = [];
  if (unowned > 0) problems.push(`${unowned} of ${SLOTS} slots have no master`);
  await Promise.all(
    [...map].map(async ([master, list]) => {
      const { host, port } = splitNodeKey(master);
      try {
        await probe(host, port, addr, (r) => r.ping());
      } catch (err) {
        const slots = list.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(',');
        problems.push(`master ${master} (slots ${slots}) does not answer: ${(err as Error).message}`);
      }
    }),
  );
  if (problems.length > 0) throw new HarnessInvalidError(`Redis Cluster unreachable in part: ${problems.sort().join('; ')}`, 'E_REDIS_UNREACHABLE');
}

/** Where a key lives, for messages: ` (master host:port)` on a cluster, nothing otherwise. */
export function whereIs(client: RedisClient, key: string): string {
  if (!(client instanceof Cluster)) return '';
  const m = masterKeyOf(client, key);
  return m === undefined ? '' : ` (master ${m})`;
}
