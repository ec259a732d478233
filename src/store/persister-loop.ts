import { createRedis } from '../redis/client.js';
import { backoffMs } from '../shared/backoff.js';
import { BatchWriter } from './batch-writer.js';
import { OutboxAcker } from './outbox-acker.js';
import { OutboxReader, sizeOf, type ReadResult } from './outbox-reader.js';
import { openStore } from './open-store.js';
import { PERSISTER_DEFAULTS, loopSettings, sleep, statsEmitter, type LoopControl, type PersisterContext } from './persister-context.js';
import { emptyPersisterStats, type PersisterOptions, type PersisterStats } from './persister-options.js';
import type { CouponStore } from './store.js';
import { describeDbError } from './store-errors.js';

/**
 * The persister loop: outbox streams -> consumer group -> one DB transaction per batch -> XACK+XTRIM.
 * Runs until `control.signal` aborts; shared by the worker thread and the in-process mode. Reading
 * the outbox is OutboxReader's job, writing batches BatchWriter's, acknowledging OutboxAcker's.
 *
 * Cost model: a batch costs a fixed few round trips + one commit (an fsync on SQLite), an entry a
 * few µs. So the loop reads as much as is there (up to batchSize, REDIS_CHUNK entries a Redis
 * command, so issue requests never wait long behind it) and, when the outbox is not
 * busy, lingers `lingerMs` before the next read so entries arriving at a trickle (serve under
 * load) are persisted in batches of hundreds, not of one or two.
 */
export async function runPersisterLoop(opts: PersisterOptions, control: LoopControl): Promise<PersisterStats> {
  const settings = loopSettings(opts);
  const { signal } = control;
  const stats: PersisterStats = emptyPersisterStats();
  const hold = { writing: 0, readAhead: false };
  const emit = statsEmitter(stats, hold, control);
  const store: CouponStore = await openStoreWithRetry(opts, stats, signal, emit, control);
  // SQLite is synchronous (one batch at a time is all it can do); PostgreSQL commits two batches at
  // once on separate pool connections: safe, inserts are idempotent and each batch is acked only
  // after its own commit. MySQL stays at one by default: with two, an outage test once saw a batch
  // stall (not understood yet); the MariaDB drain goal is met with one.
  const maxInFlight = Math.max(1, opts.inFlight ?? (store.engine === 'postgres' ? 2 : 1));
  const redis = createRedis(opts.redisUrl, { role: 'worker', name: 'coupon-bench-persister' });
  const ctx: PersisterContext = {
    ...settings,
    prefix: opts.prefix,
    signal,
    stats,
    hold,
    emit,
    redis,
    templates: new Map(),
    byOutboxKey: new Map(),
    attempts: new Map(),
  };
  const reader = new OutboxReader(ctx, opts.redisUrl, opts.rawReader !== false);
  try {
    const acker = new OutboxAcker(ctx);
    const loop = new Loop(ctx, reader, new BatchWriter(ctx, store, acker, maxInFlight), acker, control);
    return await loop.run();
  } finally {
    reader.close();
    redis.disconnect();
    await store.close();
  }
}

/** The rounds of one persister: rescan now and then, re-read own pending entries, read and write new ones. */
class Loop {
  private nextRescanAt = 0;
  private readyFired = false;
  private prefetched: Promise<ReadResult> | undefined;
  private lastReadAt = 0;

  constructor(
    private readonly ctx: PersisterContext,
    private readonly reader: OutboxReader,
    private readonly writer: BatchWriter,
    private readonly acker: OutboxAcker,
    private readonly control: LoopControl,
  ) {}

  async run(): Promise<PersisterStats> {
    const { signal, stats, emit } = this.ctx;
    while (!signal.aborted) {
      try {
        if (!(await this.round())) break;
        this.roundDone();
      } catch (err) {
        await this.roundFailed(err);
      }
    }
    // Finish the batch in hand: a prefetched read already moved entries into our pending list.
    if (this.prefetched) await this.processRead(await this.prefetched).catch(() => undefined);
    await this.writer.settle().catch(() => undefined);
    await this.acker.settled();
    await this.acker.observeLag().catch(() => undefined);
    emit(true);
    return { ...stats };
  }

  /** One round; false when asked to stop while lingering. */
  private async round(): Promise<boolean> {
    const { templates, blockMs, rescanMs, lingerMs, signal, stats } = this.ctx;
    if (Date.now() >= this.nextRescanAt) await this.rescan();
    const fromPending = await this.drainOwnPending();
    if (fromPending > 0 || templates.size === 0) {
      if (templates.size === 0) await sleep(Math.min(blockMs, rescanMs), signal);
      return true;
    }
    const list = [...templates.values()];
    if (!this.prefetched) {
      // Not busy: let entries accumulate for up to lingerMs since the last read.
      const wait = this.lastReadAt + lingerMs - Date.now();
      if (wait > 0) await sleep(wait, signal);
      if (signal.aborted) return false;
    }
    const read = await (this.prefetched ?? this.reader.readNew(list, true));
    this.prefetched = undefined;
    this.ctx.hold.readAhead = false;
    this.lastReadAt = Date.now();
    const n = sizeOf(read);
    // Busy outbox: Redis prepares the next batch while this one goes to the database.
    if ('res' in read && read.busy && !signal.aborted) {
      this.prefetched = this.reader.readNew(list, false);
      this.ctx.hold.readAhead = true;
    }
    await this.processRead(read);
    if (n === 0) {
      this.lastReadAt = 0; // idle: the next read blocks right away
      if (stats.lag !== 0) await this.acker.observeLag();
    }
    return true;
  }

