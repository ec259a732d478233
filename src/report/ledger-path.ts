import { realpath } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { UsageError } from '../errors.js';

/** `inner` lies inside `dir` (or is it): no `..` step out, not on another root. */
const inside = (dir: string, inner: string): boolean => {
  const rel = relative(dir, inner);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
};

/**
 * The ledger file a report names (`report.ledger.file`), resolved beside the report. A report.json is
 * input from anywhere (a shard copied from another machine), so the name must stay inside the
 * report's folder: absolute paths, `..` steps and symlinks that lead out are refused with
 * E_LEDGER_PATH, never followed.
 */
export async function ledgerPathOf(reportPath: string, file: unknown): Promise<string> {
  const dir = dirname(resolve(reportPath));
  const refuse = (why: string): UsageError =>
    new UsageError(`merge: the ledger of ${reportPath} (${JSON.stringify(file)}) ${why}: a report's ledger must be a file in the report's folder`, 'E_LEDGER_PATH');
  if (typeof file !== 'string' || file === '' || file.includes('\0')) throw refuse('is not a file name');
  if (isAbsolute(file)) throw refuse('is an absolute path');
  const src = resolve(dir, file);
  if (!inside(dir, src)) throw refuse('leads out of the folder');
  // A symlink inside the folder may still point out of it: judge where it really leads.
  const [realDir, realSrc] = await Promise.all([realpath(dir), realpath(src).catch(() => undefined)]);
  if (realSrc !== undefined && !inside(realDir, realSrc)) throw refuse('leads out of the folder (through a link)');
  return src;
}
