import { existsSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { dbEngineOf, parseMysqlUrl, parsePostgresUrl, sqlitePathOf } from '../store/db-url.js';
import { redactUrl } from '../shared/redact-url.js';
import { ISSUED_TABLE } from '../store/schema.js';

/** Columns of the bundled issued table that verify reads. */
const NEEDED = ['template_id', 'user_id', 'seq'];

/** What a database holds: how many tables (in the schema or database named), and the issued table's columns. */
interface Probe {
  tables: number;
  issued: string[];
}

const TABLES_SQL = (p: string) => `SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = ${p}`;
const COLUMNS_SQL = (p1: string, p2: string) => `SELECT column_name AS c FROM information_schema.columns WHERE table_schema = ${p1} AND table_name = ${p2}`;

/**
 * Read, without creating anything, what verify needs to know about a database; undefined when it
 * is not there yet or does not answer (the audit judges that later).
 */
async function probe(url: string): Promise<Probe | undefined> {
  const sqlitePath = sqlitePathOf(url);
  try {
    if (sqlitePath !== undefined) {
      if (!existsSync(sqlitePath)) return undefined;
      const { default: Database } = await import('better-sqlite3');
      const db = new Database(sqlitePath, { readonly: true, fileMustExist: true });
      try {
        const tables = (db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number }).n;
        const issued = (db.prepare(`PRAGMA table_info(${ISSUED_TABLE})`).all() as Array<{ name: string }>).map((c) => c.name);
        return { tables, issued };
      } finally {
        db.close();
      }
    }
    if (dbEngineOf(url) === 'postgres') {
      const p = parsePostgresUrl(url);
      const { default: pg } = await import('pg');
      const client = new pg.Client({ connectionString: p.connectionString, connectionTimeoutMillis: 5000 });
      await client.connect();
      try {
        const t = await client.query<{ n: string }>(TABLES_SQL('$1'), [p.schema]);
        const c = await client.query<{ c: string }>(COLUMNS_SQL('$1', '$2'), [p.schema, ISSUED_TABLE]);
        return { tables: Number(t.rows[0]?.n ?? 0), issued: c.rows.map((r) => r.c) };
      } finally {
        await client.end();
      }
    }
    const m = parseMysqlUrl(url.replace(/^mariadb:/, 'mysql:'));
    const mysql = await import('mysql2/promise');
    const conn = await mysql.createConnection({ host: m.host, port: m.port, user: m.user, password: m.password, connectTimeout: 5000 });
    try {
      const [t] = await conn.query(TABLES_SQL('?'), [m.database]);
      const [c] = await conn.query(COLUMNS_SQL('?', '?'), [m.database, ISSUED_TABLE]);
      return { tables: Number((t as Array<{ n: number }>)[0]?.n ?? 0), issued: (c as Array<{ c: string }>).map((r) => r.c) };
    } finally {
      await conn.end();
    }
  } catch {
    return undefined;
  }
}

/**
 * Before a load whose audit reads `--db` through the bundled schema (no --db-query): a database
 * whose `issued_coupon` table has other columns, or that holds tables but not that one, is another
 * service's and cannot be read that way. Refused with one line (E_DB_QUERY, exit 1) before the
 * load, never a crash after it. A database not there yet, empty, or not answering is left to the audit.
 */
export async function assertBundledSchema(url: string): Promise<void> {
  const p = await probe(url);
  if (!p || p.tables === 0) return;
  const cols = p.issued.map((c) => c.toLowerCase());
  const missing = NEEDED.filter((c) => !cols.includes(c));
  if (missing.length === 0) return;
  const what = cols.length ? `its ${ISSUED_TABLE} table has no ${missing.join(', ')} column` : `it has no coupon-bench ${ISSUED_TABLE} table`;
  throw new UsageError(
    `--db ${redactUrl(url)}: ${what}: read another service's database with --db-query 'SELECT … AS user_id, … AS coupon_id FROM … WHERE … = :template'`,
    'E_DB_QUERY',
  );
}
