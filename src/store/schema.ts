// Table names, DDL and row mapping shared by the SQL adapters (contract constraints).
import type { IssuedRow, TemplateRow } from './store.js';

/** Table of coupon templates. */
export const TEMPLATE_TABLE = 'coupon_template';
/** Table of issued coupons. */
export const ISSUED_TABLE = 'issued_coupon';

/** SQLite DDL. */
export const SQLITE_SCHEMA = `
CREATE TABLE IF NOT EXISTS ${TEMPLATE_TABLE} (
  template_id INTEGER PRIMARY KEY,
  name        TEXT    NOT NULL,
  stock       INTEGER NOT NULL CHECK (stock >= 0),
  created_at  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS ${ISSUED_TABLE} (
  coupon_id   TEXT    PRIMARY KEY,
  template_id INTEGER NOT NULL,
  user_id     INTEGER NOT NULL,
  seq         INTEGER NOT NULL,
  issued_at   INTEGER NOT NULL,
  UNIQUE (template_id, user_id),
  UNIQUE (template_id, seq)
);
`;

/** A coupon_template row as a driver returns it (BIGINTs may arrive as strings) -> TemplateRow. */
export const toTemplateRow = (r: Record<string, unknown>): TemplateRow => ({
  templateId: Number(r.template_id),
  name: String(r.name),
  stock: Number(r.stock),
  createdAt: Number(r.created_at),
});

/** An issued_coupon row as a driver returns it (BIGINTs may arrive as strings) -> IssuedRow. */
export const toIssuedRow = (r: Record<string, unknown>): IssuedRow => ({
  couponId: String(r.coupon_id),
  templateId: Number(r.template_id),
  userId: Number(r.user_id),
  seq: Number(r.seq),
  issuedAt: Number(r.issued_at),
});
