import { UsageError } from '../errors.js';
import type { CouponStore } from './store.js';

/** Default embedded database when `--db` is not given. */
export const DEFAULT_DB_URL = 'sqlite:./coupon-bench.sqlite';

/** Which engine a `--db` URL names; throws a UsageError for anything else. */
export function dbEngineOf(url: string): 'sqlite' | 'postgres' | 'mysql' {
  if (url.startsWith('sqlite:')) return 'sqlite';
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return 'postgres';
  if (url.startsWith('mysql://') || url.startsWith('mariadb://')) return 'mysql';
  throw new UsageError(
    `--db: unsupported URL "${redactUrl(url)}" (expected sqlite:<path>, postgres://… or mysql://…)`,
    'E_BAD_DB_URL',
  );
}

/** The URL without its password, for messages and reports. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
}

/** Open (and initialise) the store a `--db` URL names. Heavy drivers are imported lazily. */
export async function openStore(url: string): Promise<CouponStore> {
  const engine = dbEngineOf(url);
  let store: CouponStore;
  switch (engine) {
    case 'sqlite': {
      const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
      if (path === '') throw new UsageError('--db: sqlite: URL needs a path, e.g. sqlite:./coupons.sqlite', 'E_BAD_DB_URL');
      const { SqliteStore } = await import('./sqlite-store.js');
      store = new SqliteStore(path);
      break;
    }
    case 'postgres':
    case 'mysql':
      throw new UsageError(`--db: the ${engine} store is not available yet`, 'E_BAD_DB_URL');
  }
  await store.init();
  return store;
}
