/** A coupon template as stored in the database. */
export interface TemplateRow {
  readonly templateId: number;
  readonly name: string;
  readonly stock: number;
  /** epoch milliseconds */
  readonly createdAt: number;
}

/** One issued coupon row (contract constraints: UNIQUE(template_id, user_id), UNIQUE(template_id, seq)). */
export interface IssuedRow {
  readonly couponId: string;
  readonly templateId: number;
  readonly userId: number;
  readonly seq: number;
  /** epoch milliseconds (Redis server time of issue) */
  readonly issuedAt: number;
}

/** Database engines with an adapter. */
export type StoreEngine = 'sqlite' | 'postgres' | 'mysql';

/**
 * One adapter per database behind this interface. Inserts are idempotent: a redelivered row
 * (same coupon id) is a no-op, which makes at-least-once delivery exactly-once in the table.
 */
export interface CouponStore {
  readonly engine: StoreEngine;
  /** Human-readable location, credentials removed. */
  readonly location: string;
  /** Create the schema if missing. */
  init(): Promise<void>;
  /** Insert the template if absent; an existing row is left as is. */
  upsertTemplate(template: TemplateRow): Promise<void>;
  getTemplate(templateId: number): Promise<TemplateRow | undefined>;
  listTemplates(): Promise<TemplateRow[]>;
  /** Insert a batch in one transaction, ignoring rows already present. Returns how many were new. */
  insertIssued(rows: readonly IssuedRow[]): Promise<number>;
  countIssued(templateId: number): Promise<number>;
  /** Every issued row of a template, ordered by seq, in batches (memory stays flat). */
  scanIssued(templateId: number, batchSize?: number): AsyncIterable<IssuedRow[]>;
  /** Remove every row of the schema (tests and benchmarks). */
  truncate(): Promise<void>;
  close(): Promise<void>;
}
