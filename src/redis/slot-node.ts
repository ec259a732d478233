import calculateSlot from 'cluster-key-slot';
import { Cluster, type Redis } from 'ioredis';
import type { RedisClient } from './client.js';

/** `host:port` of the master serving `key`'s slot, as the cluster client last mapped it; undefined when unknown. */
export function masterKeyOf(cluster: Cluster, key: string): string | undefined {
  return cluster.slots[calculateSlot(key)]?.[0];
}

/**
 * The connection that serves `key`: on a cluster, its slot's master as last mapped; the client
 * itself otherwise, or when the slot map does not know the slot yet (a MOVED reply then redirects).
 */
function nodeFor(client: RedisClient, key: string): RedisClient {
  if (!(client instanceof Cluster)) return client;
  const want = masterKeyOf(client, key);
  if (want === undefined) return client;
  const node = client.nodes('master').find((n: Redis) => `${n.options.host}:${n.options.port}` === want);
  return node ?? client;
}

/** Host and port of a cluster node key `host:port` (the host may be IPv6, unbracketed). */
export function splitNodeKey(nodeKey: string): { host: string; port: number } {
  const colon = nodeKey.lastIndexOf(':');
  return { host: nodeKey.slice(0, colon), port: Number(nodeKey.slice(colon + 1)) };
}

const MOVED = /^(MOVED|ASK)\b/;

/**
 * Run `fn` on the connection that serves `key`: for commands ioredis cannot route on a cluster
 * because their key is not in first position (XINFO, XGROUP). A node's own connection does not
 * follow redirects: on MOVED/ASK (the slot moved since the map was read) the map is refreshed
 * and `fn` runs once more on the new owner.
 */
export async function onNodeOf<T>(client: RedisClient, key: string, fn: (node: RedisClient) => Promise<T>): Promise<T> {
  try {
    return await fn(nodeFor(client, key));
  } catch (err) {
    if (!(client instanceof Cluster) || !MOVED.test(String((err as Error).message))) throw err;
    await new Promise<void>((resolve) => client.refreshSlotsCache(() => resolve()));
    return fn(nodeFor(client, key));
  }
}
