import { Redis, type RedisOptions } from 'ioredis';
import { parseRedisUrl } from './redis-url.js';
import { registerScripts } from './scripts.js';

export { parseRedisUrl } from './redis-url.js';

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
 * Create an ioredis client with the bundled scripts registered. Cluster support goes behind this
 * same factory later; every key already carries its template's hash tag.
 */
export function createRedis(url: string, opts: RedisClientOptions): Redis {
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
    retryStrategy: (times) => Math.min(50 * times, server ? 500 : 2000),
    enableReadyCheck: true,
  };
  const client = new Redis(url, options);
  // Errors are surfaced through command rejections and `status`; an unhandled 'error' event would crash.
  client.on('error', () => undefined);
  registerScripts(client);
  return client;
}
