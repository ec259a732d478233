import { UsageError } from '../errors.js';
import type { RunReport } from '../model/report.js';
import { parseRedisUrl } from '../redis/client.js';
import { isValidPrefix } from '../redis/keys.js';
import { checkDbUrl } from '../store/check-db-url.js';

/** The store flags of `run` (`--redis`, `--db`, `--prefix`), as given. */
export type RunStores = NonNullable<RunReport['stores']>;

/**
 * Check `run`'s target and store flags before anything starts. With `serve`, the bundled server is
 * the target (so a `--target` as well is a contradiction, not something to ignore) and the store
 * flags are the server's own; without it they name the target's stores for verify. Either way a
 * malformed URL or prefix fails here, not after the load.
 */
export async function checkRunStores(opts: { serve: boolean; target: string | undefined; stores: RunStores | undefined }): Promise<void> {
  if (opts.serve && opts.target !== undefined) {
    throw new UsageError(`--target ${opts.target} cannot be used with --serve: --serve sends the load to the server it starts (drop one of them)`, 'E_USAGE');
  }
  const s = opts.stores;
  if (s?.redis !== undefined) parseRedisUrl(s.redis);
  if (s?.db !== undefined) await checkDbUrl(s.db);
  if (s?.prefix !== undefined && !isValidPrefix(s.prefix)) {
    throw new UsageError(`--prefix: "${s.prefix}" must be 1-64 of A-Z a-z 0-9 : _ . -`, 'E_BAD_PREFIX');
  }
}
