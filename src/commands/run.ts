import { Command, InvalidArgumentError } from 'commander';
import type { ScenarioOverrides } from '../run/plan/scenario.js';
import { UsageError } from '../errors.js';
import { withExitCode } from './action.js';
import { DURATION_FLAG_HELP, collect, durationFlag, integerAtLeast, yesNo } from './parse-options.js';
import { INTERRUPT_HELP, trapInterrupts } from './interrupt.js';
import { parseShard } from '../run/plan/shard.js';
import { addTargetOptions, targetSetupOf, type TargetFlags } from './target-options.js';
import { addForeignStoreOptions, foreignFlagsOf } from './foreign-store-options.js';
import type { ForeignStoreFlags } from '../model/foreign-stores.js';
import type { Dialect } from '../dialect/types.js';
import type { EnvMap } from '../run/plan/scenario-env.js';
import { k6JsonSink, parseTemplateIds, splitOutFlags, writeSummaryExport } from './run-outputs.js';
import { colorEnabled } from '../color.js';

/** Parsed flags: the scenario overrides plus the run's own options. */
interface RunFlags extends Omit<ScenarioOverrides, 'templateIds'>, Omit<TargetFlags, 'target' | 'db'>, ForeignStoreFlags {
  out: string[];
  templateId?: number;
  templateIds?: number[];
  env: string[];
  summaryExport?: string;
  reportsDir?: string;
  json?: boolean;
  quiet?: boolean;
  threshold: string[];
  ledger?: 'acked' | 'full';
  serve?: boolean;
  setup?: boolean;
  adminToken?: string;
  verify?: boolean;
  strict?: boolean;
  junit?: string;
  redis?: string;
  db?: string;
  prefix?: string;
  httpClient?: 'lean' | 'undici';
  fault: string[];
  redisAppendonly?: boolean;
  shard?: { index: number; count: number };
  dialect?: string;
}

function positiveNumber(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
}


function httpClient(v: string): 'lean' | 'undici' {
  if (v !== 'lean' && v !== 'undici') throw new InvalidArgumentError('expected lean or undici');
  return v;
}

function shardFlag(v: string): { index: number; count: number } {
  try {
    return parseShard(v);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message.replace(/^--shard [^:]*: /, ''));
  }
}


function templateIdsFlag(v: string): number[] {
  try {
    return parseTemplateIds(v);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message.replace(/^--template-ids [^:]*: /, ''));
  }
}

