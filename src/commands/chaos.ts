import { join } from 'node:path';
import { Command } from 'commander';
import { UsageError } from '../errors.js';
import { withExitCode } from './action.js';
import { INTERRUPT_HELP, trapInterrupts } from './interrupt.js';
import { DURATION_FLAG_HELP, collect, durationFlag, yesNo } from './parse-options.js';

/** Options of `coupon-bench chaos` after commander parsed them. */
interface ChaosFlags {
  fault: string[];
  only?: boolean;
  duration?: string;
  db?: string;
  prefix?: string;
  redisAppendonly?: boolean;
  out?: string;
  reportsDir: string;
  strict?: boolean;
  json?: boolean;
  quiet?: boolean;
}



/**
 * `coupon-bench chaos [scenario]`: the bundled server as a child process on a private Redis, the
 * load, the fault schedule (the scenario's `faults` and any --fault), then verify and an HTML
 * report with the faults as bands. `run --serve --fault … --verify` does the same inside run.
 */
export function chaosCommand(): Command {
  return new Command('chaos')
    .description(
      'serve + load + faults + verify in one command: kill and stall the system mid-run (the bundled chaos scenario by default), ' +
        'then prove nothing acknowledged was lost; exit 0 only when every invariant holds',
    )
    .argument('[scenario]', 'scenario file or bundled name (its `faults` are the schedule)', 'chaos')
    .option('--fault <spec>', 'add a fault: kind@at[+duration][:latency], e.g. kill-serve@3s, pause-redis@2s+1500ms, slow-db@1s+3s:200ms (repeatable)', collect, [])
    .option('--duration <d>', `run length, ${DURATION_FLAG_HELP} (faults must begin inside it)`, durationFlag)
    .option('--only', "inject only the --fault flags, not the scenario's schedule")
    .option('--db <url>', 'the database the server writes to (default SQLite in the run folder): sqlite:<path> | postgres://… | mysql://… (loopback for db faults)')
    .option('--prefix <prefix>', 'Redis key prefix of the server (default cb)')
    .option('--redis-appendonly <yes|no>', 'the private Redis persists with an append-only file (default yes; no only to prove verify sees restart-redis lose data)', yesNo)
    .option('--out <dir>', 'run folder (default reports/<run-id>)')
    .option('--reports-dir <dir>', 'parent folder of run folders', 'reports')
    .option('--strict', 'an invariant that cannot be judged (SKIP) is exit 97, not a qualified PASS')
    .option('--json', 'print the report JSON (with the faults and the verdict) instead of the summary')
    .option('--quiet', 'no progress and no summary')
    .addHelpText('after', `\nFault kinds: kill-serve, kill-persister, restart-redis (instant); pause-redis, db-outage (+duration); slow-db (+duration:latency).\n${INTERRUPT_HELP}`)
    .action(
      withExitCode(async (scenarioArg: string, flags: ChaosFlags) => {
        const [{ runScenario }, { loadScenario, applyOverrides }, { parseFaultArg }, { createProgressPrinter }, { formatRunSummary }, { formatVerdict }, { renderHtmlReport }, { prepareOutputDir, writeOutputFile }] =
          await Promise.all([
            import('../run/run-scenario.js'),
            import('../run/plan/scenario.js'),
            import('../faults/fault-spec.js'),
            import('../run/progress.js'),
            import('../report/summary.js'),
            import('../verify/verdict-table.js'),
            import('../report/html-report.js'),
            import('../output-path.js'),
          ]);
        const faults = flags.fault.map(parseFaultArg);
        let scenario = loadScenario(scenarioArg);
        if (flags.duration !== undefined) scenario = applyOverrides(scenario, { duration: flags.duration });
        if (flags.only) {
          if (faults.length === 0) throw new UsageError('--only: give the faults to inject with --fault', 'E_FAULT');
          scenario = { ...scenario, faults: [] };
        }
        if (faults.length === 0 && (scenario.faults ?? []).length === 0) {
          throw new UsageError(`chaos: scenario ${scenario.name} has no faults: add some with --fault (e.g. --fault kill-serve@2s)`, 'E_FAULT');
        }
        if (flags.out !== undefined) await prepareOutputDir('--out', flags.out);
        else await prepareOutputDir('--reports-dir', flags.reportsDir);
        const interrupts = trapInterrupts();
        const printer = flags.quiet ? undefined : createProgressPrinter(process.stderr, { tty: process.stderr.isTTY === true });
        try {
          const stores = flags.db !== undefined || flags.prefix !== undefined ? { db: flags.db, prefix: flags.prefix } : undefined;
          const result = await runScenario(
            {
              scenario,
              reportsDir: flags.reportsDir,
              signal: interrupts.signal,
              serve: true,
              verify: true,
              faults,
              ...(flags.strict ? { strict: true } : {}),
              ...(flags.out !== undefined ? { outDir: flags.out } : {}),
              ...(stores ? { stores } : {}),
              ...(flags.redisAppendonly !== undefined ? { redisAppendOnly: flags.redisAppendonly } : {}),
            },
            printer,
          );
          const htmlPath = join(result.runDir, 'report.html');
          await writeOutputFile(htmlPath, renderHtmlReport(result.report));
          const color = process.stdout.isTTY === true;
          if (flags.json) process.stdout.write(JSON.stringify(result.report, null, 2) + '\n');
          else if (!flags.quiet) {
            process.stdout.write(formatRunSummary(result.report, { color }) + '\n');
            if (result.report.verdict) process.stdout.write(formatVerdict(result.report.verdict, { color }) + '\n');
            process.stdout.write(`  report: ${result.reportPath}\n  HTML:   ${htmlPath}\n`);
          }
          return result.exitCode;
        } finally {
          interrupts.release();
        }
      }),
    );
}
