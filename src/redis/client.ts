import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { backoffMs } from '../shared/backoff.js';
import { isClusterUrl, parseClusterUrl, parseRedisUrl } from './redis-url.js';
import { registerScripts } from './scripts.js';

/** A client of one Redis or of a Redis Cluster: the same commands, routed by key slot on a cluster. */
export type RedisClient = Redis | Cluster;

/** Options of {@link createRedis}. */
export interface RedisClientOptions {
  /**
   * `server`: fail fast (no offline queue, short command timeout) so callers answer 503 instead of
   * hanging; `worker`: patient, for the persister and tools.
   */
  readonly role: 'server' | 'worker';
  /** Per-command timeout in ms (server role). */
  readonly commandTimeoutMs?: number;
  /** Name shown in CLIENT LIST. */
  readonly name?: string;
  /** Batch commands issued in the same tick into one write (server hot path). */
  readonly autoPipelining?: boolean;
}

/**
 * Create an ioredis client with the bundled scripts registered: a `Redis` for redis:// and
 * rediss://, a `Cluster` for redis+cluster:// (every key carries its template's hash tag, so each
 * script call and each MULTI stays in one slot).
 */
export function createRedis(url: string, opts: RedisClientOptions): RedisClient {
  parseRedisUrl(url);
  const server = opts.role === 'server';
  const options: RedisOptions = {
    connectionName: opts.name ?? `coupon-bench-${opts.role}`,
    lazyConnect: false,
    enableOfflineQueue: !server,
    enableAutoPipelining: opts.autoPipelining ?? server,
    maxRetriesPerRequest: server ? 0 : 20,
    commandTimeout: server ? (opts.commandTimeoutMs ?? 1000) : undefined,
    connectTimeout: server ? 500 : 5000,
    // Reconnect forever with a short capped backoff: serve recovers by itself when Redis returns.
    retryStrategy: (times) => backoffMs(times - 1, 50, server ? 500 : 2000),
    enableReadyCheck: true,
  };
  const client = isClusterUrl(url) ? createCluster(url, options, server) : new Redis(url, options);
  // Errors are surfaced through command rejections and `status`; an unhandled 'error' event would crash.
  client.on('error', () => undefined);
  registerScripts(client);
  return client;
}

/** Cluster options built from the single-node ones: per-node settings go in redisOptions. */
function createCluster(url: string, node: RedisOptions, server: boolean): Cluster {
  const addr = parseClusterUrl(url);
  const options: ClusterOptions = {
    redisOptions: {
      ...node,
      ...(addr.username !== undefined ? { username: addr.username } : {}),
      ...(addr.password !== undefined ? { password: addr.password } : {}),
    },
    enableOfflineQueue: node.enableOfflineQueue ?? true,
    enableAutoPipelining: node.enableAutoPipelining ?? false,
    enableReadyCheck: true,
    scaleReads: 'master',
    // A node that moved its slots or failed over: follow MOVED/ASK a few times, then give up.
    maxRedirections: server ? 3 : 16,
    retryDelayOnFailover: server ? 50 : 200,
    retryDelayOnClusterDown: server ? 50 : 200,
    retryDelayOnTryAgain: 50,
    slotsRefreshTimeout: server ? 500 : 2000,
    // Lost the whole cluster: keep trying with the same short capped backoff as a single Redis.
    clusterRetryStrategy: (times) => backoffMs(times - 1, 50, server ? 500 : 2000),
  };
  return new Cluster([...addr.seeds], options);
}
