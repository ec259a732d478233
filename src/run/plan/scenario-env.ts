import { UsageError } from '../../errors.js';

/** Environment variables a scenario's `{env.NAME}` placeholders read (default process.env). */
export type EnvMap = Readonly<Record<string, string | undefined>>;

const PLACEHOLDER = /\{env\.([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * `run -e KEY=VALUE` (repeatable, like k6's `-e`): the values given, later ones winning. A bad
 * form is a usage error naming the flag.
 */
export function parseEnvFlags(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    const key = eq > 0 ? v.slice(0, eq) : '';
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      throw new UsageError(`-e/--env "${v}": expected KEY=VALUE with KEY a variable name (letters, digits, _)`, 'E_USAGE');
    }
    out[key] = v.slice(eq + 1);
  }
  return out;
}

/** The map a scenario's `{env.NAME}` reads: the `-e` flags over the process environment. */
export function mergedEnv(flags: Readonly<Record<string, string>>, base: EnvMap = process.env): EnvMap {
  return { ...base, ...flags };
}

/** `text` with every `{env.NAME}` replaced from `env`; a variable that is not set is a usage error naming `where`. */
export function fillEnv(text: string, env: EnvMap, where: string): string {
  return text.replace(PLACEHOLDER, (_, name: string) => {
    const v = env[name];
    if (v === undefined) throw new UsageError(`${where}: {env.${name}} names the environment variable ${name}, which is not set (set it or pass -e ${name}=…)`, 'E_SCENARIO_ENV');
    return v;
  });
}

/**
 * The scenario's `target` with its `{env.NAME}` placeholders filled (k6's `__ENV.BASE_URL`), before
 * the schema reads it. Other fields are left alone: the request fields resolve their own.
 */
export function resolveTargetEnv(data: unknown, env: EnvMap, source: string): unknown {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return data;
  const target = (data as { target?: unknown }).target;
  if (typeof target !== 'string' || !target.includes('{env.')) return data;
  return { ...data, target: fillEnv(target, env, `${source}: target`) };
}
