import { writeOutputFile } from '../output-path.js';
import { toJUnit, type JUnitSuite } from './junit.js';

/** Write suites as a JUnit XML file (creating its folder). For `--junit <file>` on every command. */
export async function writeJUnit(file: string, suites: readonly JUnitSuite[]): Promise<void> {
  await writeOutputFile(file, toJUnit(suites));
}
