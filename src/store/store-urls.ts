import { UsageError } from '../errors.js';
import { isValidPrefix } from '../redis/keys.js';
import { parseRedisUrl } from '../redis/redis-url.js';
import { validateDbUrl } from './db-url.js';

/** The stores a command is told to read: `--redis`, `--db`, `--prefix` (or the same fields of a report). */
export interface StoreUrls {
  redis?: string | undefined;
  db?: string | undefined;
  prefix?: string | undefined;
}

/**
 * Check the stores a command names before it does any work: a malformed URL or prefix is a usage
 * error (exit 1, `E_BAD_REDIS_URL`, `E_BAD_DB_URL`, `E_BAD_PREFIX`), never "unreachable" found
 * out later. `where` names the source when it is not the command line (e.g. a report's path).
 */
export function validateStoreUrls(s: StoreUrls, where?: string): void {
  try {
    if (s.redis !== undefined) parseRedisUrl(s.redis);
    if (s.db !== undefined) validateDbUrl(s.db);
    if (s.prefix !== undefined && !isValidPrefix(s.prefix)) {
      throw new UsageError(`--prefix: "${s.prefix}" must be 1-64 of A-Z a-z 0-9 : _ . -`, 'E_BAD_PREFIX');
    }
  } catch (err) {
    if (where !== undefined && err instanceof UsageError) throw new UsageError(`${where}: ${err.message}`, err.code);
    throw err;
  }
}
