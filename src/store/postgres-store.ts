import pg from 'pg';
import { parsePostgresUrl } from './db-url.js';
import { redactUrl } from '../shared/redact-url.js';
import { ISSUED_TABLE, TEMPLATE_TABLE, toIssuedRow, toTemplateRow } from './schema.js';
import { assertSameRow, type StoredIssued } from './same-row.js';
import type { CouponStore, IssuedRow, TemplateRow } from './store.js';
import { StoreConnectError, describeDbError } from './store-errors.js';

const DEFAULT_POOL = 4;

/** Map a connect-time failure to a typed error with a one-line message. */
function connectError(err: unknown, where: string): StoreConnectError {
  const code = (err as { code?: string }).code ?? '';
  const msg = describeDbError(err);
  if (code === '28P01' || code === '28000') return new StoreConnectError('E_DB_AUTH', `PostgreSQL at ${where} refused the credentials: ${msg}`, err);
  if (code === '3D000') return new StoreConnectError('E_DB_NOT_FOUND', `PostgreSQL at ${where}: ${msg}`, err);
  // Not there, or there but not taking connections now: starting up, shutting down, in recovery
  // (57P0x), out of connection slots (53300), or a connection exception (08xxx; not 08P01, a
  // protocol violation).
  if (
    /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|57P01|57P02|57P03|53300)$/.test(code) ||
    /^08[0-9]{3}$/.test(code) ||
    /timeout|terminated/i.test(msg)
  ) {
    return new StoreConnectError('E_DB_UNREACHABLE', `cannot reach PostgreSQL at ${where}: ${msg}`, err);
  }
  return new StoreConnectError('E_DB_INIT', `PostgreSQL at ${where}: ${msg}`, err);
}

/** PostgreSQL adapter (pg Pool). `?schema=name` selects (and creates) a schema; `?pool=n` sizes the pool. */
export class PostgresStore implements CouponStore {
  readonly engine = 'postgres' as const;
  readonly location: string;
  readonly schema: string;
  private readonly pool: pg.Pool;
  private readonly issued: string;
  private readonly template: string;

  constructor(url: string, opts: { poolSize?: number | undefined } = {}) {
    const p = parsePostgresUrl(url);
    this.location = redactUrl(url);
    this.schema = p.schema;
    this.issued = `"${p.schema}".${ISSUED_TABLE}`;
    this.template = `"${p.schema}".${TEMPLATE_TABLE}`;
    this.pool = new pg.Pool({
      connectionString: p.connectionString,
      max: p.pool ?? opts.poolSize ?? DEFAULT_POOL,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30_000,
      application_name: 'coupon-bench',
    });
    // An idle client losing its connection emits 'error' on the pool; the next query reconnects.
    this.pool.on('error', () => undefined);
  }

  async init(): Promise<void> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw connectError(err, this.location);
    }
    try {
      await client.query('BEGIN');
      // Serialise concurrent first-use initialisers (CREATE ... IF NOT EXISTS is not race-free).
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`coupon-bench:${this.schema}`]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${this.template} (
        template_id BIGINT PRIMARY KEY,
        name        TEXT   NOT NULL,
        stock       BIGINT NOT NULL CHECK (stock >= 0),
        created_at  BIGINT NOT NULL)`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${this.issued} (
        coupon_id   TEXT   PRIMARY KEY,
        template_id BIGINT NOT NULL,
        user_id     BIGINT NOT NULL,
        seq         BIGINT NOT NULL,
        issued_at   BIGINT NOT NULL,
        UNIQUE (template_id, user_id),
        UNIQUE (template_id, seq))`);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw connectError(err, this.location);
    } finally {
      client.release();
    }
  }

  async upsertTemplate(t: TemplateRow): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.template} (template_id, name, stock, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (template_id) DO NOTHING`,
      [t.templateId, t.name, t.stock, t.createdAt],
    );
  }

  async getTemplate(templateId: number): Promise<TemplateRow | undefined> {
    const r = await this.pool.query(`SELECT * FROM ${this.template} WHERE template_id = $1`, [templateId]);
    const row = r.rows[0] as Record<string, unknown> | undefined;
    return row && toTemplateRow(row);
  }

  async listTemplates(): Promise<TemplateRow[]> {
    const r = await this.pool.query(`SELECT * FROM ${this.template} ORDER BY template_id`);
    return (r.rows as Record<string, unknown>[]).map(toTemplateRow);
  }

  async insertIssued(rows: readonly IssuedRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    const ids = rows.map((r) => r.couponId);
    // One statement is one transaction (autocommit): all rows or none, in a single round trip.
    // unnest(): five array parameters whatever the batch size (a VALUES list would need 5 per row).
    // Only a repeated coupon id is skipped; a second coupon for a user or seq raises 23505.
    const res = await this.pool.query(
      `INSERT INTO ${this.issued} (coupon_id, template_id, user_id, seq, issued_at)
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[])
       ON CONFLICT (coupon_id) DO NOTHING`,
      [ids, rows.map((r) => r.templateId), rows.map((r) => r.userId), rows.map((r) => r.seq), rows.map((r) => r.issuedAt)],
    );
    const added = res.rowCount ?? 0;
    if (added < rows.length) {
      // Redelivery: every skipped row must be the very row already stored.
      const stored = await this.pool.query(`SELECT coupon_id, template_id, user_id, seq FROM ${this.issued} WHERE coupon_id = ANY($1::text[])`, [ids]);
      const byId = new Map((stored.rows as StoredIssued[]).map((s) => [s.coupon_id, s]));
      for (const r of rows) assertSameRow(r, byId.get(r.couponId));
    }
    return added;
  }

  async countIssued(templateId: number): Promise<number> {
    const r = await this.pool.query(`SELECT COUNT(*) AS n FROM ${this.issued} WHERE template_id = $1`, [templateId]);
    // BIGINT (int8) values come back as strings; every count fits a safe integer.
    return Number((r.rows[0] as { n: string }).n);
  }

  async *scanIssued(templateId: number, batchSize = 10_000): AsyncIterable<IssuedRow[]> {
    let after = 0; // seqs are >= 1
    for (;;) {
      const r = await this.pool.query(
        `SELECT coupon_id, template_id, user_id, seq, issued_at FROM ${this.issued} WHERE template_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
        [templateId, after, batchSize],
      );
      const batch = (r.rows as Record<string, unknown>[]).map(toIssuedRow);
      if (batch.length === 0) return;
      after = batch[batch.length - 1]!.seq;
      yield batch;
      if (batch.length < batchSize) return;
    }
  }

  async truncate(): Promise<void> {
    await this.pool.query(`TRUNCATE ${this.issued}, ${this.template}`);
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}
