import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { ISSUED_TABLE, SQLITE_SCHEMA, TEMPLATE_TABLE } from './schema.js';
import type { CouponStore, IssuedRow, TemplateRow } from './store.js';
import { assertSameRow } from './same-row.js';
import { folderProblem } from '../output-path.js';

/** Rows per multi-row INSERT (5 parameters each; SQLite allows 32,766). */
const CHUNK = 100;

interface IssuedDbRow {
  coupon_id: string;
  template_id: number;
  user_id: number;
  seq: number;
  issued_at: number;
}
interface TemplateDbRow {
  template_id: number;
  name: string;
  stock: number;
  created_at: number;
}

const toTemplate = (r: TemplateDbRow): TemplateRow => ({
  templateId: r.template_id,
  name: r.name,
  stock: r.stock,
  createdAt: r.created_at,
});

/**
 * SQLite adapter (better-sqlite3, synchronous). Callers on the HTTP event loop keep batches small;
 * the persister runs it in a worker thread.
 */
export class SqliteStore implements CouponStore {
  readonly engine = 'sqlite' as const;
  readonly location: string;
  private readonly db: Database.Database;
  private readonly insertStmt: Database.Statement<unknown[]>;
  private readonly insertMany: (rows: readonly IssuedRow[]) => number;

  constructor(path: string) {
    this.location = path === ':memory:' ? path : resolve(path);
    if (path !== ':memory:') {
      // One level at a time: a recursive mkdir never returns under /proc.
      const why = folderProblem(dirname(this.location));
      if (why !== undefined) throw new Error(why);
    }
    this.db = new Database(this.location);
    this.db.pragma('journal_mode = WAL');
    // FULL: a committed batch survives power loss before the persister XACKs it.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SQLITE_SCHEMA);
    const insertSql = (n: number): string =>
      `INSERT INTO ${ISSUED_TABLE} (coupon_id, template_id, user_id, seq, issued_at) VALUES ${Array(n).fill('(?, ?, ?, ?, ?)').join(', ')} ON CONFLICT (coupon_id) DO NOTHING`;
    this.insertStmt = this.db.prepare(insertSql(1));
    // One statement per CHUNK rows: binding and stepping a prepared statement per row costs more
    // than the B-tree work itself.
    const chunkStmt = this.db.prepare(insertSql(CHUNK));
    const params: (string | number)[] = new Array<string | number>(CHUNK * 5);
    // Only a repeat of the same coupon id is a harmless redelivery; a second coupon for a user or
    // seq must fail loudly (UNIQUE constraint error), and a repeated id must carry the same row.
    const existing = this.db.prepare(`SELECT * FROM ${ISSUED_TABLE} WHERE coupon_id = ?`);
    const checkSkipped = (rows: readonly IssuedRow[], from: number, to: number): void => {
      for (let i = from; i < to; i++) assertSameRow(rows[i]!, existing.get(rows[i]!.couponId) as IssuedDbRow | undefined);
    };
    this.insertMany = this.db.transaction((rows: readonly IssuedRow[]) => {
      let added = 0;
      let i = 0;
      for (; i + CHUNK <= rows.length; i += CHUNK) {
        for (let j = 0; j < CHUNK; j++) {
          const r = rows[i + j]!;
          const k = j * 5;
          params[k] = r.couponId;
          params[k + 1] = r.templateId;
          params[k + 2] = r.userId;
          params[k + 3] = r.seq;
          params[k + 4] = r.issuedAt;
        }
        const n = chunkStmt.run(params).changes;
        added += n;
        // Some rows were already there (redelivery): each must be the very row stored.
        if (n < CHUNK) checkSkipped(rows, i, i + CHUNK);
      }
      for (; i < rows.length; i++) {
        const r = rows[i]!;
        const n = this.insertStmt.run(r.couponId, r.templateId, r.userId, r.seq, r.issuedAt).changes;
        added += n;
        if (n === 0) checkSkipped(rows, i, i + 1);
      }
      return added;
    });
  }

  async init(): Promise<void> {
    // Schema is created in the constructor (synchronous engine).
  }

  async upsertTemplate(t: TemplateRow): Promise<void> {
    this.db
      .prepare(`INSERT INTO ${TEMPLATE_TABLE} (template_id, name, stock, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (template_id) DO NOTHING`)
      .run(t.templateId, t.name, t.stock, t.createdAt);
  }

  async getTemplate(templateId: number): Promise<TemplateRow | undefined> {
    const row = this.db.prepare(`SELECT * FROM ${TEMPLATE_TABLE} WHERE template_id = ?`).get(templateId) as TemplateDbRow | undefined;
    return row && toTemplate(row);
  }

  async listTemplates(): Promise<TemplateRow[]> {
    return (this.db.prepare(`SELECT * FROM ${TEMPLATE_TABLE} ORDER BY template_id`).all() as TemplateDbRow[]).map(toTemplate);
  }

  async insertIssued(rows: readonly IssuedRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    return this.insertMany(rows);
  }

  async countIssued(templateId: number): Promise<number> {
    const r = this.db.prepare(`SELECT COUNT(*) AS n FROM ${ISSUED_TABLE} WHERE template_id = ?`).get(templateId) as { n: number };
    return r.n;
  }

  async *scanIssued(templateId: number, batchSize = 10_000): AsyncIterable<IssuedRow[]> {
    const stmt = this.db.prepare(
      `SELECT * FROM ${ISSUED_TABLE} WHERE template_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
    );
    let after = Number.MIN_SAFE_INTEGER;
    for (;;) {
      const batch = stmt.all(templateId, after, batchSize) as IssuedDbRow[];
      if (batch.length === 0) return;
      after = batch[batch.length - 1]!.seq;
      yield batch.map((r) => ({
        couponId: r.coupon_id,
        templateId: r.template_id,
        userId: r.user_id,
        seq: r.seq,
        issuedAt: r.issued_at,
      }));
      if (batch.length < batchSize) return;
    }
  }

  async truncate(): Promise<void> {
    this.db.exec(`DELETE FROM ${ISSUED_TABLE}; DELETE FROM ${TEMPLATE_TABLE};`);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
