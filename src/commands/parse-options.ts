import { InvalidArgumentError } from 'commander';
import { TOO_LONG, parseDuration } from '../shared/duration.js';

/**
 * Durations on the command line carry their unit (`500ms`, `10s`, `1m30s`): a bare number is
 * refused, since scenario files read it as seconds and many tools as milliseconds (`--duration
 * 1500` would be a 25-minute run). `0` alone is unambiguous and accepted.
 */
export const DURATION_FLAG_HELP = 'with its unit: 500ms, 10s, 1m30s';

/** A duration flag's value in milliseconds; refuses a bare number other than 0 (see DURATION_FLAG_HELP). */
function flagDurationMs(value: string): number {
  const text = value.trim();
  if (/^0+(\.0+)?$/.test(text)) return 0;
  if (/^\d+(\.\d+)?$/.test(text)) throw new InvalidArgumentError(`"${text}" has no unit: write ${text}ms or ${text}s`);
  try {
    return parseDuration(text);
  } catch (err) {
    if ((err as { code?: string }).code === 'E_DURATION_TOO_LONG') {
      throw new InvalidArgumentError(TOO_LONG);
    }
    throw new InvalidArgumentError(`expected a duration ${DURATION_FLAG_HELP}`);
  }
}

/** `--drain-timeout`: `500ms`, `10s` (a unit is required), in milliseconds; shared by verify and demo. */
export function drainTimeoutMs(value: string): number {
  return flagDurationMs(value);
}

/** `--duration` of run and demo: checked like every duration flag, kept as written for the scenario. */
export function durationFlag(value: string): string {
  flagDurationMs(value);
  return value.trim();
}

/** An integer flag of at least `min`; the message states the rule the value broke. */
export function integerAtLeast(min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`must be an integer >= ${min}`);
    return n;
  };
}

/** A repeatable flag: each use adds its value. */
export function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

/** `yes` or `no` as a boolean. */
export function yesNo(v: string): boolean {
  if (v !== 'yes' && v !== 'no') throw new InvalidArgumentError('expected yes or no');
  return v === 'yes';
}
