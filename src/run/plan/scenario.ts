import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { basename, extname } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { UsageError } from '../../errors.js';
import { MAX_DURATION_MS, TOO_LONG, parseDuration } from '../../shared/duration.js';
import { faultFromScenario } from '../../faults/fault-spec.js';
import type { Scenario, ScenarioOverrides, ScenarioTemplate } from '../../model/scenario.js';
import type { Dialect } from '../../dialect/types.js';
import { checkDialect } from '../../dialect/dialect.js';
import { describeSchemaErrors, jsonErrorWhere } from './scenario-errors.js';
import { didYouMean } from '../../shared/did-you-mean.js';
import { resolveTargetEnv, type EnvMap } from './scenario-env.js';
import { checkTargetFlag } from './target-flag.js';

type Validator = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };
let validators: { scenario: Validator; dialect: Validator } | undefined;

function getValidators(): NonNullable<typeof validators> {
  if (!validators) {
    const schema = JSON.parse(readFileSync(new URL('../../../scenarios/scenario.schema.json', import.meta.url), 'utf8')) as { $id: string };
    const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
    ajv.addSchema(schema);
    validators = {
      scenario: ajv.getSchema(schema.$id) as Validator,
      dialect: ajv.compile({ $ref: `${schema.$id}#/definitions/dialectFile` }),
    };
  }
  return validators;
}

/** Validate a parsed `--dialect` file; throws UsageError naming each bad field. */
export function validateDialectFile(data: unknown, source: string): Dialect {
  const validate = getValidators().dialect;
  if (!validate(data)) {
    const lines = describeSchemaErrors(validate.errors ?? []);
    throw new UsageError(`${source}: invalid dialect:\n  - ${lines.join('\n  - ')}`, 'E_DIALECT_INVALID');
  }
  const d = data as Dialect;
  checkDialect(d, source);
  return { ...(d.request ? { request: d.request } : {}), ...(d.answers ? { answers: d.answers } : {}) };
}

/** Validate a parsed scenario object; throws UsageError naming each bad field. */
export function validateScenario(data: unknown, source = 'scenario'): Scenario {
  const validate = getValidators().scenario;
  if (!validate(data)) {
    const lines = describeSchemaErrors(validate.errors ?? []);
    throw new UsageError(`${source}: invalid scenario:\n  - ${lines.join('\n  - ')}`, 'E_SCENARIO_INVALID');
  }
  const s = data as Scenario;
  // Cross-field rules the schema cannot say.
  if (s.users.type === 'uniform' && s.users.min > s.users.max) {
    throw new UsageError(`${source}: users.min (${s.users.min}) must be <= users.max (${s.users.max})`, 'E_SCENARIO_INVALID');
  }
  const ids = new Set<number>();
  for (const t of s.templates) {
    if (ids.has(t.id)) throw new UsageError(`${source}: templates has template id ${t.id} twice`, 'E_SCENARIO_INVALID');
    ids.add(t.id);
  }
  if (s.preAllocatedVUs !== undefined && s.maxVUs !== undefined && s.maxVUs < s.preAllocatedVUs) {
    throw new UsageError(`${source}: maxVUs (${s.maxVUs}) must be >= preAllocatedVUs (${s.preAllocatedVUs})`, 'E_SCENARIO_INVALID');
  }
  for (const f of ['duration', 'thinkTime', 'timeUnit', 'maxDuration', 'lateTolerance', 'timeout'] as const) {
    const v = s[f];
    if (v !== undefined) parseDuration(v, f);
  }
  if (s.stages) {
    const total = s.stages.reduce((ms, st, i) => ms + parseDuration(st.duration, `stages[${i}].duration`), 0);
    if (total > MAX_DURATION_MS) {
      throw new UsageError(`${source}: stages last ${total} ms in all, ${TOO_LONG}`, 'E_SCENARIO_INVALID');
    }
  }
  checkDialect(s, source);
  (s.faults ?? []).forEach((f, i) => {
    try {
      faultFromScenario(f, i);
    } catch (err) {
      throw new UsageError(`${source}: ${(err as Error).message}`, 'E_SCENARIO_INVALID');
    }
  });
  return s;
}

/** Files that are k6 scripts, not scenarios: they are never run, the reference maps them. */
const SCRIPT_EXTENSIONS = new Set(['.js', '.mjs', '.cjs', '.ts']);

/**
 * Read and validate a scenario file. A bare name (`seed-k6`) resolves to the bundled scenarios.
 * `env` (default process.env; `run -e KEY=VALUE` over it) fills the `{env.NAME}` placeholders.
 */
export function loadScenario(path: string, opts: { env?: EnvMap } = {}): Scenario {
  if (SCRIPT_EXTENSIONS.has(extname(path).toLowerCase())) {
    throw new UsageError(
      `${path} is a script: k6 scripts are not run; write the scenario as JSON (docs/scenarios.md, "From k6" maps options, executors, sleep, checks, thresholds and __ENV)`,
      'E_SCENARIO_IS_SCRIPT',
    );
  }
  const file = resolveScenarioPath(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    const bare = file !== path;
    const hint = code !== 'ENOENT' ? '' : bare ? `${didYouMean(path, bundledScenarioNames())} (bundled scenarios: ${bundledScenarioNames().join(', ')}; or give a path to a .json file)` : '';
    throw new UsageError(`cannot read scenario ${path}: ${code}${hint}`, 'E_SCENARIO_READ');
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    const at = jsonErrorWhere(text, err as Error);
    throw new UsageError(`${basename(file)}:${at.line}:${at.column}: not valid JSON: ${at.why}`, 'E_SCENARIO_INVALID');
  }
  return validateScenario(resolveTargetEnv(data, opts.env ?? process.env, basename(file)), basename(file));
}

