import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { threadId } from 'node:worker_threads';
import type { Redis } from 'ioredis';
import { couponIdOf } from '../model/coupon-id.js';
import { createRedis } from '../redis/client.js';
import { PERSISTER_GROUP, deadLetterKey, templateKeys, templatesIndexKey } from '../redis/keys.js';
import { openStore } from './open-store.js';
import type { PersisterOptions, PersisterStats } from './persister-options.js';
import type { CouponStore, IssuedRow } from './store.js';
import { describeDbError, isDataError } from './store-errors.js';

/** Defaults of the tunables (see PersisterOptions). */
export const PERSISTER_DEFAULTS = {
  batchSize: 2000,
  claimIdleMs: 30_000,
  maxDeliveries: 5,
  blockMs: 100,
  rescanMs: 1000,
  maxBackoffMs: 2000,
} as const;

/** How the host of the loop (worker thread or caller) steers it. */
export interface LoopControl {
  /** aborted when the host asks the loop to finish the batch in hand and return */
  readonly signal: AbortSignal;
  /** called once the store is open and the groups exist */
  onReady?(): void;
  /** called with fresh figures (throttled) */
  onStats?(stats: PersisterStats): void;
}

/** One raw stream entry: [id, [field, value, ...]] (fields null when the entry was deleted). */
type RawEntry = [string, string[] | null];

interface TemplateState {
  readonly templateId: number;
  readonly outbox: string;
  readonly dead: string;
  /** next id to re-read from our own pending list; null when it is empty */
  pendingFrom: string | null;
}

/** Result of parsing one entry. */
type Parsed = { id: string; row: IssuedRow } | { id: string; fields: string[]; reason: string };

const STATS_EVERY_MS = 50;

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
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

const posInt = (v: string | undefined): number | undefined => {
  if (v === undefined || !/^[0-9]{1,16}$/.test(v)) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
};

/** Parse one outbox entry (fields u, s, t, tpl written by lua/issue-4.lua). Pure; exported for tests. */
export function parseOutboxEntry(templateId: number, id: string, fields: readonly string[]): Parsed {
  let u: string | undefined, s: string | undefined, t: string | undefined, tp: string | undefined;
  if (fields.length === 8 && fields[0] === 'u' && fields[2] === 's' && fields[4] === 't' && fields[6] === 'tpl') {
    // Fast path: the order lua/issue-4.lua writes (this runs for every entry).
    [, u, , s, , t, , tp] = fields;
  } else {
    const f = new Map<string, string>();
    for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i]!, fields[i + 1]!);
    [u, s, t, tp] = [f.get('u'), f.get('s'), f.get('t'), f.get('tpl')];
  }
  const userId = posInt(u);
  const seq = posInt(s);
  const issuedAt = posInt(t);
  const tpl = posInt(tp);
  if (userId === undefined || seq === undefined || issuedAt === undefined || tpl === undefined) {
    return { id, fields: [...fields], reason: 'malformed entry: u, s, t, tpl must be positive integers' };
  }
  if (tpl !== templateId) return { id, fields: [...fields], reason: `entry names template ${tpl} but sits in template ${templateId}'s outbox` };
  return { id, row: { couponId: couponIdOf(tpl, seq), templateId: tpl, userId, seq, issuedAt } };
}

/**
 * The persister loop: outbox streams -> consumer group -> one DB transaction per batch -> XACK+XDEL.
 * Runs until `control.signal` aborts; shared by the worker thread and the in-process mode.
 */
