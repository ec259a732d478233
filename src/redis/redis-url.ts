import { UsageError } from '../errors.js';

/** Validate a redis:// or rediss:// URL; throws a UsageError naming the problem. Free of ioredis. */
export function parseRedisUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--redis: "${url}" is not a URL (expected redis://host:port)`, 'E_BAD_REDIS_URL');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new UsageError(`--redis: unsupported scheme "${parsed.protocol}" (expected redis:// or rediss://)`, 'E_BAD_REDIS_URL');
  }
  return parsed;
}
