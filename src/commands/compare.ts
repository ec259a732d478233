import { Command } from 'commander';
import { withExitCode } from './action.js';
import { UsageError } from '../errors.js';

/** `coupon-bench compare`: compare two runs and gate regressions. */
export function compareCommand(): Command {
  return new Command('compare').description('compare two runs and gate regressions').action(
    withExitCode(async () => {
      throw new UsageError('compare: not implemented yet');
    }),
  );
}
