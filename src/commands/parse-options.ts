import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../load/duration.js';

/** `--drain-timeout`: `5000` (ms), `500ms` or `10s`, in milliseconds; shared by verify and demo. */
export function drainTimeoutMs(value: string): number {
  const text = value.trim();
  if (!/^\d+(ms|s)?$/.test(text)) throw new InvalidArgumentError('expected a duration like 5000, 500ms or 10s');
  return /^\d+$/.test(text) ? Number(text) : parseDuration(text, '--drain-timeout');
}
