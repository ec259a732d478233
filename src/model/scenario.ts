import type { Outcome } from './outcome.js';
import type { ScenarioFault } from './fault.js';
import type { DialectAnswer, DialectRequest } from '../dialect/types.js';
import type { ExpectedStatus } from './http-req-failed.js';

/** How a scenario picks user ids. */
export type UserIdSpec =
  | { type: 'uniform'; min: number; max: number }
  | { type: 'sequential'; start?: number }
  | { type: 'zipf'; min?: number; count: number; exponent?: number }
  | { type: 'list'; ids: number[] };

/** The k6 executors a scenario can name, plus `burst`. */
export type ExecutorName =
  | 'constant-vus'
  | 'ramping-vus'
  | 'constant-arrival-rate'
  | 'ramping-arrival-rate'
  | 'shared-iterations'
  | 'burst'
  | 'adversarial';

/** A k6-style duration (`10s`, `1m30s`) or a number of seconds; see parseDuration. */
export type DurationValue = string | number;

/** A coupon template the scenario issues from (`weight` biases random picks). */
export interface ScenarioTemplate {
  id: number;
  stock: number;
  name?: string;
  weight?: number;
}

/** A k6-style check counted on every response (passes when every given condition holds). */
export interface ScenarioCheck {
  name: string;
  /** passes when the HTTP status is one of these */
  status?: number[];
  /** passes when the outcome class is one of these */
  outcome?: Outcome[];
}

/** The check of a scenario that names none: the seed k6 test's. */
export const DEFAULT_CHECKS: readonly ScenarioCheck[] = [{ name: 'status is 200 or 400', status: [200, 400] }];

/** A threshold expression, optionally with k6's abortOnFail. */
export type ThresholdSpec = string | { threshold: string; abortOnFail?: boolean };

/** A load scenario as written in `scenarios/*.json` (see scenarios/scenario.schema.json). */
export interface Scenario {
  name: string;
  description?: string;
  target?: string;
  path?: string;
  executor: ExecutorName;
  vus?: number;
  duration?: DurationValue;
  thinkTime?: DurationValue;
  startVUs?: number;
  stages?: Array<{ duration: DurationValue; target: number }>;
  rate?: number;
  startRate?: number;
  timeUnit?: DurationValue;
  preAllocatedVUs?: number;
  maxVUs?: number;
  iterations?: number;
  maxDuration?: DurationValue;
  requests?: number;
  warmupPath?: string;
  lateTolerance?: DurationValue;
  timeout?: DurationValue;
  seed?: number;
  users: UserIdSpec;
  templates: ScenarioTemplate[];
  checks?: ScenarioCheck[];
  /** k6's expectedStatuses: the statuses http_req_failed counts as not failed */
  expectedStatuses?: ExpectedStatus[];
  thresholds?: Record<string, ThresholdSpec[]>;
  harness?: { maxDroppedRatio?: number; maxEventLoopDelayMs?: number; maxStealPercent?: number };
  ledger?: 'acked' | 'full';
  /** the fault schedule (run --serve and chaos only) */
  faults?: ScenarioFault[];
  /** the service's request (default: the bundled contract's POST /api/coupons/issue) */
  request?: DialectRequest;
  /** how the service's answers read (default: the bundled contract's) */
  answers?: DialectAnswer[];
  /** the adversarial executor's knobs */
  adversarial?: { concurrentRepeats?: number; demandFactor?: number; connections?: number };
}

/** Flag overrides of `coupon-bench run` (they win over the file). */
export interface ScenarioOverrides {
  target?: string;
  vus?: number;
  duration?: string;
  rate?: number;
  stock?: number;
  seed?: number;
  /** `--template-id N` / `--template-ids 7,8`: the scenario's template ids, replaced in order */
  templateIds?: number[];
}
