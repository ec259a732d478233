import mysql from 'mysql2/promise';
import { parseMysqlUrl, type MysqlUrl } from './db-url.js';
import { redactUrl } from '../shared/redact-url.js';
import { ISSUED_TABLE, TEMPLATE_TABLE, toIssuedRow, toTemplateRow } from './schema.js';
import { assertSameRow, type StoredIssued } from './same-row.js';
import type { CouponStore, IssuedRow, TemplateRow } from './store.js';
import { StoreConnectError, describeDbError } from './store-errors.js';

const DEFAULT_POOL = 4;

/** The error of a failed connect, by the driver's code (exported for tests). */
export function connectError(err: unknown, where: string): StoreConnectError {
  const code = (err as { code?: string }).code ?? '';
  const msg = describeDbError(err);
  if (code === 'ER_ACCESS_DENIED_ERROR' || code === 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR' || code === 'ER_DBACCESS_DENIED_ERROR' || code === 'ER_NOT_SUPPORTED_AUTH_MODE') {
    return new StoreConnectError('E_DB_AUTH', `MySQL/MariaDB at ${where} refused the credentials: ${msg}`, err);
  }
  // Not there, or there but not taking connections now (too many connections, shutting down, offline mode).
  if (
    /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|PROTOCOL_CONNECTION_LOST|ER_CON_COUNT_ERROR|ER_SERVER_SHUTDOWN|ER_SERVER_OFFLINE_MODE)$/.test(
      code,
    )
  ) {
    return new StoreConnectError('E_DB_UNREACHABLE', `cannot reach MySQL/MariaDB at ${where}: ${msg}`, err);
  }
  return new StoreConnectError('E_DB_INIT', `MySQL/MariaDB at ${where}: ${msg}`, err);
}

/**
 * MySQL / MariaDB adapter (mysql2 pool). The database named in the URL is created if missing.
 * Inserts use a no-op upsert (`ON DUPLICATE KEY UPDATE coupon_id = coupon_id`), not INSERT IGNORE,
 * which would also swallow bad values and other errors.
 */
export class MysqlStore implements CouponStore {
  readonly engine = 'mysql' as const;
  readonly location: string;
  private readonly cfg: MysqlUrl;
  private readonly poolSize: number;
  private pool: mysql.Pool | undefined;

  constructor(url: string, opts: { poolSize?: number | undefined } = {}) {
    this.cfg = parseMysqlUrl(url);
    this.location = redactUrl(url);
    this.poolSize = this.cfg.pool ?? opts.poolSize ?? DEFAULT_POOL;
  }

  private get db(): mysql.Pool {
    if (!this.pool) throw new StoreConnectError('E_DB_INIT', `MySQL store ${this.location} is not initialised`);
    return this.pool;
  }

  async init(): Promise<void> {
    const base = { host: this.cfg.host, port: this.cfg.port, user: this.cfg.user, password: this.cfg.password, connectTimeout: 5000 };
    try {
      const conn = await mysql.createConnection(base);
      try {
        await conn.query(`CREATE DATABASE IF NOT EXISTS \`${this.cfg.database}\``);
      } finally {
        await conn.end().catch(() => undefined);
      }
      this.pool = mysql.createPool({
        ...base,
        database: this.cfg.database,
        connectionLimit: this.poolSize,
        // Without FOUND_ROWS, affectedRows counts only rows really inserted (a no-op upsert counts 0).
        flags: ['-FOUND_ROWS'],
        enableKeepAlive: true,
      });
      await this.pool.query(`CREATE TABLE IF NOT EXISTS ${TEMPLATE_TABLE} (
        template_id BIGINT       NOT NULL PRIMARY KEY,
        name        VARCHAR(255) NOT NULL,
        stock       BIGINT       NOT NULL,
        created_at  BIGINT       NOT NULL,
        CONSTRAINT stock_non_negative CHECK (stock >= 0)
      ) ENGINE=InnoDB`);
      await this.pool.query(`CREATE TABLE IF NOT EXISTS ${ISSUED_TABLE} (
        coupon_id   VARCHAR(64) NOT NULL PRIMARY KEY,
        template_id BIGINT      NOT NULL,
        user_id     BIGINT      NOT NULL,
        seq         BIGINT      NOT NULL,
        issued_at   BIGINT      NOT NULL,
        UNIQUE KEY uq_template_user (template_id, user_id),
        UNIQUE KEY uq_template_seq (template_id, seq)
      ) ENGINE=InnoDB`);
    } catch (err) {
      throw connectError(err, this.location);
    }
  }

