import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { threadId } from 'node:worker_threads';
import type { RedisClient } from '../redis/client.js';
import type { PersisterOptions, PersisterStats } from './persister-options.js';
import type { ReadEntry } from './stream-reply.js';

/** Defaults of the tunables (see PersisterOptions). */
export const PERSISTER_DEFAULTS = {
  batchSize: 2000,
  claimIdleMs: 30_000,
  maxDeliveries: 5,
  blockMs: 100,
  rescanMs: 1000,
  maxBackoffMs: 2000,
  lingerMs: 50,
} as const;

/**
 * Most outbox entries one Redis command of the persister reads or acks. Redis runs one command at a
 * time, so a read of 2,000 entries held every issue request behind it for its whole length (measured
 * on a 2-core VM: about 1.8 µs an entry for XREADGROUP into the group's pending list, 0.5 µs for
 * XACK). A batch for the database is still up to batchSize rows, gathered from several such reads.
 */
export const REDIS_CHUNK = 256;

/** How the host of the loop (worker thread or caller) steers it. */
export interface LoopControl {
  /** aborted when the host asks the loop to finish the batch in hand and return */
  readonly signal: AbortSignal;
  /** called once the store is open and the groups exist */
  onReady?(): void;
  /** called with fresh figures (throttled) */
  onStats?(stats: PersisterStats): void;
}

/** One template's outbox as the persister follows it. */
export interface TemplateState {
  readonly templateId: number;
  readonly outbox: string;
  readonly dead: string;
  /** next id to re-read from our own pending list; null when it is empty */
  pendingFrom: string | null;
  /** XLEN (unread + pending) as of this template's last ack/trim */
  lag: number;
}

/** Entries of one template as read from one XREADGROUP/XAUTOCLAIM reply. */
export interface Batch {
  readonly t: TemplateState;
  readonly entries: readonly ReadEntry[];
}

/** The tunables with their defaults applied. */
export interface LoopSettings {
  readonly batchSize: number;
  /** entries per Redis command (see REDIS_CHUNK) */
  readonly chunk: number;
  readonly claimIdleMs: number;
  readonly maxDeliveries: number;
  readonly blockMs: number;
  readonly rescanMs: number;
  readonly maxBackoffMs: number;
  readonly lingerMs: number;
  readonly consumer: string;
}

export function loopSettings(opts: PersisterOptions): LoopSettings {
  const batchSize = opts.batchSize ?? PERSISTER_DEFAULTS.batchSize;
  return {
    batchSize,
    chunk: Math.min(batchSize, REDIS_CHUNK),
    claimIdleMs: opts.claimIdleMs ?? PERSISTER_DEFAULTS.claimIdleMs,
    maxDeliveries: opts.maxDeliveries ?? PERSISTER_DEFAULTS.maxDeliveries,
    blockMs: opts.blockMs ?? PERSISTER_DEFAULTS.blockMs,
    rescanMs: opts.rescanMs ?? PERSISTER_DEFAULTS.rescanMs,
    maxBackoffMs: opts.maxBackoffMs ?? PERSISTER_DEFAULTS.maxBackoffMs,
    lingerMs: opts.lingerMs ?? PERSISTER_DEFAULTS.lingerMs,
    consumer: opts.consumer ?? `${hostname()}-${process.pid}-${threadId}-${randomUUID().slice(0, 6)}`,
  };
}

/** Batches being written, and whether a read ahead is out: what `stats.busy` reports. */
export interface Hold {
  writing: number;
  readAhead: boolean;
}

/** What the reader, the writer and the acker of one persister share. */
export interface PersisterContext extends LoopSettings {
  readonly prefix: string;
  readonly signal: AbortSignal;
  readonly stats: PersisterStats;
  readonly hold: Hold;
  /** send the figures to the host (throttled unless `force`) */
  readonly emit: (force?: boolean) => void;
  readonly redis: RedisClient;
  readonly templates: Map<number, TemplateState>;
  readonly byOutboxKey: Map<string, TemplateState>;
  /**
   * Local count of failed attempts per entry id: a retry from our own pending list does not always
   * bump Redis's delivery counter, so dead-lettering uses the larger of both.
   */
  readonly attempts: Map<string, number>;
}

const STATS_EVERY_MS = 50;

/** The throttled stats sender of a loop. */
export function statsEmitter(stats: PersisterStats, hold: Hold, control: LoopControl): (force?: boolean) => void {
  let lastStatsAt = 0;
  return (force = false): void => {
    const now = Date.now();
    if (!force && now - lastStatsAt < STATS_EVERY_MS) return;
    lastStatsAt = now;
    stats.busy = hold.writing > 0 || hold.readAhead;
    stats.at = now;
    control.onStats?.({ ...stats });
  };
}

/** Wait `ms`, or less when `signal` aborts. */
export const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
