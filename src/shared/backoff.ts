/**
 * The one backoff of the project: `baseMs` doubled per failure so far, never above `capMs`. Used
 * for database retries, Redis reconnects (ioredis and the raw connections) and the load engine's
 * connect retries.
 */
export function backoffMs(failures: number, baseMs: number, capMs: number): number {
  return Math.min(capMs, baseMs * 2 ** Math.min(Math.max(0, failures), 16));
}