  async upsertTemplate(t: TemplateRow): Promise<void> {
    await this.db.query(
      `INSERT INTO ${TEMPLATE_TABLE} (template_id, name, stock, created_at) VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE template_id = template_id`,
      [t.templateId, t.name, t.stock, t.createdAt],
    );
  }

  async getTemplate(templateId: number): Promise<TemplateRow | undefined> {
    const [rows] = await this.db.query(`SELECT * FROM ${TEMPLATE_TABLE} WHERE template_id = ?`, [templateId]);
    const row = (rows as Record<string, unknown>[])[0];
    return row && toTemplateRow(row);
  }

  async listTemplates(): Promise<TemplateRow[]> {
    const [rows] = await this.db.query(`SELECT * FROM ${TEMPLATE_TABLE} ORDER BY template_id`);
    return (rows as Record<string, unknown>[]).map(toTemplateRow);
  }

  async insertIssued(rows: readonly IssuedRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    const conn = await this.db.getConnection();
    try {
      await conn.beginTransaction();
      // One multi-row statement; `VALUES ?` expands the nested array client-side.
      const [res] = await conn.query(
        `INSERT INTO ${ISSUED_TABLE} (coupon_id, template_id, user_id, seq, issued_at) VALUES ? ON DUPLICATE KEY UPDATE coupon_id = coupon_id`,
        [rows.map((r) => [r.couponId, r.templateId, r.userId, r.seq, r.issuedAt])],
      );
      const added = (res as mysql.ResultSetHeader).affectedRows;
      if (added < rows.length) {
        // The upsert is a no-op on ANY unique key: check every skipped row is the very row stored,
        // so a second coupon for the same user (another coupon id) fails instead of vanishing.
        const [stored] = await conn.query(`SELECT coupon_id, template_id, user_id, seq FROM ${ISSUED_TABLE} WHERE coupon_id IN (?)`, [
          rows.map((r) => r.couponId),
        ]);
        const byId = new Map((stored as StoredIssued[]).map((s) => [s.coupon_id, s]));
        for (const r of rows) assertSameRow(r, byId.get(r.couponId));
      }
      await conn.commit();
      return added;
    } catch (err) {
      await conn.rollback().catch(() => undefined);
      throw err;
    } finally {
      conn.release();
    }
  }

  async countIssued(templateId: number): Promise<number> {
    const [rows] = await this.db.query(`SELECT COUNT(*) AS n FROM ${ISSUED_TABLE} WHERE template_id = ?`, [templateId]);
    return Number((rows as { n: number | string }[])[0]?.n ?? 0);
  }

  async *scanIssued(templateId: number, batchSize = 10_000): AsyncIterable<IssuedRow[]> {
    let after = 0;
    for (;;) {
      const [rows] = await this.db.query(
        `SELECT coupon_id, template_id, user_id, seq, issued_at FROM ${ISSUED_TABLE} WHERE template_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
        [templateId, after, batchSize],
      );
      const batch = (rows as Record<string, unknown>[]).map(toIssuedRow);
      if (batch.length === 0) return;
      after = batch[batch.length - 1]!.seq;
      yield batch;
      if (batch.length < batchSize) return;
    }
  }

  async truncate(): Promise<void> {
    await this.db.query(`DELETE FROM ${ISSUED_TABLE}`);
    await this.db.query(`DELETE FROM ${TEMPLATE_TABLE}`);
  }

  async close(): Promise<void> {
    const p = this.pool;
    this.pool = undefined;
    await p?.end().catch(() => undefined);
  }
}
