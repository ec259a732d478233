import { Command } from 'commander';
import { UsageError } from '../errors.js';
import { withExitCode } from './action.js';
import { INTERRUPT_HELP, trapInterrupts } from './interrupt.js';
import { addTargetOptions, targetSetupOf } from './target-options.js';
import { addForeignStoreOptions } from './foreign-store-options.js';
import { foreignFlagsOf } from '../model/foreign-stores.js';
import type { Dialect } from '../dialect/types.js';
import type { FaultSpec } from '../faults/fault-spec.js';
import type { TargetSetup } from '../faults/target-stand.js';
import type { EnvMap } from '../run/plan/scenario-env.js';
import type { RunEvent, RunInput, RunResult } from '../run/run-input.js';
import { k6JsonSink, splitOutFlags, writeSummaryExport, type RunOutputs } from './run-outputs.js';
import { addRunOptions, type RunFlags } from './run-options.js';
import { colorEnabled } from '../color.js';

type K6JsonSink = Awaited<ReturnType<typeof k6JsonSink>>;

/** What the flags came to once checked: every usage error is thrown by then, nothing made yet. */
interface CheckedRun {
  stores: RunInput['stores'];
  env: EnvMap;
  outs: RunOutputs;
  faults: FaultSpec[];
  ownTarget: TargetSetup | undefined;
  dialect: Dialect | undefined;
}

/**
 * Load `--dialect` and check the request the run will send (the scenario's, or the file's over it)
 * before any folder is made: a missing `{env.NAME}` is a usage error before anything happens.
 */
async function checkDialectFlags(scenarioArg: string, file: string | undefined, env: EnvMap): Promise<Dialect | undefined> {
  const [{ loadDialectFile }, { applyDialect }, { prepareRunDialect }, { loadScenario }] = await Promise.all([
    import('../dialect/dialect-file.js'),
    import('../dialect/dialect.js'),
    import('../dialect/run-dialect.js'),
    import('../run/plan/scenario.js'),
  ]);
  const dialect = file !== undefined ? await loadDialectFile(file) : undefined;
  prepareRunDialect(applyDialect(loadScenario(scenarioArg, { env }), dialect), env);
  return dialect;
}

/** The target's stores named by --redis, --db, --prefix and the foreign-store flags; undefined when none is. */
function storesOf(flags: RunFlags): RunInput['stores'] {
  const foreign = foreignFlagsOf(flags);
  return flags.redis !== undefined || flags.db !== undefined || flags.prefix !== undefined || Object.keys(foreign).length > 0
    ? { redis: flags.redis, db: flags.db, prefix: flags.prefix, ...foreign }
    : undefined;
}

/** Contradicting or malformed flags fail before any folder is made. */
async function checkRunFlags(scenarioArg: string, flags: RunFlags): Promise<CheckedRun> {
  const { checkRunStores } = await import('../run/plan/run-stores.js');
  const stores = storesOf(flags);
  checkRunStores({ serve: flags.serve === true, target: flags.target, stores });
  const [{ checkTargetFlag }, { parseEnvFlags, mergedEnv }] = await Promise.all([import('../run/plan/target-flag.js'), import('../run/plan/scenario-env.js')]);
  if (flags.target !== undefined) checkTargetFlag(flags.target);
  if (flags.templateId !== undefined && flags.templateIds !== undefined) throw new UsageError('--template-id and --template-ids: give one of them', 'E_USAGE');
  const env = mergedEnv(parseEnvFlags(flags.env));
  const outs = splitOutFlags(flags.out);
  if (flags.strict && !flags.verify) throw new UsageError('--strict judges the audit: it needs --verify', 'E_USAGE');
  const { parseFaultArg, checkFaultsServed } = await import('../faults/fault-spec.js');
  const faults = flags.fault.map(parseFaultArg);
  const ownTarget = await targetSetupOf({ ...flags, target: flags.target, db: flags.db });
  checkFaultsServed(faults, flags.serve === true, ownTarget !== undefined);
  if (ownTarget) {
    const { checkTargetFaults } = await import('../faults/target-stand.js');
    checkTargetFaults(faults, ownTarget);
  }
  if (flags.redisAppendonly !== undefined && !flags.serve) throw new UsageError('--redis-appendonly sets up the private Redis of --serve: add --serve', 'E_USAGE');
  const dialect = await checkDialectFlags(scenarioArg, flags.dialect, env);
  return { stores, env, outs, faults, ownTarget, dialect };
}

/**
 * Make every output path usable before anything starts (a typo must not cost a run); returns the
 * folders made, removed again if the run is refused before its load.
 */
async function prepareOutputs(flags: RunFlags, outs: RunOutputs): Promise<string[]> {
  const { prepareOutputDir, prepareOutputFile, missingFolders } = await import('../output-path.js');
  if (flags.junit !== undefined) await prepareOutputFile('--junit', flags.junit);
  if (flags.summaryExport !== undefined) await prepareOutputFile('--summary-export', flags.summaryExport);
  if (outs.k6Json !== undefined) await prepareOutputFile('--out json=', outs.k6Json);
  const madeFolders = missingFolders(outs.dir ?? flags.reportsDir ?? 'reports');
  if (outs.dir !== undefined) await prepareOutputDir('--out', outs.dir);
  else await prepareOutputDir('--reports-dir', flags.reportsDir ?? 'reports');
  return madeFolders;
}

