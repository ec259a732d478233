import { CouponBenchError, UsageError } from '../errors.js';
import { parseCouponId } from '../model/coupon-id.js';
import type { CouponStore } from '../store/store.js';
import { ISSUED_TABLE } from '../store/schema.js';
import { dbEngineOf, redactUrl, sqlitePathOf } from '../store/db-url.js';
import { bindTemplateQuery } from './db-query.js';
import { DbSnapshotBuilder } from './db-snapshot-builder.js';
import type { DbSnapshot } from './snapshot.js';

/**
 * SQLite fast path: a read-only connection iterating raw [user_id, seq] arrays, about three times
 * faster than row objects for a million rows (the store's scan builds two objects per row).
 */
async function readSqliteRows(path: string, templateId: number, b: DbSnapshotBuilder): Promise<void> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const stmt = db.prepare(`SELECT user_id, seq FROM ${ISSUED_TABLE} WHERE template_id = ?`).raw(true);
    for (const row of stmt.iterate(templateId) as Iterable<[number, number]>) b.add(row[0], row[1]);
  } finally {
    db.close();
  }
}

/** Read one template's rows from the bundled schema (the store's ordered batches; raw rows on SQLite). */
export async function readStoreTemplate(store: CouponStore, templateId: number): Promise<DbSnapshot> {
  const expected = await store.countIssued(templateId);
  const b = new DbSnapshotBuilder('store', expected);
  if (store.engine === 'sqlite' && store.location !== ':memory:') {
    await readSqliteRows(store.location, templateId, b);
  } else {
    for await (const batch of store.scanIssued(templateId, 20_000)) {
      for (const row of batch) b.add(row.userId, row.seq);
    }
  }
  const t = await store.getTemplate(templateId);
  return b.build(t?.stock);
}

/** Rows fetched per round trip from a PostgreSQL cursor. */
const QUERY_BATCH = 10_000;

/** A row of `--db-query`: user id, coupon id, and optionally seq. */
type QueryRow = unknown[];

function addQueryRow(b: DbSnapshotBuilder, row: QueryRow): void {
  const user = Number(row[0]);
  if (!Number.isSafeInteger(user)) {
    throw new CouponBenchError('E_DB_QUERY', `--db-query: first column must be the user id, got ${JSON.stringify(row[0])}`);
  }
  let seq = row.length > 2 ? Number(row[2]) : NaN;
  if (!Number.isSafeInteger(seq) || seq <= 0) seq = row[1] !== undefined && row[1] !== null ? (parseCouponId(String(row[1]))?.seq ?? 0) : 0;
  b.add(user, seq);
}

/**
 * Run another team's SQL (`--db-query`) for one template. The query returns user id, coupon id
 * and optionally seq; its placeholder (`:template`, `$1` or `?`) receives the template id.
 */
export async function readQueryTemplate(dbUrl: string, sql: string, templateId: number): Promise<DbSnapshot> {
  const engine = dbEngineOf(dbUrl);
  const sqlitePath = sqlitePathOf(dbUrl);
  const b = new DbSnapshotBuilder('query');
  try {
    if (sqlitePath !== undefined) {
      const { default: Database } = await import('better-sqlite3');
      const db = new Database(sqlitePath, { readonly: true, fileMustExist: true });
      try {
        const q = bindTemplateQuery(sql, templateId, 'question');
        // iterate() streams rows from the cursor instead of materialising them all.
        for (const row of db.prepare(q.sql).raw(true).iterate(...q.params) as Iterable<QueryRow>) addQueryRow(b, row);
      } finally {
        db.close();
      }
    } else if (engine === 'postgres') {
      const { default: pg } = await import('pg');
      const client = new pg.Client({ connectionString: dbUrl });
      await client.connect();
      try {
        const q = bindTemplateQuery(sql, templateId, 'dollar');
        // A server-side cursor: rows arrive QUERY_BATCH at a time, so memory stays flat at any size.
        const { default: Cursor } = await import('pg-cursor');
        const cursor = client.query(new Cursor<QueryRow>(q.sql, q.params, { rowMode: 'array' }));
        try {
          for (let rows = await cursor.read(QUERY_BATCH); rows.length > 0; rows = await cursor.read(QUERY_BATCH)) {
            for (const row of rows) addQueryRow(b, row);
          }
        } finally {
          await cursor.close();
        }
      } finally {
        await client.end();
      }
    } else {
      const { createConnection } = await import('mysql2');
      // The callback API: its queries stream (the promise API buffers whole results).
      const conn = createConnection(dbUrl.replace(/^mariadb:/, 'mysql:'));
      conn.on('error', () => undefined); // a later failure surfaces through the query itself
      let done = false;
      try {
        await new Promise<void>((resolve, reject) => conn.connect((err) => (err ? reject(err) : resolve())));
        const q = bindTemplateQuery(sql, templateId, 'question');
        // Streamed row by row (with backpressure) rather than buffered whole.
        const rows = conn.query({ sql: q.sql, rowsAsArray: true }, q.params).stream();
        for await (const row of rows) addQueryRow(b, row as QueryRow);
        done = true;
      } finally {
        // A query left half-read (a bad row) would keep the connection busy: drop it instead.
        if (done)
          await new Promise<void>((resolve) =>
            conn.end((err) => {
              if (err) conn.destroy();
              resolve();
            }),
          );
        else conn.destroy();
      }
    }
  } catch (err) {
    if (err instanceof CouponBenchError) throw err;
    throw new UsageError(`--db-query on ${redactUrl(dbUrl)}: ${err instanceof Error ? err.message : String(err)}`, 'E_DB_QUERY');
  }
  return b.build();
}
