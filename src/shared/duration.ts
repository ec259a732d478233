import { UsageError } from '../errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * The longest duration: Node's timers hold at most 2^31 - 1 ms (about 24.8 days) and fire at once
 * beyond it, so a longer run would end after a millisecond and look like a pass.
 */
export const MAX_DURATION_MS = 2 ** 31 - 1;

/** What a refusal of a longer duration says. */
export const TOO_LONG = `longer than the longest duration, ${MAX_DURATION_MS} ms (about 24.8 days: Node's timer limit)`;

/** Parse a k6-style duration (`10s`, `500ms`, `1m30s`, or a bare number of seconds) into milliseconds. */
export function parseDuration(value: string | number, field = 'duration'): number {
  return capped(parseAny(value, field), value, field);
}

function capped(ms: number, value: string | number, field: string): number {
  if (ms > MAX_DURATION_MS) {
    throw new UsageError(
      `${field}: "${value}" is ${TOO_LONG}`,
      'E_DURATION_TOO_LONG',
    );
  }
  return ms;
}

function parseAny(value: string | number, field: string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new UsageError(`${field}: must be a non-negative duration, got ${value}`);
    return value * 1000;
  }
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * (UNIT_MS[m[2] as string] ?? 0);
    consumed = re.lastIndex;
  }
  if (consumed === 0 || consumed !== text.length) {
    throw new UsageError(`${field}: "${value}" is not a duration (use e.g. 10s, 500ms, 1m30s)`);
  }
  return total;
}
