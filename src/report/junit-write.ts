import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { toJUnit, type JUnitSuite } from './junit.js';

/** Write suites as a JUnit XML file (creating its folder). For `--junit <file>` on every command. */
export async function writeJUnit(file: string, suites: readonly JUnitSuite[]): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, toJUnit(suites), 'utf8');
}
