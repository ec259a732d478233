import { CouponBenchError, UsageError } from '../errors.js';
import type { CouponStore } from '../store/store.js';
import { ISSUED_TABLE } from '../store/schema.js';
import { dbEngineOf, sqlitePathOf } from '../store/db-url.js';
import { redactUrl } from '../shared/redact-url.js';
import { bindTemplateQuery } from './db-query.js';
import { DbSnapshotBuilder } from './db-snapshot-builder.js';
import { issuedAtMs, queryError, resolveQueryColumns, type QueryColumns } from './query-columns.js';
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

/** A row of `--db-query`, as an array in the order of its columns. */
type QueryRow = unknown[];

/** Turns rows into snapshot rows once the columns are known by name. */
class QueryRowReader {
  private cols: QueryColumns | undefined;
  constructor(private readonly b: DbSnapshotBuilder) {}

  /** Called with the column names before any row (also for an empty result). */
  columns(names: readonly string[]): void {
    this.cols = resolveQueryColumns(names);
  }

  add(row: QueryRow): void {
    const cols = this.cols;
    if (!cols) throw queryError('the database returned rows without column names');
    const rawUser = row[cols.user];
    const user = typeof rawUser === 'string' && rawUser.trim() !== '' ? Number(rawUser) : typeof rawUser === 'number' || typeof rawUser === 'bigint' ? Number(rawUser) : NaN;
    if (!Number.isSafeInteger(user) || user <= 0) throw queryError(`user_id must be a positive integer, got ${JSON.stringify(rawUser)}`);
    const rawCoupon = row[cols.coupon];
    // Coupon ids are opaque: `1-17` is a foreign id, never read as template 1, seq 17.
    const coupon = rawCoupon === null || rawCoupon === undefined ? undefined : String(rawCoupon);
    let seq = cols.seq !== undefined ? Number(row[cols.seq]) : 0;
    if (!Number.isSafeInteger(seq) || seq <= 0) seq = 0;
    const at = cols.issuedAt !== undefined ? issuedAtMs(row[cols.issuedAt]) : undefined;
    this.b.add(user, seq, coupon, at);
  }
}

async function readSqliteQuery(path: string, sql: string, templateId: number, r: QueryRowReader): Promise<void> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const q = bindTemplateQuery(sql, templateId, 'question');
    const stmt = db.prepare(q.sql);
    if (!stmt.reader) throw queryError('the statement returns no rows (it must be a SELECT)');
    r.columns(stmt.columns().map((c) => c.name));
    // iterate() streams rows from the cursor instead of materialising them all.
    for (const row of stmt.raw(true).iterate(...q.params) as Iterable<QueryRow>) r.add(row);
  } finally {
    db.close();
  }
}

async function readPostgresQuery(dbUrl: string, sql: string, templateId: number, r: QueryRowReader): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: dbUrl });
  await client.connect();
  try {
    const q = bindTemplateQuery(sql, templateId, 'dollar');
    // A server-side cursor: rows arrive QUERY_BATCH at a time, so memory stays flat at any size.
    const { default: Cursor } = await import('pg-cursor');
    const cursor = client.query(new Cursor<QueryRow>(q.sql, q.params, { rowMode: 'array' }));
    const read = (): Promise<{ rows: QueryRow[]; names: string[] }> =>
      new Promise((resolve, reject) =>
        cursor.read(QUERY_BATCH, (err, rows, result) => (err ? reject(err) : resolve({ rows, names: (result?.fields ?? []).map((f) => f.name) }))),
      );
    try {
      let batch = await read();
      r.columns(batch.names);
      for (; batch.rows.length > 0; batch = await read()) for (const row of batch.rows) r.add(row);
    } finally {
      await cursor.close();
    }
  } finally {
    await client.end();
  }
}

async function readMysqlQuery(dbUrl: string, sql: string, templateId: number, r: QueryRowReader): Promise<void> {
  const { createConnection } = await import('mysql2');
  // The callback API: its queries stream (the promise API buffers whole results).
  const conn = createConnection(dbUrl.replace(/^mariadb:/, 'mysql:'));
  conn.on('error', () => undefined); // a later failure surfaces through the query itself
  let done = false;
  try {
    await new Promise<void>((resolve, reject) => conn.connect((err) => (err ? reject(err) : resolve())));
    const q = bindTemplateQuery(sql, templateId, 'question');
    let named = false;
    const query = conn.query({ sql: q.sql, rowsAsArray: true }, q.params);
    // Streamed row by row (with backpressure) rather than buffered whole.
    const stream = query.stream();
    query.on('fields', (fields: Array<{ name: string }> | undefined) => {
      if (named) return;
      named = true;
      try {
        r.columns((fields ?? []).map((f) => f.name));
      } catch (err) {
        // Thrown inside the driver's event it would be lost: end the stream with it instead.
        stream.destroy(err as Error);
      }
    });
    for await (const row of stream) {
      if (!named) throw queryError('the statement returns no rows (it must be a SELECT)');
      r.add(row as QueryRow);
    }
    if (!named) throw queryError('the statement returns no rows (it must be a SELECT)');
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

/**
 * Run another team's SQL (`--db-query`) for one template. Its columns are read by name: user_id,
 * coupon_id (an opaque string), and optionally seq and issued_at; its placeholder (`:template`,
 * `$1` or `?`) receives the template id.
 */
export async function readQueryTemplate(dbUrl: string, sql: string, templateId: number): Promise<DbSnapshot> {
  const sqlitePath = sqlitePathOf(dbUrl);
  const b = new DbSnapshotBuilder('query');
  const r = new QueryRowReader(b);
  try {
    if (sqlitePath !== undefined) await readSqliteQuery(sqlitePath, sql, templateId, r);
    else if (dbEngineOf(dbUrl) === 'postgres') await readPostgresQuery(dbUrl, sql, templateId, r);
    else await readMysqlQuery(dbUrl, sql, templateId, r);
  } catch (err) {
    if (err instanceof CouponBenchError) throw err;
    throw new UsageError(`--db-query on ${redactUrl(dbUrl)}: ${err instanceof Error ? err.message : String(err)}`, 'E_DB_QUERY');
  }
  return b.build();
}