  /** Follow new templates, claim stalled entries, trim, and schedule retries of failed entries. */
  private async rescan(): Promise<void> {
    const { templates, attempts, rescanMs } = this.ctx;
    await this.writer.settle();
    await this.reader.rescan();
    for await (const b of this.reader.staleBatches()) await this.writer.dispatch(b);
    await this.writer.settle();
    // Also clears acked entries a crash left between XACK and XTRIM, and refreshes the lag.
    await this.acker.settled();
    for (const t of templates.values()) await this.acker.trim(t);
    // Failed entries left pending are retried once per rescan, not in a hot loop.
    if (attempts.size > 0) for (const t of templates.values()) t.pendingFrom ??= '0';
    this.nextRescanAt = Date.now() + rescanMs;
    this.fireReady();
  }

  /** Re-read our own pending entries (after a restart with the same consumer name, or after failures). */
  private async drainOwnPending(): Promise<number> {
    const { templates, signal } = this.ctx;
    let any = false;
    for (const t of templates.values()) if (t.pendingFrom !== null) any = true;
    if (!any) return 0;
    await this.writer.settle();
    await this.acker.settled(); // no re-read of entries being acked
    let n = 0;
    for (const t of templates.values()) {
      if (t.pendingFrom === null || signal.aborted) continue;
      const b = await this.reader.ownPending(t);
      if (b === undefined) continue;
      await this.writer.processBatch(b);
      n += b.entries.length;
    }
    return n;
  }

  private async processRead(r: ReadResult): Promise<void> {
    if ('err' in r) throw r.err;
    for (const s of r.res ?? []) {
      const t = this.ctx.byOutboxKey.get(s.key);
      if (t && s.entries.length) await this.writer.dispatch({ t, entries: s.entries });
    }
  }

  /** A loop round that reached its end: Redis answered it. */
  private roundDone(): void {
    const { stats, emit } = this.ctx;
    if (stats.redisFailures) {
      stats.redisFailures = 0;
      stats.lastError = undefined;
      emit(true);
    } else emit();
  }

  /** Redis hiccup (or NOGROUP after someone deleted a stream): back off, rediscover, go on. */
  private async roundFailed(err: unknown): Promise<void> {
    const { stats, emit, templates, byOutboxKey, maxBackoffMs, signal } = this.ctx;
    await this.writer.settle().catch(() => undefined);
    if (String((err as Error).message).includes('NOGROUP')) {
      templates.clear();
      byOutboxKey.clear();
    }
    stats.lastError = describeDbError(err);
    stats.redisFailures = (stats.redisFailures ?? 0) + 1;
    emit(true);
    // Started while Redis is unreachable: the host should not wait; the loop keeps trying.
    this.fireReady();
    await sleep(Math.min(maxBackoffMs, 200), signal);
    this.nextRescanAt = 0;
  }

  private fireReady(): void {
    if (this.readyFired) return;
    this.readyFired = true;
    this.control.onReady?.();
  }
}

/**
 * Open the store. With `waitForDb`, an unreachable database at start is not fatal: the host is
 * told "ready" (so `serve` can take traffic; Redis is the gate) and the open is retried with capped
 * backoff, failures and lastError reported in the stats. Bad URLs and refused credentials still fail.
 */
async function openStoreWithRetry(
  opts: PersisterOptions,
  stats: PersisterStats,
  signal: AbortSignal,
  emit: (force?: boolean) => void,
  control: LoopControl,
): Promise<CouponStore> {
  const open = (): Promise<CouponStore> => openStore(opts.dbUrl, { poolSize: opts.poolSize });
  if (!opts.waitForDb) return open();
  const maxBackoffMs = opts.maxBackoffMs ?? PERSISTER_DEFAULTS.maxBackoffMs;
  let readyFired = false;
  for (;;) {
    try {
      return await open();
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'E_DB_UNREACHABLE' || signal.aborted) throw err;
      stats.failures += 1;
      stats.totalFailures = (stats.totalFailures ?? 0) + 1;
      stats.lastError = describeDbError(err);
      emit(true);
      if (!readyFired) {
        readyFired = true;
        // onReady is idempotent for both hosts (the promise resolves once).
        control.onReady?.();
      }
      await sleep(backoffMs(stats.failures, 100, maxBackoffMs), signal);
    }
  }
}