/** Names of the scenarios bundled in scenarios/. */
export function bundledScenarioNames(): string[] {
  const dir = fileURLToPath(new URL('../../../scenarios/', import.meta.url));
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json') && !f.endsWith('.schema.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/** A bare name (`seed-k6`) is a bundled scenario; anything else is a file path. */
export function resolveScenarioPath(path: string): string {
  if (/^[a-z0-9-]+$/i.test(path)) {
    return fileURLToPath(new URL(`../../../scenarios/${path}.json`, import.meta.url));
  }
  return path;
}

/**
 * Stretch or shrink ramping stages so they add up to `totalMs`, keeping each stage's share and
 * target (a 7 s ramp up-hold-down run with `--duration 3s` keeps its shape in 3 s). Durations are
 * whole milliseconds; the last stage takes the rounding so the total is exact.
 */
export function scaleStages(stages: NonNullable<Scenario['stages']>, totalMs: number): NonNullable<Scenario['stages']> {
  if (!(totalMs > 0)) throw new UsageError(`--duration: must be more than 0 for a ramping scenario`);
  const ms = stages.map((st) => parseDuration(st.duration, 'stages.duration'));
  const sum = ms.reduce((a, b) => a + b, 0);
  if (stages.length === 0 || sum === 0) return [{ duration: `${Math.round(totalMs)}ms`, target: stages.at(-1)?.target ?? 0 }];
  let used = 0;
  return stages.map((st, i) => {
    const d = i === stages.length - 1 ? Math.round(totalMs) - used : Math.round(((ms[i] as number) * totalMs) / sum);
    used += d;
    return { ...st, duration: `${d}ms` };
  });
}

/** The templates with their ids replaced in order (`--template-id` for one, `--template-ids` for several). */
function replaceTemplateIds(templates: ScenarioTemplate[], ids: readonly number[]): ScenarioTemplate[] {
  if (ids.length !== templates.length) {
    const has = `the scenario has ${templates.length} template${templates.length === 1 ? '' : 's'} (${templates.map((t) => t.id).join(', ')})`;
    const flag = ids.length === 1 ? '--template-id' : '--template-ids';
    const use = templates.length === 1 ? 'give one id with --template-id N' : `give ${templates.length} ids with --template-ids ${templates.map((_, i) => 7 + i).join(',')}`;
    throw new UsageError(`${flag}: ${has}: ${use}`, 'E_USAGE');
  }
  return templates.map((t, i) => ({ ...t, id: ids[i] as number }));
}

/** Apply flag overrides; returns a new scenario (re-validated). */
export function applyOverrides(s: Scenario, o: ScenarioOverrides): Scenario {
  const out: Scenario = structuredClone(s);
  if (o.target !== undefined) out.target = checkTargetFlag(o.target);
  if (o.seed !== undefined) out.seed = o.seed;
  if (o.templateIds !== undefined) out.templates = replaceTemplateIds(out.templates, o.templateIds);
  if (o.stock !== undefined) out.templates = out.templates.map((t) => ({ ...t, stock: o.stock as number }));
  if (o.duration !== undefined) {
    if (out.executor === 'burst') {
      throw new UsageError('--duration: burst releases all its requests at one instant and has no duration (--vus sets how many)');
    }
    if (out.executor === 'adversarial') throw new UsageError('--duration: adversarial sends waves sized by the stock and has no duration (--stock sets it)');
    if (out.executor === 'shared-iterations') out.maxDuration = o.duration;
    else if (out.executor === 'ramping-vus' || out.executor === 'ramping-arrival-rate') {
      out.stages = scaleStages(out.stages ?? [], parseDuration(o.duration, '--duration'));
    } else out.duration = o.duration;
  }
  if (o.vus !== undefined) {
    if (out.executor === 'constant-arrival-rate' || out.executor === 'ramping-arrival-rate') out.maxVUs = o.vus;
    else if (out.executor === 'burst') out.requests = o.vus;
    else if (out.executor === 'adversarial') out.adversarial = { ...out.adversarial, connections: Math.max(2, o.vus) };
    else if (out.executor === 'ramping-vus') throw new UsageError('--vus: ramping-vus takes its VUs from "stages"');
    else out.vus = o.vus;
    if (out.preAllocatedVUs !== undefined && out.maxVUs !== undefined && out.preAllocatedVUs > out.maxVUs) out.preAllocatedVUs = out.maxVUs;
  }
  if (o.rate !== undefined) {
    if (out.executor === 'constant-arrival-rate') out.rate = o.rate;
    else if (out.executor === 'ramping-arrival-rate') {
      // Scale every stage so the peak equals the requested rate.
      const peak = Math.max(out.startRate ?? 0, ...(out.stages ?? []).map((st) => st.target));
      const k = peak > 0 ? o.rate / peak : 1;
      out.startRate = (out.startRate ?? 0) * k;
      out.stages = (out.stages ?? []).map((st) => ({ ...st, target: st.target * k }));
    } else {
      throw new UsageError(`--rate: ${out.executor} is a closed-model executor (use --vus); --rate applies to arrival-rate executors`);
    }
  }
  return validateScenario(out, `${s.name} (after flags)`);
}
