/** Table names and DDL shared by the SQL adapters (contract constraints). */
export const TEMPLATE_TABLE = 'coupon_template';
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
