import { join } from 'node:path';
import { Command } from 'commander';
import { UsageError } from '../errors.js';
import { withExitCode } from './action.js';
import { INTERRUPT_HELP, trapInterrupts } from './interrupt.js';
import { DURATION_FLAG_HELP, collect, durationFlag, yesNo } from './parse-options.js';
import { addTargetOptions, targetSetupOf, type TargetFlags } from './target-options.js';
import { addForeignStoreOptions } from './foreign-store-options.js';
import { foreignFlagsOf, type ForeignStoreFlags } from '../model/foreign-stores.js';
import { colorEnabled } from '../color.js';

/** Options of `coupon-bench chaos` after commander parsed them. */
interface ChaosFlags extends TargetFlags, ForeignStoreFlags {
  fault: string[];
  redis?: string;
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
  dialect?: string;
}



/**
 * `coupon-bench chaos [scenario]`: the bundled server as a child process on a private Redis, the
 * load, the fault schedule (the scenario's `faults` and any --fault), then verify and an HTML
 * report with the faults as bands. `run --serve --fault … --verify` does the same inside run.
 */
export function chaosCommand(): Command {
  const cmd = addTargetOptions(new Command('chaos')
    .description(
      'serve + load + faults + verify in one command: kill and stall the system mid-run (the bundled chaos scenario by default), ' +
        'then prove nothing acknowledged was lost; exit 0 only when every invariant holds',
    )
    .argument('[scenario]', 'scenario file or bundled name (its `faults` are the schedule)', 'chaos')
    .option('--fault <spec>', 'add a fault: kind@at[+duration][:latency], e.g. kill-serve@3s, pause-redis@2s+1500ms, slow-db@1s+3s:200ms (repeatable)', collect, [])
    .option('--duration <d>', `run length, ${DURATION_FLAG_HELP} (faults must begin inside it)`, durationFlag)
    .option('--only', "inject only the --fault flags, not the scenario's schedule")
    .option('--target <url>', 'your own service instead of the bundled server (with --target-cmd, --proxy or --fault-hook: see docs/faults.md, "Breaking your own service")')
    .option('--db <url>', 'the database the server writes to (default SQLite in the run folder): sqlite:<path> | postgres://… | mysql://… (loopback for db faults); with --target: your service\'s, for verify')
    .option('--redis <url>', "with --target: your service's Redis, for verify")
    .option('--dialect <file>', "with --target: your service's request and answers ({\"request\": …, \"answers\": […]}), over the scenario's; see README \"Testing your own service\"")
    .option('--prefix <prefix>', 'Redis key prefix of the server (default cb)')
    .option('--redis-appendonly <yes|no>', 'the private Redis persists with an append-only file (default yes; no only to prove verify sees restart-redis lose data)', yesNo)
    .option('--out <dir>', 'run folder (default reports/<run-id>)')
    .option('--reports-dir <dir>', 'parent folder of run folders', 'reports')
    .option('--strict', 'an invariant skipped (SKIP) or not exercised by the run, or a PARTIAL audit, is exit 97, not a qualified PASS')
    .option('--json', 'print the report JSON (with the faults and the verdict) instead of the summary')
    .option('--quiet', 'no progress and no summary'));
  return addForeignStoreOptions(cmd)
    .addHelpText(
      'after',
      `\nFault kinds: kill-serve, kill-persister, restart-redis (instant); pause-redis, db-outage (+duration); slow-db (+duration:latency).\n` +
        `With --target: kill-target, restart-target, hook:NAME (instant); pause-target, cut:NAME, drop:NAME (+duration); slow:NAME (+duration:latency).\n${INTERRUPT_HELP}`,
    )
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
        if (flags.dialect !== undefined) {
          const [{ loadDialectFile }, { applyDialect }] = await Promise.all([import('../dialect/dialect-file.js'), import('../dialect/dialect.js')]);
          scenario = applyDialect(scenario, await loadDialectFile(flags.dialect));
        }
        if (flags.duration !== undefined) scenario = applyOverrides(scenario, { duration: flags.duration });
        const ownTarget = await targetSetupOf(flags);
        if (flags.target !== undefined) {
          if (!ownTarget) throw new UsageError('chaos --target: faults only touch what the run owns: give --target-cmd, --proxy or --fault-hook', 'E_FAULT');
          if (flags.redisAppendonly !== undefined) throw new UsageError('--redis-appendonly sets up the private Redis of the bundled server: not with --target', 'E_USAGE');
          if (faults.length === 0) throw new UsageError('chaos --target: give the faults to inject with --fault (e.g. --fault kill-target@2s)', 'E_FAULT');
          // The scenario's own faults name the bundled server's processes.
          scenario = { ...applyOverrides(scenario, { target: flags.target }), faults: [] };
        } else if (flags.redis !== undefined) {
          throw new UsageError("chaos --redis names your service's Redis: add --target (the bundled server runs on a private Redis)", 'E_USAGE');
        }
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
          const foreign = foreignFlagsOf(flags);
          const stores =
            flags.db !== undefined || flags.prefix !== undefined || flags.redis !== undefined || Object.keys(foreign).length > 0
              ? { db: flags.db, prefix: flags.prefix, redis: flags.redis, ...foreign }
              : undefined;
          const result = await runScenario(
            {
              scenario,
              reportsDir: flags.reportsDir,
              signal: interrupts.signal,
              ...(ownTarget ? { ownTarget } : { serve: true }),
              ...(flags.dbQuery !== undefined ? { dbQuery: flags.dbQuery } : {}),
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
          const color = colorEnabled(process.stdout);
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