export async function runPersisterLoop(opts: PersisterOptions, control: LoopControl): Promise<PersisterStats> {
  const batchSize = opts.batchSize ?? PERSISTER_DEFAULTS.batchSize;
  const claimIdleMs = opts.claimIdleMs ?? PERSISTER_DEFAULTS.claimIdleMs;
  const maxDeliveries = opts.maxDeliveries ?? PERSISTER_DEFAULTS.maxDeliveries;
  const blockMs = opts.blockMs ?? PERSISTER_DEFAULTS.blockMs;
  const rescanMs = opts.rescanMs ?? PERSISTER_DEFAULTS.rescanMs;
  const maxBackoffMs = opts.maxBackoffMs ?? PERSISTER_DEFAULTS.maxBackoffMs;
  const consumer = opts.consumer ?? `${hostname()}-${process.pid}-${threadId}-${randomUUID().slice(0, 6)}`;
  const { signal } = control;

  const stats: PersisterStats = {
    persisted: 0,
    duplicatesIgnored: 0,
    deadLettered: 0,
    failures: 0,
    lag: 0,
    lastCommitAt: 0,
    totalFailures: 0,
  };
  let lastStatsAt = 0;
  const emit = (force = false): void => {
    const now = Date.now();
    if (!force && now - lastStatsAt < STATS_EVERY_MS) return;
    lastStatsAt = now;
    control.onStats?.({ ...stats });
  };

  const store: CouponStore = await openStore(opts.dbUrl, { poolSize: opts.poolSize });
  const redis: Redis = createRedis(opts.redisUrl, { role: 'worker', name: 'coupon-bench-persister' });
  const templates = new Map<number, TemplateState>();
  // Local count of failed attempts per entry id: a retry from our own pending list does not always
  // bump Redis's delivery counter, so dead-lettering uses the larger of both.
  const attempts = new Map<string, number>();

  const backoff = async (): Promise<void> => {
    await sleep(Math.min(maxBackoffMs, 50 * 2 ** Math.min(stats.failures, 16)), signal);
  };

  try {
    const rescan = async (): Promise<void> => {
      const ids = (await redis.smembers(templatesIndexKey(opts.prefix))).map(Number).filter((n) => Number.isSafeInteger(n) && n > 0);
      for (const templateId of ids) {
        if (templates.has(templateId)) continue;
        const k = templateKeys(opts.prefix, templateId);
        try {
          await redis.xgroup('CREATE', k.outbox, PERSISTER_GROUP, '0', 'MKSTREAM');
        } catch (err) {
          if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
        }
        templates.set(templateId, { templateId, outbox: k.outbox, dead: deadLetterKey(opts.prefix, templateId), pendingFrom: '0' });
      }
    };

    const observeLag = async (): Promise<void> => {
      if (templates.size === 0) return void (stats.lag = 0);
      const p = redis.pipeline();
      // Entries are XDELed right after XACK, so XLEN counts unread + pending (not yet persisted).
      for (const t of templates.values()) p.xlen(t.outbox);
      const res = (await p.exec()) ?? [];
      stats.lag = res.reduce((sum, [err, n]) => sum + (err ? 0 : Number(n)), 0);
    };

    /**
     * Remove acked entries from the stream so XLEN == unread + pending. XDEL by id costs Redis ~7 µs
     * an entry; an exact XTRIM MINID below the oldest entry still owed to anyone drops whole nodes.
     * Safe without a script: entries delivered after we look have ids above last-delivered-id, and
     * entries below the oldest pending id were acked (or dead-lettered) by then.
     */
    const trimAcked = async (t: TemplateState, pendingSummary: unknown, groups: unknown): Promise<void> => {
      const [count, minPending] = pendingSummary as [number, string | null];
      const group = (groups as string[][]).find((g) => g[g.indexOf('name') + 1] === PERSISTER_GROUP);
      if (!group) return;
      const lastDelivered = group[group.indexOf('last-delivered-id') + 1];
      if (!lastDelivered) return;
      const firstUnread = nextStreamId(lastDelivered);
      const threshold = Number(count) > 0 && minPending && compareStreamIds(minPending, firstUnread) < 0 ? minPending : firstUnread;
      await redis.xtrim(t.outbox, 'MINID', threshold);
    };

    /** Trim one outbox below the oldest entry still unread or pending (see trimAcked). */
    const trim = async (t: TemplateState, ack?: readonly string[]): Promise<void> => {
      const p = redis.pipeline();
      if (ack?.length) p.xack(t.outbox, PERSISTER_GROUP, ...ack);
      p.xpending(t.outbox, PERSISTER_GROUP).xinfo('GROUPS', t.outbox);
      const res = (await p.exec()) ?? [];
      if (ack?.length && res[0]?.[0]) throw res[0][0];
      const [pendRes, infoRes] = res.slice(ack?.length ? 1 : 0);
      if (pendRes && infoRes && !pendRes[0] && !infoRes[0]) await trimAcked(t, pendRes[1], infoRes[1]);
    };

    /** XACK after commit, then trim what is acked (one round trip for ack + the trim inputs). */
    const ackAndDelete = async (t: TemplateState, ids: readonly string[]): Promise<void> => {
      if (ids.length === 0) return;
      await trim(t, ids);
      for (const id of ids) attempts.delete(id);
    };

    const deadLetter = async (t: TemplateState, id: string, fields: readonly string[], reason: string, deliveries: number): Promise<void> => {
      await redis
        .multi()
        .xadd(t.dead, '*', ...fields, 'origId', id, 'reason', reason, 'deliveries', String(deliveries), 'consumer', consumer)
        .xack(t.outbox, PERSISTER_GROUP, id)
        .xdel(t.outbox, id)
        .exec();
      attempts.delete(id);
      stats.deadLettered += 1;
    };

    /** Entries that failed for their own sake: dead-letter those delivered often enough, keep the rest pending. */
    const handleFailed = async (t: TemplateState, failed: { id: string; fields: string[]; reason: string }[]): Promise<void> => {
      if (failed.length === 0) return;
      for (const f of failed) {
        const local = (attempts.get(f.id) ?? 0) + 1;
        attempts.set(f.id, local);
        const info = (await redis.call('XPENDING', t.outbox, PERSISTER_GROUP, f.id, f.id, 1)) as [string, string, number, number][];
        const deliveries = Math.max(local, Number(info[0]?.[3] ?? 0));
        if (deliveries >= maxDeliveries) await deadLetter(t, f.id, f.fields, f.reason, deliveries);
      }
      // Entries acked behind a failed one could not be trimmed while it was pending.
      await trim(t);
      // Survivors stay in our pending list; re-read them after the next rescan.
      t.pendingFrom ??= '0';
    };

    /** Insert rows in one transaction; retries transient failures until it commits or we are asked to stop. */
    const insertWithRetry = async (rows: readonly IssuedRow[]): Promise<{ added: number } | { dataError: unknown } | undefined> => {
      for (;;) {
        try {
          const added = await store.insertIssued(rows);
          stats.failures = 0;
          stats.lastError = undefined;
          return { added };
        } catch (err) {
          if (isDataError(err)) return { dataError: err };
          stats.failures += 1;
          stats.totalFailures = (stats.totalFailures ?? 0) + 1;
          stats.lastError = describeDbError(err);
          await observeLag().catch(() => undefined); // lag keeps growing during an outage: show it
          emit(true);
          if (signal.aborted) return undefined;
          await backoff();
          if (signal.aborted) return undefined;
        }
      }
    };

    // Acks run behind the next batch's database work (at most one in flight): the rows are committed,
    // so a lost ack only means a harmless redelivery.
    let ackChain: Promise<void> = Promise.resolve();
    const queueAck = (t: TemplateState, ids: string[]): void => {
      ackChain = ackChain.then(() =>
        ackAndDelete(t, ids).catch((err: unknown) => {
          stats.lastError = `XACK failed, entries will be redelivered: ${describeDbError(err)}`;
          t.pendingFrom ??= '0';
        }),
      );
    };
    const commitRows = async (t: TemplateState, rows: IssuedRow[], ids: string[], added: number): Promise<void> => {
      const previous = ackChain;
      queueAck(t, ids);
      await previous;
      stats.persisted += added;
      stats.duplicatesIgnored += rows.length - added;
      stats.lastCommitAt = Date.now();
    };

    /** Process one delivered batch of one template. */
    const processBatch = async (t: TemplateState, entries: readonly RawEntry[]): Promise<void> => {
      const gone: string[] = [];
      const good: { id: string; row: IssuedRow }[] = [];
      const failed: { id: string; fields: string[]; reason: string }[] = [];
      const seen = new Set<string>();
      for (const [id, fields] of entries) {
        if (fields === null) {
          gone.push(id); // deleted from the stream: already handled, just clear the pending entry
          continue;
        }
        const p = parseOutboxEntry(t.templateId, id, fields);
        if ('row' in p) {
          if (seen.has(p.row.couponId)) gone.push(id);
          else {
            seen.add(p.row.couponId);
            good.push(p);
          }
        } else failed.push(p);
      }
      if (gone.length) await redis.xack(t.outbox, PERSISTER_GROUP, ...gone);
      if (good.length) {
        const rows = good.map((g) => g.row);
        const res = await insertWithRetry(rows);
        if (res === undefined) return; // stopping: entries stay pending, redelivered on next start
        if ('added' in res) {
          await commitRows(
            t,
            rows,
            good.map((g) => g.id),
            res.added,
          );
        } else {
          // A row of the batch is bad: isolate it by inserting one row per transaction.
          for (const g of good) {
            const one = await insertWithRetry([g.row]);
            if (one === undefined) return;
            if ('added' in one) await commitRows(t, [g.row], [g.id], one.added);
            else failed.push({ id: g.id, fields: rowFields(g.row), reason: describeDbError(one.dataError) });
          }
        }
      }
      await handleFailed(t, failed);
    };

    /** XAUTOCLAIM entries idle on other (crashed) consumers, and persist them. */
    const claimStale = async (): Promise<void> => {
      for (const t of templates.values()) {
        let cursor = '0-0';
        do {
          const [next, entries] = (await redis.call('XAUTOCLAIM', t.outbox, PERSISTER_GROUP, consumer, claimIdleMs, cursor, 'COUNT', batchSize)) as [
            string,
            RawEntry[],
            string[]?,
          ];
          cursor = next;
          if (entries.length) await processBatch(t, entries);
        } while (cursor !== '0-0' && !signal.aborted);
      }
    };

    /** Re-read our own pending entries (after a restart with the same consumer name, or after failures). */
    const drainOwnPending = async (): Promise<number> => {
      let n = 0;
      if ([...templates.values()].some((t) => t.pendingFrom !== null)) await ackChain; // no re-read of entries being acked
      for (const t of templates.values()) {
        if (t.pendingFrom === null || signal.aborted) continue;
        const res = (await redis.call('XREADGROUP', 'GROUP', PERSISTER_GROUP, consumer, 'COUNT', batchSize, 'STREAMS', t.outbox, t.pendingFrom)) as
          | [string, RawEntry[]][]
          | null;
        const entries = res?.[0]?.[1] ?? [];
        if (entries.length === 0) {
          t.pendingFrom = null;
          continue;
        }
        t.pendingFrom = entries[entries.length - 1]![0];
        await processBatch(t, entries);
        n += entries.length;
      }
      return n;
    };

    type ReadResult = { res: [string, RawEntry[]][] | null } | { err: unknown };
    /** XREADGROUP `>` over every outbox; never rejects (a prefetch may sit unobserved for a while). */
    const readNew = (list: readonly TemplateState[], block: boolean): Promise<ReadResult> =>
      (
        redis.call(
          'XREADGROUP',
          'GROUP',
          PERSISTER_GROUP,
          consumer,
          'COUNT',
          batchSize,
          ...(block ? ['BLOCK', blockMs] : []),
          'STREAMS',
          ...list.map((t) => t.outbox),
          ...list.map(() => '>'),
        ) as Promise<[string, RawEntry[]][] | null>
      ).then(
        (res) => ({ res }),
        (err: unknown) => ({ err }),
      );
    const processRead = async (r: ReadResult): Promise<boolean> => {
      if ('err' in r) throw r.err;
      for (const [key, entries] of r.res ?? []) {
        const t = byOutbox(key);
        if (t && entries.length) await processBatch(t, entries);
      }
      return r.res !== null;
    };
    const byOutbox = (key: string): TemplateState | undefined => {
      for (const t of templates.values()) if (t.outbox === key) return t;
      return undefined;
    };

    let nextRescanAt = 0;
    let readyFired = false;
    let prefetched: Promise<ReadResult> | undefined;
    while (!signal.aborted) {
      try {
        const now = Date.now();
        if (now >= nextRescanAt) {
          await rescan();
          await claimStale();
          // Also clears acked entries a crash left between XACK and XTRIM.
          for (const t of templates.values()) await trim(t);
          await observeLag();
          // Failed entries left pending are retried once per rescan, not in a hot loop.
          for (const t of templates.values()) if (attempts.size > 0) t.pendingFrom ??= '0';
          nextRescanAt = Date.now() + rescanMs;
          if (!readyFired) {
            readyFired = true;
            control.onReady?.();
          }
        }
        const fromPending = await drainOwnPending();
        if (fromPending > 0 || templates.size === 0) {
          if (templates.size === 0) await sleep(Math.min(blockMs, rescanMs), signal);
          emit();
          continue;
        }
        const list = [...templates.values()];
        const read = await (prefetched ?? readNew(list, true));
        prefetched = undefined;
        // Overlap: Redis prepares the next batch while this one goes to the database.
        if (!('err' in read) && read.res !== null && !signal.aborted) prefetched = readNew(list, false);
        const got = await processRead(read);
        if (!got || Date.now() - lastStatsAt >= STATS_EVERY_MS) await observeLag();
        emit();
      } catch (err) {
        // Redis hiccup (or NOGROUP after someone deleted a stream): back off, rediscover, go on.
        if (String((err as Error).message).includes('NOGROUP')) templates.clear();
        stats.lastError = describeDbError(err);
        emit(true);
        if (!readyFired) {
          // Started while Redis is unreachable: the host should not wait; the loop keeps trying.
          readyFired = true;
          control.onReady?.();
        }
        await sleep(Math.min(maxBackoffMs, 200), signal);
        nextRescanAt = 0;
      }
    }
    // Finish the batch in hand: a prefetched read already moved entries into our pending list.
    if (prefetched) await processRead(await prefetched).catch(() => undefined);
    await ackChain;
    await observeLag().catch(() => undefined);
    emit(true);
    return { ...stats };
  } finally {
    redis.disconnect();
    await store.close();
  }
}

/** Fields of a row in the outbox's own format, for dead-letter entries. */
function rowFields(r: IssuedRow): string[] {
  return ['u', String(r.userId), 's', String(r.seq), 't', String(r.issuedAt), 'tpl', String(r.templateId)];
}

/** Compare two stream ids `ms-seq`. */
export function compareStreamIds(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  const d = BigInt(am) - BigInt(bm) || BigInt(as) - BigInt(bs);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

/** The smallest stream id greater than `id`. */
export function nextStreamId(id: string): string {
  const [ms = '0', seq = '0'] = id.split('-');
  return `${ms}-${BigInt(seq) + 1n}`;
}
