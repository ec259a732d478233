import { randomBytes } from 'node:crypto';
import { UsageError } from '../../errors.js';
import type { Scenario } from '../../model/scenario.js';
import { parseDuration } from '../../shared/duration.js';
import { parseThresholdFlag, parseThresholdMap, type Threshold } from '../../report/thresholds.js';
import { checkFaultsServed, checkSchedule, faultFromScenario, type FaultSpec } from '../../faults/fault-spec.js';
import { checkTargetFaults } from '../../faults/target-stand.js';
import type { RunInput } from '../run-input.js';
import { checkRunStores } from './run-stores.js';
import { applyOverrides, loadScenario } from './scenario.js';
import { applyDialect } from '../../dialect/dialect.js';
import { prepareRunDialect, type RunDialect } from '../../dialect/run-dialect.js';
import type { EnvMap } from '../../dialect/request-template.js';

/** What a run will do, decided before anything starts: every input error is found here. */
export interface RunPlan {
  /** the scenario after flags and sharding, with its seed (its target is set once the stand is up) */
  scenario: Scenario;
  /** this generator's share of the VUs / iterations / user-id streams */
  worker: { index: number; count: number; slots?: number };
  /** a `--shard i/n` share of a larger run (its thresholds are judged by merge) */
  sharded: boolean;
  thresholds: Threshold[];
  ledgerMode: 'acked' | 'full';
  seed: number;
  faults: FaultSpec[];
  /** the service's answers compiled (a dialect's), and the check they imply */
  dialect: RunDialect;
  /** where the request's `{env.NAME}` placeholders are read */
  env: EnvMap;
}

/** A run id: UTC time, scenario name and a random suffix (`20250101-120000-seed-k6-a1b2`). */
export function newRunId(name: string): string {
  const ts = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `${ts}-${name.replace(/[^a-z0-9-]/gi, '-')}-${randomBytes(2).toString('hex')}`;
}

/** Planned run length (ms) when the executor has one, for progress display. */
export function plannedMs(s: Scenario): number | undefined {
  if (s.executor === 'constant-vus' || s.executor === 'constant-arrival-rate') return parseDuration(s.duration ?? 0);
  if (s.executor === 'ramping-vus' || s.executor === 'ramping-arrival-rate') return (s.stages ?? []).reduce((a, st) => a + parseDuration(st.duration), 0);
  return undefined;
}

/**
 * The scenario (file or given, flags, shard), thresholds, ledger mode, seed and fault schedule of a
 * run, each checked: a typo must not cost a run. Nothing is started or written.
 */
export async function planRun(input: RunInput): Promise<RunPlan> {
  let scenario = input.scenario ?? (input.scenarioPath ? loadScenario(input.scenarioPath, input.env ? { env: input.env } : {}) : undefined);
  if (!scenario) throw new UsageError('run: a scenario is required (a file or a bundled name such as seed-k6)');
  if (input.overrides) scenario = applyOverrides(scenario, input.overrides);
  scenario = applyDialect(scenario, input.dialect);
  const env = input.env ?? process.env;
  // A missing {env.NAME} is a usage error now, before anything starts.
  const dialect = prepareRunDialect(scenario, env);
  let worker: { index: number; count: number; slots?: number } = input.worker ?? { index: 0, count: 1 };
  const sharded = input.shard !== undefined && input.shard.count > 1;
  if (sharded && input.shard) {
    if (input.serve) throw new UsageError('--shard splits the load on one target across generators: run serve once and point every shard at it (not --serve)', 'E_USAGE');
    const { shardScenario } = await import('./shard.js');
    const split = shardScenario(scenario, input.shard.index, input.shard.count);
    scenario = split.scenario;
    worker = split.shard;
  }
  // Parse every threshold before sending anything: a typo must not cost a run.
  const thresholds: Threshold[] = [...parseThresholdMap(scenario.thresholds), ...(input.thresholds ?? []).map(parseThresholdFlag)];
  const ledgerMode: 'acked' | 'full' = input.verify ? 'full' : (input.ledgerMode ?? scenario.ledger ?? 'full');
  const seed = (scenario.seed ?? Math.floor(Math.random() * 2 ** 32)) >>> 0;
  scenario = { ...scenario, seed };

  // The same for the target and store flags (the CLI checked them already; other callers may not
  // have): a malformed URL is a usage error now, not after the load.
  checkRunStores({ serve: input.serve === true, target: input.overrides?.target, stores: input.stores });

  const faults: FaultSpec[] = [...(scenario.faults ?? []).map(faultFromScenario), ...(input.faults ?? [])];
  if (input.redisAppendOnly !== undefined && faults.length === 0) throw new UsageError('--redis-appendonly sets up the private Redis of a fault run: add --fault', 'E_USAGE');
  checkFaultsServed(faults, input.serve === true, input.ownTarget !== undefined);
  if (input.ownTarget) checkTargetFaults(faults, input.ownTarget);
  if (faults.length > 0) {
    const planned = plannedMs(scenario);
    checkSchedule(faults, planned ?? Number.POSITIVE_INFINITY);
  }
  return { scenario, worker, sharded, thresholds, ledgerMode, seed, faults, dialect, env };
}
