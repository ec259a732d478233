import { Command } from 'commander';
import { withExitCode } from './action.js';
import { VERSION } from '../shared/version.js';

export { VERSION };

/** `coupon-bench version`: print the version (the same as `--version`). */
export function versionCommand(): Command {
  return new Command('version').description('print the version of coupon-bench').action(
    withExitCode(async () => {
      process.stdout.write(`${VERSION}\n`);
    }),
  );
}
