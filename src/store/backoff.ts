/** Exponential backoff for database retries: `baseMs` doubled per failure so far, never above `capMs`. */
export function backoffMs(failures: number, baseMs: number, capMs: number): number {
  return Math.min(capMs, baseMs * 2 ** Math.min(failures, 16));
}
