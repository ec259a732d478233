import { accessSync, constants, existsSync, mkdirSync, rmdirSync, statSync } from 'node:fs';
import { access, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { CouponBenchError, UsageError } from './errors.js';

/**
 * Output paths given by flags (`--out`, `--reports-dir`, `--junit`, `--html`): checked and their
 * folders created before a command does any work, so a bad path costs one line, not a run. Folders
 * are created one level at a time: Node's recursive mkdir never returns under /proc (mkdir there
 * answers ENOENT for a folder whose parent exists, and it retries forever).
 */

const errno = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? (err as Error).message;

/**
 * Why `dir` cannot be a folder to write in, after creating what is missing of it (one level at a
 * time); undefined when it can. Synchronous, so constructors (the SQLite store, the private Redis's
 * folder) use it too.
 */
export function folderProblem(dir: string): string | undefined {
  const missing: string[] = [];
  let p = resolve(dir);
  for (;;) {
    try {
      const st = statSync(p);
      if (!st.isDirectory()) return `${p} is not a directory`;
      break;
    } catch (err) {
      const code = errno(err);
      // ENOTDIR: an ancestor is a file; walking up finds it and says so.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return `cannot use ${p} (${code})`;
      const parent = dirname(p);
      if (parent === p) return `cannot use ${p} (${code})`;
      missing.unshift(p);
      p = parent;
    }
  }
  if (missing.length === 0) {
    try {
      accessSync(p, constants.W_OK | constants.X_OK);
    } catch (err) {
      return `${p} is not writable (${errno(err)})`;
    }
  }
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (err) {
      const code = errno(err);
      if (code === 'EEXIST' && statSync(d, { throwIfNoEntry: false })?.isDirectory()) continue;
      return `cannot create ${d} (${code})`;
    }
  }
  return undefined;
}

/** Why `file` cannot be written, after creating its missing folders; undefined when it can. */
async function makeFileRoom(file: string): Promise<string | undefined> {
  const st = await stat(file).catch(() => undefined);
  if (st?.isDirectory()) return `${resolve(file)} is a directory (give a file name)`;
  if (st) {
    try {
      await access(file, constants.W_OK);
    } catch (err) {
      return `${resolve(file)} is not writable (${errno(err)})`;
    }
    return undefined;
  }
  return folderProblem(dirname(resolve(file)));
}

const badPath = (flag: string, path: string, why: string): UsageError => new UsageError(`${flag} ${path}: cannot write there: ${why}`, 'E_OUTPUT_PATH');

/** An output folder named by `flag`: created (with its parents) and writable, else a usage error naming both. */
export async function prepareOutputDir(flag: string, dir: string): Promise<void> {
  const why = folderProblem(dir);
  if (why !== undefined) throw badPath(flag, dir, why);
}

/** An output file named by `flag`: not a folder, writable, its folder created; else a usage error naming both. */
export async function prepareOutputFile(flag: string, file: string): Promise<void> {
  const why = await makeFileRoom(file);
  if (why !== undefined) throw badPath(flag, file, why);
}

/**
 * Write an output file (creating its folder one level at a time). A failure is a one-line tool
 * error (`E_OUTPUT_WRITE`) naming the file, never a stack.
 */
export async function writeOutputFile(file: string, data: string): Promise<void> {
  const why = await makeFileRoom(file);
  if (why !== undefined) throw new CouponBenchError('E_OUTPUT_WRITE', `cannot write ${file}: ${why}`);
  try {
    await writeFile(file, data, 'utf8');
  } catch (err) {
    throw new CouponBenchError('E_OUTPUT_WRITE', `cannot write ${file}: ${errno(err)}`, undefined, { cause: err });
  }
}

/** Create a folder the tool writes in (its parents one level at a time); a failure is `E_OUTPUT_WRITE`. */
export async function makeOutputDir(dir: string): Promise<void> {
  const why = folderProblem(dir);
  if (why !== undefined) throw new CouponBenchError('E_OUTPUT_WRITE', `cannot create ${dir}: ${why}`);
}

/** The folders creating `dir` would add (itself and the parents that are missing), outermost first. */
export function missingFolders(dir: string): string[] {
  const out: string[] = [];
  for (let p = resolve(dir); !existsSync(p); p = dirname(p)) {
    out.unshift(p);
    if (dirname(p) === p) break;
  }
  return out;
}

/**
 * Remove those of `dirs` (from {@link missingFolders}) that are still empty, innermost first: a run
 * refused before its load leaves no empty folder behind. A folder with anything in it stays.
 */
export function removeEmptyFolders(dirs: readonly string[]): void {
  for (const d of [...dirs].reverse()) {
    try {
      rmdirSync(d);
    } catch {
      return;
    }
  }
}
