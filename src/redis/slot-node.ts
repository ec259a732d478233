import calculateSlot from 'cluster-key-slot';
import { Cluster, type Redis } from 'ioredis';
import type { RedisClient } from './client.js';

/** `host:port` of the master serving `key`'s slot, as the cluster client last mapped it; undefined when unknown. */
export function masterKeyOf(cluster: Cluster, key: string): string | undefined {
  return cluster.slots[calculateSlot(key)]?.[0];
}

/**
 * The connection that serves `key`: on a cluster, its slot's master (for commands ioredis cannot
 * route because their key is not in first position, such as XINFO and XGROUP); the client itself
 * otherwise, or when the slot map does not know the slot yet (a MOVED reply then redirects).
 */
export function nodeFor(client: RedisClient, key: string): RedisClient {
  if (!(client instanceof Cluster)) return client;
  const want = masterKeyOf(client, key);
  if (want === undefined) return client;
  const node = client.nodes('master').find((n: Redis) => `${n.options.host}:${n.options.port}` === want);
  return node ?? client;
}
