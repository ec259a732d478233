import { UsageError } from '../errors.js';
import { dbEngineOf, sqlitePathOf } from './open-store.js';

/**
 * Check a `--db` URL the way opening it would, without connecting: the engine, a SQLite path, and
 * PostgreSQL's or MySQL's own parameters (the URL parsers live with their drivers, loaded lazily).
 * Throws the same UsageError (E_BAD_DB_URL) a store would throw at start.
 */
export async function checkDbUrl(url: string): Promise<void> {
  switch (dbEngineOf(url)) {
    case 'sqlite':
      if (sqlitePathOf(url) === '') {
        throw new UsageError('--db: sqlite: URL needs a path, e.g. sqlite:./coupons.sqlite', 'E_BAD_DB_URL');
      }
      return;
    case 'postgres': {
      const { parsePostgresUrl } = await import('./postgres-store.js');
      parsePostgresUrl(url);
      return;
    }
    case 'mysql': {
      const { parseMysqlUrl } = await import('./mysql-store.js');
      parseMysqlUrl(url);
      return;
    }
  }
}