function ledgerMode(v: string): 'acked' | 'full' {
  if (v !== 'acked' && v !== 'full') throw new InvalidArgumentError('expected acked or full');
  return v;
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

/** `coupon-bench run`: run a load scenario against a coupon service. */
export function runCommand(): Command {
  const cmd = addTargetOptions(new Command('run')
    .description('run a load scenario against a coupon service (k6 executors, HDR latency, outcome ledger)')
    .argument('<scenario>', 'scenario file, or a bundled name: seed-k6, flash-crowd, duplicate-storm, multi-template, burst')
    .option('--target <url>', 'base URL of the coupon service (overrides the scenario; not with --serve)')
    .option('--vus <n>', 'VUs (closed model) / maxVUs (arrival rate) / requests (burst)', integerAtLeast(1))
    .option('--duration <d>', `run length, ${DURATION_FLAG_HELP} (not for burst: its requests leave at one instant)`, durationFlag)
    .option('--rate <n>', 'arrival rate per timeUnit (arrival-rate executors; scales ramping stages)', positiveNumber)
    .option('--stock <n>', 'stock of every template in the scenario', integerAtLeast(0))
    .option('--seed <n>', 'seed for user ids and template picks (same seed, same requests)', integerAtLeast(0))
    .option('--out <dir|json=FILE>', "run folder for report.json and the ledger (default reports/<run-id>); json=FILE also writes every sample as k6's JSON lines (repeatable)", collect, [])
    .option('--summary-export <file>', "write the summary in k6's --summary-export JSON shape")
    .option('-e, --env <KEY=VALUE>', 'a variable for the scenario\'s {env.NAME} placeholders, over the environment (repeatable, like k6 -e)', collect, [])
    .option('--template-id <id>', "the template id of a single-template scenario (a second run against the same server needs a fresh one)", integerAtLeast(1))
    .option('--template-ids <ids>', 'the template ids of a multi-template scenario, in order, e.g. 7,8', templateIdsFlag)
    .option('--reports-dir <dir>', 'parent folder of run folders', 'reports')
    .option('--threshold <metric:expr>', "k6 threshold, e.g. 'http_req_duration:p(95)<5' (repeatable)", collect, [])
    .option('--ledger <mode>', 'full (every answer, default) or acked (only issued + unknown: smaller, but verify cannot judge no-phantom, no-lied-refusal)', ledgerMode)
    .option('--serve', 'start the bundled server in a worker thread for the run and send the load there (its stores: --redis, --db, --prefix; default a private Redis and SQLite in the run folder)')
    .option('--setup', "create the scenario's templates through the target's admin API first (refused, exit 97, when one already has coupons)")
    .option('--admin-token <token>', 'admin token for --setup')
    .option('--redis <url>', "the target's Redis (with --serve: the served server's), recorded in report.json so verify can audit it")
    .option('--db <url>', "the target's database (with --serve: the served server's): sqlite:<path> | postgres://… | mysql://…")
    .option('--prefix <prefix>', "the target's Redis key prefix (with --serve: the served server's; default cb)")
    .option('--verify', 'audit Redis, the database and the ledger after the run (implies --ledger full)')
    .option('--strict', 'with --verify: an invariant skipped (SKIP) or not exercised by the run, or a PARTIAL audit, is exit 97, not a qualified PASS')
    .option('--junit <file>', 'write harness, thresholds and invariants as JUnit XML')
    .option('--json', 'print the report JSON to stdout instead of the summary')
    .option('--quiet', 'no progress and no summary (exit code and files only)')
    .option('--shard <i/n>', "run share i of n of the scenario's VUs, rate and iterations (disjoint user ids); join the reports with coupon-bench merge", shardFlag)
    .option('--fault <spec>', 'with --serve: inject a fault at a time after the load starts, e.g. kill-serve@3s, pause-redis@2s+1500ms, slow-db@1s+3s:200ms; with --target-cmd/--proxy/--fault-hook: kill-target@2s, cut:db@2s+2s, hook:NAME@3s (repeatable; see docs/faults.md)', collect, [])
    .option('--redis-appendonly <yes|no>', "with --fault: the private Redis persists with an append-only file (default yes; no only to prove verify sees restart-redis lose data)", yesNo)
    .option('--dialect <file>', "a foreign service's request and answers (JSON: {\"request\": …, \"answers\": […]}), over the scenario's own; see README \"Testing your own service\"")
    .option('--http-client <kind>', 'lean (default; one write per request, answers framed in place) or undici (dispatch(); always for https)', httpClient));
  return addForeignStoreOptions(cmd)
    .addHelpText('after', `\n${INTERRUPT_HELP}`)
    .action(
      withExitCode(async (scenarioArg: string, flags: RunFlags) => {
        const [{ runScenario }, { createProgressPrinter }, { formatRunSummary }, { prepareOutputDir, prepareOutputFile, missingFolders, removeEmptyFolders }, { checkRunStores }] = await Promise.all([
          import('../run/run-scenario.js'),
          import('../run/progress.js'),
          import('../report/summary.js'),
          import('../output-path.js'),
          import('../run/plan/run-stores.js'),
        ]);
        const foreign = foreignFlagsOf(flags);
        const stores =
          flags.redis !== undefined || flags.db !== undefined || flags.prefix !== undefined || Object.keys(foreign).length > 0
            ? { redis: flags.redis, db: flags.db, prefix: flags.prefix, ...foreign }
            : undefined;
        // Contradicting or malformed flags fail before any folder is made; then every output path
        // is made usable before anything starts: a typo must not cost a run.
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
        if (flags.junit !== undefined) await prepareOutputFile('--junit', flags.junit);
        if (flags.summaryExport !== undefined) await prepareOutputFile('--summary-export', flags.summaryExport);
        if (outs.k6Json !== undefined) await prepareOutputFile('--out json=', outs.k6Json);
        // A run refused before its load (a template not fresh, or missing) leaves no empty folder behind.
        const madeFolders = missingFolders(outs.dir ?? flags.reportsDir ?? 'reports');
        if (outs.dir !== undefined) await prepareOutputDir('--out', outs.dir);
        else await prepareOutputDir('--reports-dir', flags.reportsDir ?? 'reports');
        const overrides: Record<string, unknown> = {};
        for (const k of ['target', 'vus', 'duration', 'rate', 'stock', 'seed'] as const) if (flags[k] !== undefined) overrides[k] = flags[k];
        const templateIds = flags.templateIds ?? (flags.templateId !== undefined ? [flags.templateId] : undefined);
        if (templateIds !== undefined) overrides['templateIds'] = templateIds;
        const k6Json = await k6JsonSink(outs.k6Json);
        // SIGINT/SIGTERM: stop the load, write the report marked interrupted (exit 97); a second quits at once.
        const interrupts = trapInterrupts();
        const progress = flags.quiet ? undefined : createProgressPrinter(process.stderr, { tty: process.stderr.isTTY === true });
        const printer =
          k6Json === undefined
            ? progress
            : (e: Parameters<NonNullable<typeof progress>>[0]): void => {
                k6Json.onEvent(e);
                if (e.type !== 'response') progress?.(e);
              };
        try {
          const result = await runScenario(
            {
              scenarioPath: scenarioArg,
              env,
              overrides,
              thresholds: flags.threshold,
              reportsDir: flags.reportsDir,
              signal: interrupts.signal,
              ...(outs.dir !== undefined ? { outDir: outs.dir } : {}),
              ...(k6Json !== undefined ? { responseEvents: true } : {}),
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
            },
            printer,
          ).catch(async (err: unknown) => {
            await k6Json?.close().catch(() => undefined);
            removeEmptyFolders(madeFolders);
            throw err;
          });
          await k6Json?.close();
          if (flags.summaryExport !== undefined) await writeSummaryExport(flags.summaryExport, result.report);
          if (flags.json) process.stdout.write(JSON.stringify(result.report, null, 2) + '\n');
          else if (!flags.quiet) {
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
          return result.exitCode;
        } finally {
          interrupts.release();
        }
      }),
    );
}
