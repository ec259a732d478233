import { Command } from 'commander';
import { withExitCode } from './action.js';
import { UsageError } from '../errors.js';

/** `coupon-bench demo`: the whole story in one command on embedded defaults. */
export function demoCommand(): Command {
  return new Command('demo').description('the whole story in one command on embedded defaults').action(
    withExitCode(async () => {
      throw new UsageError('demo: not implemented yet');
    }),
  );
}
