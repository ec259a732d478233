import { existsSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { UsageError } from '../../errors.js';
import { REPORT_FILE } from '../../model/ledger-record.js';
import type { RunReport } from '../../model/report.js';
import { sqlitePathOf } from '../../store/db-url.js';

/** The SQLite database `run --serve` keeps in its run folder when no `--db` is given. */
export const SERVED_DB_FILE = 'coupons.sqlite';
/** The database file and the files SQLite keeps beside it. */
const SQLITE_FILES = ['', '-wal', '-shm', '-journal'];

/**
 * The database URL of a served run without `--db`: a fresh `coupons.sqlite` in the run folder.
 * A run folder given again (`--out`) still holds the earlier served run's database, whose rows the
 * audit would count as this run's; that run's report and ledger are replaced by this one's, so its
 * database is removed with them. A `coupons.sqlite` that no served run's report in the folder names
 * is someone else's file: refused, never deleted.
 */
export function freshServedDb(runDir: string): string {
  const path = join(runDir, SERVED_DB_FILE);
  if (SQLITE_FILES.some((s) => existsSync(path + s))) {
    if (!writtenByServedRun(runDir)) {
      throw new UsageError(
        `--out ${runDir} already holds ${SERVED_DB_FILE}, and no report there says a served run wrote it; ` +
          '--serve starts from an empty database of its own: choose another --out, or remove the file',
        'E_OUT_NOT_FRESH',
      );
    }
    for (const s of SQLITE_FILES) rmSync(path + s, { force: true });
  }
  return `sqlite:${path}`;
}

/** Whether the folder's report.json is a served run's whose database was the folder's coupons.sqlite. */
function writtenByServedRun(runDir: string): boolean {
  let report: Partial<RunReport>;
  try {
    report = JSON.parse(readFileSync(join(runDir, REPORT_FILE), 'utf8')) as Partial<RunReport>;
  } catch {
    return false;
  }
  const db = report.stores?.db;
  if (report.tool?.name !== 'coupon-bench' || report.stores?.source !== 'serve') return false;
  const path = typeof db === 'string' ? sqlitePathOf(db) : undefined;
  return path !== undefined && basename(path) === SERVED_DB_FILE;
}
