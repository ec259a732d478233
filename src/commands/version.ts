import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { withExitCode } from './action.js';

/** The package version, read once from package.json. */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** `coupon-bench version`: print the version (the same as `--version`). */
export function versionCommand(): Command {
  return new Command('version').description('print the version of coupon-bench').action(
    withExitCode(async () => {
      process.stdout.write(`${VERSION}\n`);
    }),
  );
}
