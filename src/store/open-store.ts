import type { CouponStore } from './store.js';
import { StoreConnectError } from './store-errors.js';
import { dbEngineOf, sqliteFileOf } from './db-url.js';

/** Default embedded database when `--db` is not given. */
export const DEFAULT_DB_URL = 'sqlite:./coupon-bench.sqlite';

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /** connection pool size for postgres/mysql (a `?pool=` in the URL wins); default 4 */
  poolSize?: number | undefined;
}

/** Open (and initialise) the store a `--db` URL names. Heavy drivers are imported lazily. */
export async function openStore(url: string, opts: OpenStoreOptions = {}): Promise<CouponStore> {
  const engine = dbEngineOf(url);
  let store: CouponStore;
  switch (engine) {
    case 'sqlite': {
      const path = sqliteFileOf(url);
      const { SqliteStore } = await import('./sqlite-store.js');
      try {
        store = new SqliteStore(path);
      } catch (err) {
        // A folder, a non-SQLite file or an unwritable place: one clear line, not a driver stack.
        throw new StoreConnectError('E_DB_INIT', `cannot open SQLite database at ${path}: ${err instanceof Error ? err.message : String(err)}`, err);
      }
      break;
    }
    case 'postgres': {
      const { PostgresStore } = await import('./postgres-store.js');
      store = new PostgresStore(url, opts);
      break;
    }
    case 'mysql': {
      const { MysqlStore } = await import('./mysql-store.js');
      store = new MysqlStore(url, opts);
      break;
    }
  }
  try {
    await store.init();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  return store;
}
