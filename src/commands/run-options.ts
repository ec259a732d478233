import { type Command, InvalidArgumentError } from 'commander';
import type { ScenarioOverrides } from '../model/scenario.js';
import type { ForeignStoreFlags } from '../model/foreign-stores.js';
import { parseShard } from '../run/plan/shard.js';
import { DURATION_FLAG_HELP, collect, durationFlag, integerAtLeast, yesNo } from './parse-options.js';
import { parseTemplateIds } from './run-outputs.js';
import type { TargetFlags } from './target-options.js';

/** Parsed flags of `coupon-bench run`: the scenario overrides plus the run's own options. */
export interface RunFlags extends Omit<ScenarioOverrides, 'templateIds'>, Omit<TargetFlags, 'target' | 'db'>, ForeignStoreFlags {
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

/** The scenario's shape overridden from the command line: target, VUs, duration, rate, stock, seed. */
function addLoadOptions(cmd: Command): Command {
  return cmd
    .option('--target <url>', 'base URL of the coupon service (overrides the scenario; not with --serve)')
    .option('--vus <n>', 'VUs (closed model) / maxVUs (arrival rate) / requests (burst)', integerAtLeast(1))
    .option('--duration <d>', `run length, ${DURATION_FLAG_HELP} (not for burst: its requests leave at one instant)`, durationFlag)
    .option('--rate <n>', 'arrival rate per timeUnit (arrival-rate executors; scales ramping stages)', positiveNumber)
    .option('--stock <n>', 'stock of every template in the scenario', integerAtLeast(0))
    .option('--seed <n>', 'seed for user ids and template picks (same seed, same requests)', integerAtLeast(0));
}

/** Where the run writes, what it reads into the scenario (env, template ids), what it judges and records. */
function addRecordOptions(cmd: Command): Command {
  return cmd
    .option('--out <dir|json=FILE>', "run folder for report.json and the ledger (default reports/<run-id>); json=FILE also writes every sample as k6's JSON lines (repeatable)", collect, [])
    .option('--summary-export <file>', "write the summary in k6's --summary-export JSON shape")
    .option('-e, --env <KEY=VALUE>', 'a variable for the scenario\'s {env.NAME} placeholders, over the environment (repeatable, like k6 -e)', collect, [])
    .option('--template-id <id>', "the template id of a single-template scenario (a second run against the same server needs a fresh one)", integerAtLeast(1))
    .option('--template-ids <ids>', 'the template ids of a multi-template scenario, in order, e.g. 7,8', templateIdsFlag)
    .option('--reports-dir <dir>', 'parent folder of run folders', 'reports')
    .option('--threshold <metric:expr>', "k6 threshold, e.g. 'http_req_duration:p(95)<5' (repeatable)", collect, [])
    .option('--ledger <mode>', 'full (every answer, default) or acked (only issued + unknown: smaller, but verify cannot judge no-phantom, no-lied-refusal)', ledgerMode);
}

/** The bundled server the run may start, the templates it may create, and the stores it records. */
function addStandOptions(cmd: Command): Command {
  return cmd
    .option('--serve', 'start the bundled server in a worker thread for the run and send the load there (its stores: --redis, --db, --prefix; default a private Redis and SQLite in the run folder)')
    .option('--setup', "create the scenario's templates through the target's admin API first (refused, exit 97, when one already has coupons)")
    .option('--admin-token <token>', 'admin token for --setup')
    .option('--redis <url>', "the target's Redis (with --serve: the served server's), recorded in report.json so verify can audit it")
    .option('--db <url>', "the target's database (with --serve: the served server's): sqlite:<path> | postgres://… | mysql://…")
    .option('--prefix <prefix>', "the target's Redis key prefix (with --serve: the served server's; default cb)");
}

/** The audit after the run, and what is printed or written of the result. */
function addResultOptions(cmd: Command): Command {
  return cmd
    .option('--verify', 'audit Redis, the database and the ledger after the run (implies --ledger full)')
    .option('--strict', 'with --verify: an invariant skipped (SKIP) or not exercised by the run, or a PARTIAL audit, is exit 97, not a qualified PASS')
    .option('--junit <file>', 'write harness, thresholds and invariants as JUnit XML')
    .option('--json', 'print the report JSON to stdout instead of the summary')
    .option('--quiet', 'no progress and no summary (exit code and files only)');
}

/** How the load goes out: its shard, the faults in it, the foreign dialect, the HTTP client. */
function addSendOptions(cmd: Command): Command {
  return cmd
    .option('--shard <i/n>', "run share i of n of the scenario's VUs, rate and iterations (disjoint user ids); join the reports with coupon-bench merge", shardFlag)
    .option('--fault <spec>', 'with --serve: inject a fault at a time after the load starts, e.g. kill-serve@3s, pause-redis@2s+1500ms, slow-db@1s+3s:200ms; with --target-cmd/--proxy/--fault-hook: kill-target@2s, cut:db@2s+2s, hook:NAME@3s (repeatable; see docs/faults.md)', collect, [])
    .option('--redis-appendonly <yes|no>', "with --fault: the private Redis persists with an append-only file (default yes; no only to prove verify sees restart-redis lose data)", yesNo)
    .option('--dialect <file>', "a foreign service's request and answers (JSON: {\"request\": …, \"answers\": […]}), over the scenario's own; see README \"Testing your own service\"")
    .option('--http-client <kind>', 'lean (default; one write per request, answers framed in place) or undici (dispatch(); always for https)', httpClient);
}

/** Every option of `coupon-bench run` but the target and foreign-store ones, in the order help lists them. */
export function addRunOptions(cmd: Command): Command {
  return addSendOptions(addResultOptions(addStandOptions(addRecordOptions(addLoadOptions(cmd)))));
}
