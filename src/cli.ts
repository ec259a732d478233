import { Command, CommanderError } from 'commander';
import { actionExitCode } from './commands/action.js';
import { VERSION, versionCommand } from './commands/version.js';
import { serveCommand } from './commands/serve.js';
import { runCommand } from './commands/run.js';
import { verifyCommand } from './commands/verify.js';
import { demoCommand } from './commands/demo.js';
import { chaosCommand } from './commands/chaos.js';
import { mergeCommand } from './commands/merge.js';
import { reportCommand } from './commands/report.js';
import { compareCommand } from './commands/compare.js';
import { CouponBenchError, ExitCode } from './errors.js';
import { takeNoColorFlag } from './color.js';

/** The commander program with every subcommand; actions lazy-import their heavy parts. */
export function buildProgram(): Command {
  const program = new Command('coupon-bench')
    .description('Prove a first-come-first-served coupon system is correct under load.')
    .version(VERSION)
    .option('--no-color', 'no colours in any output (as with the NO_COLOR environment variable); accepted after any command too')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  program.configureOutput({ outputError: usageLine });
  for (const cmd of [serveCommand(), runCommand(), verifyCommand(), demoCommand(), chaosCommand(), reportCommand(), compareCommand(), mergeCommand(), versionCommand()]) {
    program.addCommand(cmd.exitOverride().configureOutput({ outputError: usageLine }));
  }
  return program;
}

/**
 * commander's own errors (a bad option value, an unknown option, a missing argument) in the form
 * of every other error: `coupon-bench: <message> [E_USAGE]`.
 */
function usageLine(str: string, write: (s: string) => void): void {
  const m = /^error: ([\s\S]*?)\n?$/.exec(str);
  write(m ? `coupon-bench: ${m[1]} [E_USAGE]\n` : str);
}

/**
 * A reader that closes the pipe early (`coupon-bench run --help | head -1`) is not an error: drop
 * what is left to print and let the command finish its work (files, exit code) as it would.
 */
function ignoreClosedPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
    });
  }
}

async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(takeNoColorFlag(argv));
    process.exitCode = actionExitCode();
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed the message; help and version exit 0.
      process.exitCode = err.exitCode === 0 ? ExitCode.Ok : ExitCode.UsageOrTool;
    } else if (err instanceof CouponBenchError) {
      // One line: the message and its stable code (what scripts and tests match on), no stack.
      process.stderr.write(`coupon-bench: ${err.message} [${err.code}]\n`);
      process.exitCode = err.exitCode;
    } else {
      process.stderr.write(`coupon-bench: unexpected error\n${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = ExitCode.UsageOrTool;
    }
  }
}

ignoreClosedPipes();
await main(process.argv);
