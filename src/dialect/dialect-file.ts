import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { UsageError } from '../errors.js';
import { validateDialectFile } from '../run/plan/scenario.js';
import type { Dialect } from './types.js';

/** Read and validate a `--dialect` file (holding `request` and/or `answers`). */
export async function loadDialectFile(path: string): Promise<Dialect> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`--dialect: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, 'E_DIALECT_READ');
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${basename(path)}: not valid JSON (${(err as Error).message})`, 'E_DIALECT_INVALID');
  }
  return validateDialectFile(data, basename(path));
}
