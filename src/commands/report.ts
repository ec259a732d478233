import { Command } from 'commander';
import { withExitCode } from './action.js';
import { UsageError } from '../errors.js';

/** `coupon-bench report`: render a a run's report (HTML). */
export function reportCommand(): Command {
  return new Command('report').description("render a run's report (HTML)").action(
    withExitCode(async () => {
      throw new UsageError('report: not implemented yet');
    }),
  );
}
