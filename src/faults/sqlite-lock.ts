import Database from 'better-sqlite3';

/** An exclusive lock on a SQLite file, held until released. */
export interface SqliteLock {
  release(): void;
}

/**
 * Take an EXCLUSIVE transaction on the database file: every other connection's reads and writes
 * wait (busy timeout) or fail with SQLITE_BUSY until {@link SqliteLock.release}. This is how a
 * run closes a SQLite database for a while (the db-outage fault).
 */
export function lockSqlite(path: string): SqliteLock {
  const db = new Database(path, { timeout: 5000 });
  try {
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    db.close();
    throw err;
  }
  let held = true;
  return {
    release(): void {
      if (!held) return;
      held = false;
      try {
        db.exec('ROLLBACK');
      } finally {
        db.close();
      }
    },
  };
}
