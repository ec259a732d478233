import { PERSISTER_GROUP } from '../redis/keys.js';
import { backoffMs } from '../shared/backoff.js';
import { parseOutboxEntry, rowFields, type FailedEntry } from './outbox-entry.js';
import type { OutboxAcker } from './outbox-acker.js';
import { sleep, type Batch, type PersisterContext, type TemplateState } from './persister-context.js';
import type { CouponStore, IssuedRow } from './store.js';
import { describeDbError, isDataError } from './store-errors.js';

/** What one insert came to: committed, a row the database refuses, or undefined when stopping. */
type InsertResult = { added: number } | { dataError: unknown } | undefined;

/**
 * Writing delivered batches to the database: one transaction per batch (retried while the
 * database fails transiently), a bad row isolated by inserting one row per transaction, entries
 * that fail for their own sake dead-lettered after maxDeliveries. Up to `maxInFlight` batches are
 * written at once (more than one only for client/server engines).
 */
export class BatchWriter {
  private readonly inFlight = new Set<Promise<void>>();
  private inFlightError: unknown;

  constructor(
    private readonly ctx: PersisterContext,
    private readonly store: CouponStore,
    private readonly acker: OutboxAcker,
    private readonly maxInFlight: number,
  ) {}

  /** Write a batch, or start writing it when fewer than maxInFlight are being written. */
  async dispatch(b: Batch): Promise<void> {
    if (this.maxInFlight <= 1) return this.processBatch(b);
    while (this.inFlight.size >= this.maxInFlight) await Promise.race(this.inFlight);
    if (this.inFlightError !== undefined) throw this.inFlightError;
    const p: Promise<void> = this.processBatch(b).then(
      () => void this.inFlight.delete(p),
      (err: unknown) => {
        this.inFlight.delete(p);
        this.inFlightError ??= err;
      },
    );
    this.inFlight.add(p);
  }

  /** Wait for every batch being written; rethrows the first failure. */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.race(this.inFlight);
    const err = this.inFlightError;
    this.inFlightError = undefined;
    if (err !== undefined) throw err;
  }

  /** Process one delivered batch of one template. */
  async processBatch(b: Batch): Promise<void> {
    const { hold, emit } = this.ctx;
    hold.writing++;
    try {
      await this.writeBatch(b);
    } finally {
      // Nothing in hand any more: say so at once (a Redis restore may be waiting on it). Under load
      // a read ahead is out, and the figures go at their usual pace.
      if (--hold.writing === 0 && !hold.readAhead) emit(true);
    }
  }

  /** Write one delivered batch of one template. */
  private async writeBatch({ t, entries }: Batch): Promise<void> {
    const gone: string[] = [];
    const rows: IssuedRow[] = [];
    const ids: string[] = [];
    const failed: FailedEntry[] = [];
    // Duplicate coupon ids inside one batch only happen after manual XADDs: check cheaply by seq.
    let seen: Set<string> | undefined;
    let lastSeq = 0;
    for (const e of entries) {
      let row = e.row;
      if (row === undefined && e.fields === null) {
        gone.push(e.id); // deleted from the stream: already handled, just clear the pending entry
        continue;
      }
      if (row === undefined || row.templateId !== t.templateId) {
        const p = parseOutboxEntry(t.templateId, e.id, row ? rowFields(row) : [...e.fields!]);
        if ('row' in p) row = p.row;
        else {
          failed.push(p);
          continue;
        }
      }
      // The issue script appends seqs in increasing order: only a non-increasing one can repeat.
      if (row.seq <= lastSeq || seen !== undefined) {
        seen ??= new Set(rows.map((r) => r.couponId));
        if (seen.has(row.couponId)) {
          gone.push(e.id);
          continue;
        }
        seen.add(row.couponId);
      }
      lastSeq = row.seq;
      rows.push(row);
      ids.push(e.id);
    }
    if (gone.length) await this.ctx.redis.xack(t.outbox, PERSISTER_GROUP, ...gone);
    if (rows.length && !(await this.insertRows(t, rows, ids, failed))) return; // stopping: entries stay pending
    await this.handleFailed(t, failed);
  }

  /** Insert the rows in one transaction, or one by one when one of them is bad; false when stopping. */
  private async insertRows(t: TemplateState, rows: readonly IssuedRow[], ids: string[], failed: FailedEntry[]): Promise<boolean> {
    const res = await this.insertWithRetry(rows);
    if (res === undefined) return false; // stopping: entries stay pending, redelivered on next start
    if ('added' in res) {
      await this.acker.commitRows(t, rows.length, ids, res.added);
      return true;
    }
    // A row of the batch is bad: isolate it by inserting one row per transaction.
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const one = await this.insertWithRetry([row]);
      if (one === undefined) return false;
      if ('added' in one) await this.acker.commitRows(t, 1, [ids[i]!], one.added);
      else failed.push({ id: ids[i]!, fields: rowFields(row), reason: describeDbError(one.dataError) });
    }
    return true;
  }

  /** Insert rows in one transaction; retries transient failures until it commits or we are asked to stop. */
  private async insertWithRetry(rows: readonly IssuedRow[]): Promise<InsertResult> {
    const { stats, signal, emit } = this.ctx;
    for (;;) {
      try {
        const added = await this.store.insertIssued(rows);
        stats.failures = 0;
        stats.lastError = undefined;
        return { added };
      } catch (err) {
        if (isDataError(err)) return { dataError: err };
        stats.failures += 1;
        stats.totalFailures = (stats.totalFailures ?? 0) + 1;
        stats.lastError = describeDbError(err);
        await this.acker.observeLag().catch(() => undefined); // lag keeps growing during an outage: show it
        emit(true);
        if (signal.aborted) return undefined;
        await sleep(backoffMs(stats.failures, 50, this.ctx.maxBackoffMs), signal);
        if (signal.aborted) return undefined;
      }
    }
  }

  /** Entries that failed for their own sake: dead-letter those delivered often enough, keep the rest pending. */
  private async handleFailed(t: TemplateState, failed: readonly FailedEntry[]): Promise<void> {
    if (failed.length === 0) return;
    const { attempts, redis, maxDeliveries } = this.ctx;
    for (const f of failed) {
      const local = (attempts.get(f.id) ?? 0) + 1;
      attempts.set(f.id, local);
      const info = (await redis.call('XPENDING', t.outbox, PERSISTER_GROUP, f.id, f.id, 1)) as [string, string, number, number][];
      const deliveries = Math.max(local, Number(info[0]?.[3] ?? 0));
      if (deliveries >= maxDeliveries) await this.acker.deadLetter(t, f.id, f.fields, f.reason, deliveries);
    }
    // Entries acked behind a failed one could not be trimmed while it was pending.
    await this.acker.trim(t);
    // Survivors stay in our pending list; re-read them after the next rescan.
    t.pendingFrom ??= '0';
  }
}
