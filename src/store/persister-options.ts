/** Options of the outbox persister (Redis stream consumer group -> database). */
export interface PersisterOptions {
  redisUrl: string;
  dbUrl: string;
  prefix: string;
  /** consumer name inside the group; unique per process */
  consumer?: string;
  /** entries per XREADGROUP / transaction */
  batchSize?: number;
  /** ms an entry must sit idle on another consumer before XAUTOCLAIM takes it */
  claimIdleMs?: number;
  /** deliveries after which an entry goes to the dead-letter stream */
  maxDeliveries?: number;
  /**
   * `worker` (default): the loop runs in a worker_threads Worker (needs the built
   * dist/store/persister-worker.js); `in-process`: the loop runs on the caller's event loop
   * (tests, tools that have no HTTP loop to protect).
   */
  mode?: 'worker' | 'in-process';
  /** ms XREADGROUP blocks waiting for new entries (default 100); bounds how fast stop() returns */
  blockMs?: number;
  /** ms between rescans of the template index for new templates (default 1000) */
  rescanMs?: number;
  /** cap of the retry backoff after a database failure, ms (default 2000) */
  maxBackoffMs?: number;
  /** database connection pool size (postgres/mysql; the URL's ?pool= wins) */
  poolSize?: number;
  /**
   * ms to let entries accumulate after a read that did not fill a batch (default 50): under a
   * steady trickle the persister then commits a few hundred rows at a time instead of one or two.
   */
  lingerMs?: number;
  /** batches written at once (default 2 on PostgreSQL, on separate pool connections; 1 on SQLite and MySQL) */
  inFlight?: number;
  /**
   * Start even when the database is unreachable: the handle is returned at once and the store is
   * opened in the background with capped backoff (failures and lastError in the stats). Bad URLs
   * and refused credentials still fail the start. Default false.
   */
  waitForDb?: boolean;
  /** read the outbox over the persister's own minimal RESP connection (default true; redis:// only) */
  rawReader?: boolean;
  /**
   * Niceness added to the worker thread's (worker mode; on Linux it applies to that thread only), so
   * the HTTP thread wins the CPU under contention; default 10, capped at 19; 0 leaves it unchanged.
   */
  niceness?: number;
}

/** Live figures of a persister, for /metrics and progress lines. */
export interface PersisterStats {
  /** rows newly inserted since start */
  persisted: number;
  /** rows that were already present (redelivery) */
  duplicatesIgnored: number;
  /** entries moved to the dead-letter stream */
  deadLettered: number;
  /** consecutive failed attempts to write to the database (0 when healthy) */
  failures: number;
  /** outbox entries not yet persisted (unread + pending), summed over templates, as last observed */
  lag: number;
  /** ms of the last successful commit (epoch), 0 if none yet */
  lastCommitAt: number;
  /** total failed database attempts since start (optional, additive) */
  totalFailures?: number;
  /** message of the last database error, if the last attempt failed (optional, additive) */
  lastError?: string;
  /** consecutive rounds of the read loop that failed on Redis (0 or absent when healthy) */
  redisFailures?: number;
  /**
   * entries read from the outbox are on their way to the database (a batch being written, or a read
   * ahead): a commit may still come. Restoring Redis from the database waits for this to clear.
   */
  busy?: boolean;
  /** ms (epoch) at which these figures were taken */
  at?: number;
}

/** A running persister. */
export interface PersisterHandle {
  stats(): PersisterStats;
  /** Finish the batch in hand, then stop. */
  stop(): Promise<void>;
  /**
   * Worker mode only: end the worker thread at once, as a crash would (fault tests). The host
   * restarts it (under the same consumer name), and the new worker re-reads what it held.
   */
  killWorker?(): Promise<void>;
}

/** Figures of a persister that has not done anything yet. */
export function emptyPersisterStats(): PersisterStats {
  return { persisted: 0, duplicatesIgnored: 0, deadLettered: 0, failures: 0, lag: 0, lastCommitAt: 0, totalFailures: 0 };
}
