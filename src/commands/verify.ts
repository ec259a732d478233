import { Command } from 'commander';
import { withExitCode } from './action.js';
import { UsageError } from '../errors.js';

/** `coupon-bench verify`: audit Redis, the database and a run's ledger. */
export function verifyCommand(): Command {
  return new Command('verify').description("audit Redis, the database and a run's ledger").action(
    withExitCode(async () => {
      throw new UsageError('verify: not implemented yet');
    }),
  );
}
