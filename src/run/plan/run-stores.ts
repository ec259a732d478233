import { UsageError } from '../../errors.js';
import type { RunReport } from '../../model/report.js';
import { validateStoreUrls } from '../../store/store-urls.js';
import { checkForeignFlags } from '../../verify/foreign-keys.js';

/** The store flags of `run` (`--redis`, `--db`, `--prefix`), as given. */
export type RunStores = NonNullable<RunReport['stores']>;

/**
 * Check `run`'s target and store flags before anything starts. With `serve`, the bundled server is
 * the target (so a `--target` as well is a contradiction, not something to ignore) and the store
 * flags are the server's own; without it they name the target's stores for verify. Either way a
 * malformed URL or prefix fails here, not after the load.
 */
export function checkRunStores(opts: { serve: boolean; target: string | undefined; stores: RunStores | undefined }): void {
  if (opts.serve && opts.target !== undefined) {
    throw new UsageError(`--target ${opts.target} cannot be used with --serve: --serve sends the load to the server it starts (drop one of them)`, 'E_USAGE');
  }
  if (opts.stores) validateStoreUrls(opts.stores);
  // A served run's stores are the server's own (its private Redis and SQLite by default).
  const s = opts.stores ?? {};
  checkForeignFlags(s, { redis: opts.serve || s.redis !== undefined, db: opts.serve || s.db !== undefined });
}