/** The scenario's overrides from --target, --vus, --duration, --rate, --stock, --seed and the template ids. */
function overridesOf(flags: RunFlags): Record<string, unknown> {
  const overrides: Record<string, unknown> = {};
  for (const k of ['target', 'vus', 'duration', 'rate', 'stock', 'seed'] as const) if (flags[k] !== undefined) overrides[k] = flags[k];
  const templateIds = flags.templateIds ?? (flags.templateId !== undefined ? [flags.templateId] : undefined);
  if (templateIds !== undefined) overrides['templateIds'] = templateIds;
  return overrides;
}

/** The checked flags as the input of runScenario. */
function runInputOf(scenarioArg: string, flags: RunFlags, run: CheckedRun, signal: AbortSignal, responseEvents: boolean): RunInput {
  const { stores, env, outs, faults, ownTarget, dialect } = run;
  return {
    scenarioPath: scenarioArg,
    env,
    overrides: overridesOf(flags),
    thresholds: flags.threshold,
    reportsDir: flags.reportsDir,
    signal,
    ...(outs.dir !== undefined ? { outDir: outs.dir } : {}),
    ...(responseEvents ? { responseEvents: true } : {}),
    probeTemplates: true,
    ...(flags.ledger !== undefined ? { ledgerMode: flags.ledger } : {}),
    ...(flags.httpClient !== undefined ? { httpClient: flags.httpClient } : {}),
    ...(flags.serve ? { serve: true } : {}),
    ...(flags.setup ? { setup: true } : {}),
    ...(flags.verify ? { verify: true } : {}),
    ...(flags.strict ? { strict: true } : {}),
    ...(flags.adminToken !== undefined ? { adminToken: flags.adminToken } : {}),
    ...(stores !== undefined ? { stores } : {}),
    ...(faults.length > 0 ? { faults } : {}),
    ...(flags.shard ? { shard: flags.shard } : {}),
    ...(flags.redisAppendonly !== undefined ? { redisAppendOnly: flags.redisAppendonly } : {}),
    ...(ownTarget ? { ownTarget } : {}),
    ...(flags.dbQuery !== undefined ? { dbQuery: flags.dbQuery } : {}),
    ...(dialect ? { dialect } : {}),
  };
}

/** The run's events to the progress lines (none with --quiet) and, with --out json=, to k6's JSON lines. */
function eventPrinter(progress: ((e: RunEvent) => void) | undefined, k6Json: K6JsonSink): ((e: RunEvent) => void) | undefined {
  if (k6Json === undefined) return progress;
  return (e: RunEvent): void => {
    k6Json.onEvent(e);
    if (e.type !== 'response') progress?.(e);
  };
}

/** Print and write what the run came to: the summary (or JSON), its verdict, the summary export and JUnit. */
async function reportResult(flags: RunFlags, result: RunResult): Promise<void> {
  if (flags.summaryExport !== undefined) await writeSummaryExport(flags.summaryExport, result.report);
  if (flags.json) process.stdout.write(JSON.stringify(result.report, null, 2) + '\n');
  else if (!flags.quiet) {
    const { formatRunSummary } = await import('../report/summary.js');
    process.stdout.write(formatRunSummary(result.report, { color: colorEnabled(process.stdout) }) + '\n');
    process.stdout.write(`  report: ${result.reportPath}\n`);
    if (result.report.verdict) {
      const { formatVerdict } = await import('../verify/verdict-table.js');
      process.stdout.write(formatVerdict(result.report.verdict, { color: colorEnabled(process.stdout) }) + '\n');
    }
  }
  // After the summary: the run's figures are shown even if this file cannot be written.
  if (flags.junit !== undefined) {
    const [{ writeJUnit }, { reportSuites }] = await Promise.all([import('../report/junit-write.js'), import('../report/junit-suites.js')]);
    await writeJUnit(flags.junit, reportSuites(result.report));
  }
}

/** The action of `run`: check the flags, make the outputs, run the scenario, report it; returns the exit code. */
async function runAction(scenarioArg: string, flags: RunFlags): Promise<number> {
  const [{ runScenario }, { createProgressPrinter }, { removeEmptyFolders }] = await Promise.all([
    import('../run/run-scenario.js'),
    import('../run/progress.js'),
    import('../output-path.js'),
  ]);
  const checked = await checkRunFlags(scenarioArg, flags);
  // A run refused before its load (a template not fresh, or missing) leaves no empty folder behind.
  const madeFolders = await prepareOutputs(flags, checked.outs);
  const k6Json = await k6JsonSink(checked.outs.k6Json);
  // SIGINT/SIGTERM: stop the load, write the report marked interrupted (exit 97); a second quits at once.
  const interrupts = trapInterrupts();
  const progress = flags.quiet ? undefined : createProgressPrinter(process.stderr, { tty: process.stderr.isTTY === true });
  const printer = eventPrinter(progress, k6Json);
  try {
    const result = await runScenario(runInputOf(scenarioArg, flags, checked, interrupts.signal, k6Json !== undefined), printer).catch(async (err: unknown) => {
      await k6Json?.close().catch(() => undefined);
      removeEmptyFolders(madeFolders);
      throw err;
    });
    await k6Json?.close();
    await reportResult(flags, result);
    return result.exitCode;
  } finally {
    interrupts.release();
  }
}

/** `coupon-bench run`: run a load scenario against a coupon service. */
export function runCommand(): Command {
  const cmd = addTargetOptions(
    addRunOptions(
      new Command('run')
        .description('run a load scenario against a coupon service (k6 executors, HDR latency, outcome ledger)')
        .argument('<scenario>', 'scenario file, or a bundled name: seed-k6, flash-crowd, duplicate-storm, multi-template, burst'),
    ),
  );
  return addForeignStoreOptions(cmd).addHelpText('after', `\n${INTERRUPT_HELP}`).action(withExitCode(runAction));
}
