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
}

/** A running persister. */
export interface PersisterHandle {
  stats(): PersisterStats;
  /** Finish the batch in hand, then stop. */
  stop(): Promise<void>;
}
