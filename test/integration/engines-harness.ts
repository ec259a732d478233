/** Helpers for the engine-parameterised serve tests: a server harness on a database of its own. */
import type { ServeOptions } from '../../src/server/serve-options.js';
import type { StoreEngine } from '../../src/store/store.js';
import { call, startHarness, type Harness } from './server-harness.js';
import { testDb, type TestDb } from './store-test-db.js';

/** The three engines the engine tests run on. */
export const ENGINES: readonly StoreEngine[] = ['sqlite', 'postgres', 'mysql'];

/** A server harness whose database is `db` (reached at `dbUrl`, e.g. through a proxy). */
export interface EngineHarness extends Harness {
  db: TestDb;
}

/**
 * Start a server (shared Redis, unique prefix) on a fresh database of `engine`: SQLite temp file,
 * PostgreSQL schema or MySQL/MariaDB database. `close()` stops it and drops the database.
 * With `viaPort` the server reaches the database through that port (a cuttable proxy); checks
 * should use `db.url`, the direct connection.
 */
export async function startEngineHarness(
  engine: StoreEngine,
  over: Partial<ServeOptions> = {},
  tag = 'eng',
  opts: { db?: TestDb; viaPort?: number } = {},
): Promise<EngineHarness> {
  const db = opts.db ?? testDb(engine);
  let h: Harness;
  try {
    h = await startHarness({ ...over, dbUrl: opts.viaPort === undefined ? db.url : db.viaPort(opts.viaPort) }, `${tag}-${engine}`);
  } catch (err) {
    await db.drop().catch(() => undefined);
    throw err;
  }
  // The harness' own dbUrl names its unused temp SQLite file: point checks at this engine instead.
  return {
    ...h,
    dbUrl: db.url,
    db,
    async close() {
      try {
        await h.close();
      } finally {
        await db.drop();
      }
    },
  };
}

/** One gauge or counter value (no labels) from the server's /metrics, undefined when absent. */
export async function metricValue(h: Harness, name: string): Promise<number | undefined> {
  const m = await call(h.pool, 'GET', '/metrics');
  const line = new RegExp(`^${name} (\\S+)$`, 'm').exec(m.text);
  return line ? Number(line[1]) : undefined;
}
