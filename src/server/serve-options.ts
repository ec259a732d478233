import type { RestoreResult } from './template-restore.js';
import type { PersisterOptions } from '../store/persister-options.js';

/** Normalised options of `coupon-bench serve` and of the in-process server used by run/demo/tests. */
export interface ServeOptions {
  /** address to bind; 127.0.0.1 by default */
  host: string;
  /** port; 0 picks a free one */
  port: number;
  /** Redis URL; undefined starts a private redis-server */
  redisUrl?: string;
  /**
   * data folder of the private redis-server (no `redisUrl`): kept on stop, so a restart, even after
   * a crash, replays its append-only file; a temporary folder, removed on stop, when omitted
   */
  redisDir?: string;
  /** database URL (sqlite:<path> | postgres://… | mysql://…) */
  dbUrl: string;
  /** Redis key prefix */
  prefix: string;
  /** token required on admin routes; required when host is not loopback */
  adminToken?: string;
  /** run the outbox persister in this process (default true) */
  persister?: boolean;
  /** extra persister settings (batch size, mode, ...); urls and prefix come from above */
  persisterOptions?: Partial<Omit<PersisterOptions, 'redisUrl' | 'dbUrl' | 'prefix'>>;
  /**
   * Redis client of the issue hot path: `pipeline` (default; a dedicated pipelined connection,
   * redis:// only) or `ioredis` (the defineCommand'ed script; also used for rediss://)
   */
  issueClient?: 'pipeline' | 'ioredis';
  /**
   * HTTP front of the issue route: `fast` (default; complete plain issue requests are answered
   * without node:http, everything else is handed to it) or `node` (node:http for every request)
   */
  httpFront?: 'fast' | 'node';
  /**
   * answer requests for a sold-out template from a copy of its final holders instead of Redis
   * (default true; issue pipeline only; see sold-out-snapshot.ts)
   */
  soldOutSnapshot?: boolean;
  /** ms a sold-out snapshot answers after Redis last confirmed it (default 1000; tests pin it) */
  soldOutSnapshotTtlMs?: number;
  /**
   * Start even when the database is unreachable (default false: fail at start). Issuance goes on
   * (Redis is the gate, coupons wait in the outbox); the admin and template routes answer 503 and
   * the server and its persister keep trying to open the database. Bad URLs and credentials still fail.
   */
  waitForDb?: boolean;
  /** told when the database is found unreachable at start ('waiting') and when it opens later ('open') */
  onDbState?: (state: 'waiting' | 'open', detail: string) => void;
  /** told of each template rebuilt in Redis from the database, or repaired from it (see template-restore.ts) */
  onRestore?: (result: RestoreResult) => void;
  /** told when a restore pass after a Redis reconnect or a late database open failed (it runs again on the next one) */
  onRestoreError?: (err: unknown) => void;
  /** Redis timeout in ms (default 100 on the issue pipeline, 250 on ioredis): no answer for this long is answered 503 */
  redisTimeoutMs?: number;
  /** issue requests waiting on Redis beyond which new ones get 503 (default 10000) */
  maxInFlight?: number;
  /** request body limit in bytes (default 4096) */
  bodyLimitBytes?: number;
  /** ms to receive a request's headers before 408 (default 10000) */
  headersTimeoutMs?: number;
  /** ms to receive a whole request before 408 (default 30000) */
  requestTimeoutMs?: number;
  /** ms an idle keep-alive connection stays open (default 5000) */
  keepAliveTimeoutMs?: number;
  /** ms stop() waits for in-flight requests before closing connections (default 10000) */
  drainTimeoutMs?: number;
}

/** A running server, started in-process. */
export interface RunningServer {
  /** base URL, e.g. http://127.0.0.1:8080 */
  readonly url: string;
  readonly port: number;
  readonly redisUrl: string;
  readonly dbUrl: string;
  readonly prefix: string;
  /** true when this server started its own redis-server */
  readonly managedRedis: boolean;
  /** the private redis-server's data folder when it is kept (see ServeOptions.redisDir) */
  readonly redisDir?: string;
  /** Stop accepting, drain in-flight requests, stop the persister, close stores (and a managed Redis). */
  stop(): Promise<void>;
  /**
   * End the persister's worker thread at once, as a crash would (the `kill-persister` fault); the
   * server restarts it and the new worker re-reads what the old one held. Absent without a
   * persister worker.
   */
  killPersister?(): Promise<void>;
}
