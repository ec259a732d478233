import { UsageError } from '../errors.js';
import { redactUrl } from '../shared/redact-url.js';

/** Scheme of a Redis Cluster address: `redis+cluster://host:port,host:port` (seed nodes). */
export const CLUSTER_SCHEME = 'redis+cluster:';

/** One seed node of a cluster URL. */
export interface ClusterSeed {
  readonly host: string;
  readonly port: number;
}

/** A cluster URL taken apart: its seed nodes and the credentials every node shares. */
export interface ClusterAddress {
  readonly seeds: readonly ClusterSeed[];
  readonly username?: string;
  readonly password?: string;
}

/** True for a `redis+cluster://` address. */
export function isClusterUrl(url: string): boolean {
  return url.startsWith(`${CLUSTER_SCHEME}//`);
}

/**
 * Validate a redis://, rediss:// or redis+cluster:// URL; throws a UsageError naming the problem.
 * Free of ioredis.
 */
export function parseRedisUrl(url: string): void {
  if (isClusterUrl(url)) {
    parseClusterUrl(url);
    return;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--redis: "${url}" is not a URL (expected redis://host:port)`, 'E_BAD_REDIS_URL');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new UsageError(
      `--redis: unsupported scheme "${parsed.protocol}" (expected redis://, rediss:// or redis+cluster://host:port,host:port)`,
      'E_BAD_REDIS_URL',
    );
  }
  // ioredis would connect to 127.0.0.1:6379 for a URL with no host: never someone else's Redis by default.
  if (parsed.hostname === '') throw new UsageError(`--redis: "${url}" has no host (expected redis://host:port)`, 'E_BAD_REDIS_URL');
  if (parsed.port === '0') throw new UsageError(`--redis: "${url}": port 0 is not a Redis port`, 'E_BAD_REDIS_URL');
  // The path is the database index: ioredis would send SELECT NaN for anything but digits.
  const db = parsed.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d{1,9}$/.test(db)) {
    throw new UsageError(`--redis: "${redactUrl(url)}": the path must be a database index (redis://host:port/0), got "/${db}"`, 'E_BAD_REDIS_URL');
  }
}

/**
 * Seed nodes of `redis+cluster://[user:pass@]host:port[,host:port…]` (no path: a cluster has one
 * database). Every seed needs an explicit port; IPv6 hosts go in brackets.
 */
export function parseClusterUrl(url: string): ClusterAddress {
  const bad = (why: string): never => {
    throw new UsageError(`--redis: "${url}" is not a cluster address: ${why} (expected redis+cluster://host:port,host:port)`, 'E_BAD_REDIS_URL');
  };
  if (!isClusterUrl(url)) bad('it does not start with redis+cluster://');
  let rest = url.slice(CLUSTER_SCHEME.length + 2);
  let username: string | undefined;
  let password: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const cred = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = cred.indexOf(':');
    try {
      if (colon < 0) password = decodeURIComponent(cred);
      else {
        username = decodeURIComponent(cred.slice(0, colon)) || undefined;
        password = decodeURIComponent(cred.slice(colon + 1));
      }
    } catch {
      bad('its credentials are not URL-encoded');
    }
  }
  rest = rest.replace(/\/$/, '');
  if (/[/?#]/.test(rest)) bad('a cluster address takes no path or query');
  const seeds = rest.split(',').map((part): ClusterSeed => {
    const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(part);
    if (!m) return bad(`"${part}" is not host:port`);
    const port = Number(m[2]);
    if (port < 1 || port > 65535) bad(`port ${port} is out of range`);
    return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
  });
  return { seeds, ...(username !== undefined ? { username } : {}), ...(password !== undefined ? { password } : {}) };
}
