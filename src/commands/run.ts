import { Command } from 'commander';
import { withExitCode } from './action.js';
import { UsageError } from '../errors.js';

/** `coupon-bench run`: run a load scenario against a coupon service. */
export function runCommand(): Command {
  return new Command('run').description('run a load scenario against a coupon service').action(
    withExitCode(async () => {
      throw new UsageError('run: not implemented yet');
    }),
  );
}
