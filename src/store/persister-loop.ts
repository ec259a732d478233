import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { threadId } from 'node:worker_threads';
import { couponIdOf } from '../model/coupon-id.js';
import { createRedis, type RedisClient } from '../redis/client.js';
import { isClusterUrl } from '../redis/redis-url.js';
import { onNodeOf } from '../redis/slot-node.js';
import { PERSISTER_GROUP, deadLetterKey, templateKeys, templatesIndexKey } from '../redis/keys.js';
import { openStore } from './open-store.js';
import { emptyPersisterStats, type PersisterOptions, type PersisterStats } from './persister-options.js';
import type { CouponStore, IssuedRow } from './store.js';
import { StreamReader, posIntAt, type ReadEntry, type ReadStream } from './stream-reader.js';
import { describeDbError, isDataError } from './store-errors.js';
import { backoffMs } from './backoff.js';

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

/** How the host of the loop (worker thread or caller) steers it. */
export interface LoopControl {
  /** aborted when the host asks the loop to finish the batch in hand and return */
  readonly signal: AbortSignal;
  /** called once the store is open and the groups exist */
  onReady?(): void;
  /** called with fresh figures (throttled) */
  onStats?(stats: PersisterStats): void;
}

/**
 * One raw stream entry as Buffers: [id, [field, value, ...]] (fields null when the entry was
 * deleted). Replies are read with callBuffer: no per-field string conversion on the hot path.
 */
type RawEntry = [Buffer, Buffer[] | null];

interface TemplateState {
  readonly templateId: number;
  readonly outbox: string;
  readonly dead: string;
  /** next id to re-read from our own pending list; null when it is empty */
  pendingFrom: string | null;
  /** XLEN (unread + pending) as of this template's last ack/trim */
  lag: number;
}

/** Result of parsing one entry. */
type Parsed = { id: string; row: IssuedRow } | { id: string; fields: string[]; reason: string };

const STATS_EVERY_MS = 50;
/** On a cluster, how often an idle persister looks at its outboxes again (in place of BLOCK). */
const CLUSTER_POLL_MS = 10;

/**
 * Most outbox entries one Redis command of the persister reads or acks. Redis runs one command at a
 * time, so a read of 2,000 entries held every issue request behind it for its whole length (measured
 * on a 2-core VM: about 1.8 µs an entry for XREADGROUP into the group's pending list, 0.5 µs for
 * XACK). A batch for the database is still up to batchSize rows, gathered from several such reads.
 */
export const REDIS_CHUNK = 256;

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

/** Same rule as posInt (1..16 decimal digits, safe, > 0) read straight from the reply bytes; -1 if not. */
function posIntBuf(b: Buffer | undefined): number {
  return b === undefined ? -1 : posIntAt(b, 0, b.length);
}

/**
 * Fast path of parseOutboxEntry on Buffers, for the field order lua/issue-4.lua writes: no
 * intermediate strings. Returns undefined for anything else (the caller falls back to the string parser).
 */
export function parseOutboxBuffers(templateId: number, fields: readonly Buffer[]): IssuedRow | undefined {
  if (fields.length !== 8) return undefined;
  const f0 = fields[0]!, f2 = fields[2]!, f4 = fields[4]!, f6 = fields[6]!;
  // 'u' 's' 't' 'tpl' compared by bytes, without decoding.
  if (f0.length !== 1 || f0[0] !== 0x75 || f2.length !== 1 || f2[0] !== 0x73 || f4.length !== 1 || f4[0] !== 0x74) return undefined;
  if (f6.length !== 3 || f6[0] !== 0x74 || f6[1] !== 0x70 || f6[2] !== 0x6c) return undefined;
  const userId = posIntBuf(fields[1]);
  const seq = posIntBuf(fields[3]);
  const issuedAt = posIntBuf(fields[5]);
  const tpl = posIntBuf(fields[7]);
  if (userId < 0 || seq < 0 || issuedAt < 0 || tpl !== templateId) return undefined;
  return { couponId: couponIdOf(tpl, seq), templateId: tpl, userId, seq, issuedAt };
}

/**
 * Ack ids, then trim the outbox below the oldest entry still unread or pending, atomically, in one
 * round trip; returns XLEN afterwards (= unread + pending: the lag). XDEL by id costs Redis ~7 µs an
 * entry; XTRIM MINID drops whole nodes. KEYS[1] outbox; ARGV[1] group; ARGV[2..] ids to ack.
 */
const ACK_TRIM_LUA = `
local n = #ARGV
local i = 2
while i <= n do
  local j = math.min(n, i + 999)
  redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, i, j))
  i = j + 1
end
local groups = redis.call('XINFO', 'GROUPS', KEYS[1])
local last = nil
for _, g in ipairs(groups) do
  local name, ld = nil, nil
  for k = 1, #g, 2 do
    if g[k] == 'name' then name = g[k + 1] elseif g[k] == 'last-delivered-id' then ld = g[k + 1] end
  end
  if name == ARGV[1] then last = ld end
end
if last then
  local ms, sq = string.match(last, '^(%d+)-(%d+)$')
  local threshold = last
  if ms and #sq < 15 then threshold = ms .. '-' .. (tonumber(sq) + 1) end
  local p = redis.call('XPENDING', KEYS[1], ARGV[1])
  if tonumber(p[1]) > 0 then
    local pms, psq = string.match(p[2], '^(%d+)-(%d+)$')
    local tms, tsq = string.match(threshold, '^(%d+)-(%d+)$')
    if #pms < #tms or (#pms == #tms and (pms < tms or (pms == tms and (#psq < #tsq or (#psq == #tsq and psq < tsq))))) then
      threshold = p[2]
    end
  end
  redis.call('XTRIM', KEYS[1], 'MINID', threshold)
end
return redis.call('XLEN', KEYS[1])
`;

type AckTrimRedis = RedisClient & { persisterAckTrim(outbox: string, group: string, ...ids: (string | Buffer)[]): Promise<number> };

/** Entries of one template as read from one XREADGROUP/XAUTOCLAIM reply. */
interface Batch {
  readonly t: TemplateState;
  readonly entries: readonly ReadEntry[];
}

/** ioredis Buffer entries -> ReadEntry (rows parsed from the bytes where possible). */
function toReadEntries(templateId: number, raw: readonly RawEntry[]): ReadEntry[] {
  return raw.map(([id, fields]) => {
    const row = fields === null ? undefined : parseOutboxBuffers(templateId, fields);
    return { id: id.toString('latin1'), row, fields: fields === null || row !== undefined ? null : fields.map((f) => f.toString()) };
  });
}

/**
 * The persister loop: outbox streams -> consumer group -> one DB transaction per batch -> XACK+XTRIM.
 * Runs until `control.signal` aborts; shared by the worker thread and the in-process mode.
 *
 * Cost model: a batch costs a fixed few round trips + one commit (an fsync on SQLite), an entry a
 * few µs. So the loop reads as much as is there (up to batchSize, REDIS_CHUNK entries a Redis
 * command, so issue requests never wait long behind it) and, when the outbox is not
 * busy, lingers `lingerMs` before the next read so entries arriving at a trickle (serve under
 * load) are persisted in batches of hundreds, not of one or two.
 */
export async function runPersisterLoop(opts: PersisterOptions, control: LoopControl): Promise<PersisterStats> {
  const batchSize = opts.batchSize ?? PERSISTER_DEFAULTS.batchSize;
  /** entries per Redis command (see REDIS_CHUNK) */
  const chunk = Math.min(batchSize, REDIS_CHUNK);
  const claimIdleMs = opts.claimIdleMs ?? PERSISTER_DEFAULTS.claimIdleMs;
  const maxDeliveries = opts.maxDeliveries ?? PERSISTER_DEFAULTS.maxDeliveries;
  const blockMs = opts.blockMs ?? PERSISTER_DEFAULTS.blockMs;
  const rescanMs = opts.rescanMs ?? PERSISTER_DEFAULTS.rescanMs;
  const maxBackoffMs = opts.maxBackoffMs ?? PERSISTER_DEFAULTS.maxBackoffMs;
  const lingerMs = opts.lingerMs ?? PERSISTER_DEFAULTS.lingerMs;
  const consumer = opts.consumer ?? `${hostname()}-${process.pid}-${threadId}-${randomUUID().slice(0, 6)}`;
  const { signal } = control;

  const stats: PersisterStats = emptyPersisterStats();
  /** batches being written, and whether a read ahead is out: what `stats.busy` reports */
  const hold = { writing: 0, readAhead: false };
  let lastStatsAt = 0;
  const emit = (force = false): void => {
    const now = Date.now();
    if (!force && now - lastStatsAt < STATS_EVERY_MS) return;
    lastStatsAt = now;
    stats.busy = hold.writing > 0 || hold.readAhead;
    stats.at = now;
    control.onStats?.({ ...stats });
  };

  const store: CouponStore = await openStoreWithRetry(opts, stats, signal, emit, control);
  // SQLite is synchronous (one batch at a time is all it can do); PostgreSQL commits two batches at
  // once on separate pool connections: safe, inserts are idempotent and each batch is acked only
  // after its own commit. MySQL stays at one by default: with two, an outage test once saw a batch
  // stall (not understood yet); the MariaDB drain goal is met with one.
  const maxInFlight = Math.max(1, opts.inFlight ?? (store.engine === 'postgres' ? 2 : 1));
  const redis = createRedis(opts.redisUrl, { role: 'worker', name: 'coupon-bench-persister' }) as AckTrimRedis;
  redis.defineCommand('persisterAckTrim', { numberOfKeys: 1, lua: ACK_TRIM_LUA });
  // The hot read decodes reply bytes straight into rows (plain redis:// only; ioredis otherwise).
  const reader = opts.rawReader !== false && StreamReader.supports(opts.redisUrl) ? new StreamReader(opts.redisUrl) : undefined;
  const cluster = isClusterUrl(opts.redisUrl);
  const templates = new Map<number, TemplateState>();
  const byOutboxKey = new Map<string, TemplateState>();
  // Local count of failed attempts per entry id: a retry from our own pending list does not always
  // bump Redis's delivery counter, so dead-lettering uses the larger of both.
  const attempts = new Map<string, number>();

  const backoff = async (): Promise<void> => {
    await sleep(backoffMs(stats.failures, 50, maxBackoffMs), signal);
  };
  const sumLag = (): void => {
    let lag = 0;
    for (const t of templates.values()) lag += t.lag;
    stats.lag = lag;
  };

  try {
    const rescan = async (): Promise<void> => {
      const ids = (await redis.smembers(templatesIndexKey(opts.prefix))).map(Number).filter((n) => Number.isSafeInteger(n) && n > 0);
      for (const templateId of ids) {
        if (templates.has(templateId)) continue;
        const k = templateKeys(opts.prefix, templateId);
        try {
          await onNodeOf(redis, k.outbox, (node) => node.xgroup('CREATE', k.outbox, PERSISTER_GROUP, '0', 'MKSTREAM'));
        } catch (err) {
          if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
        }
        const t: TemplateState = { templateId, outbox: k.outbox, dead: deadLetterKey(opts.prefix, templateId), pendingFrom: '0', lag: 0 };
        templates.set(templateId, t);
        byOutboxKey.set(k.outbox, t);
      }
    };

    const observeLag = async (): Promise<void> => {
      if (templates.size === 0) return void (stats.lag = 0);
      // Acked entries are trimmed right away, so XLEN counts unread + pending (not yet persisted).
      // One command a template, sent together (a pipeline object would have to stay in one slot).
      const list = [...templates.values()];
      const res = await Promise.allSettled(list.map((t) => redis.xlen(t.outbox)));
      res.forEach((r, i) => {
        if (r.status === 'fulfilled') list[i]!.lag = r.value;
      });
      sumLag();
    };

    /** XACK (ids may be empty) and trim, one round trip; refreshes the template's lag. */
    const trim = async (t: TemplateState, ack: readonly (string | Buffer)[] = []): Promise<void> => {
      t.lag = Number(await redis.persisterAckTrim(t.outbox, PERSISTER_GROUP, ...ack));
      sumLag();
    };

    /** XACK after commit (REDIS_CHUNK ids a command), then trim what is acked. */
    const ackAndDelete = async (t: TemplateState, ids: readonly string[]): Promise<void> => {
      if (ids.length === 0) return;
      let from = 0;
      for (; ids.length - from > REDIS_CHUNK; from += REDIS_CHUNK) await redis.xack(t.outbox, PERSISTER_GROUP, ...ids.slice(from, from + REDIS_CHUNK));
      await trim(t, ids.slice(from));
      if (attempts.size > 0) for (const id of ids) attempts.delete(id);
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
    const commitRows = async (t: TemplateState, n: number, ids: string[], added: number): Promise<void> => {
      const previous = ackChain;
      queueAck(t, ids);
      await previous;
      stats.persisted += added;
      stats.duplicatesIgnored += n - added;
      stats.lastCommitAt = Date.now();
    };

    /** Process one delivered batch of one template. */
    const processBatch = async (b: Batch): Promise<void> => {
      hold.writing++;
      try {
        await writeBatch(b);
      } finally {
        // Nothing in hand any more: say so at once (a Redis restore may be waiting on it). Under load
        // a read ahead is out, and the figures go at their usual pace.
        if (--hold.writing === 0 && !hold.readAhead) emit(true);
      }
    };

    /** Write one delivered batch of one template. */
    const writeBatch = async ({ t, entries }: Batch): Promise<void> => {
      const gone: string[] = [];
      const rows: IssuedRow[] = [];
      const ids: string[] = [];
      const failed: { id: string; fields: string[]; reason: string }[] = [];
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
      if (gone.length) await redis.xack(t.outbox, PERSISTER_GROUP, ...gone);
      if (rows.length) {
        const res = await insertWithRetry(rows);
        if (res === undefined) return; // stopping: entries stay pending, redelivered on next start
        if ('added' in res) {
          await commitRows(t, rows.length, ids, res.added);
        } else {
          // A row of the batch is bad: isolate it by inserting one row per transaction.
          for (let i = 0; i < rows.length; i++) {
            const row = rows[i]!;
            const one = await insertWithRetry([row]);
            if (one === undefined) return;
            if ('added' in one) await commitRows(t, 1, [ids[i]!], one.added);
            else failed.push({ id: ids[i]!, fields: rowFields(row), reason: describeDbError(one.dataError) });
          }
        }
      }
      await handleFailed(t, failed);
    };

    // Batches being written (more than one only for client/server engines).
    const inFlight = new Set<Promise<void>>();
    let inFlightError: unknown;
    const dispatch = async (b: Batch): Promise<void> => {
      if (maxInFlight <= 1) return processBatch(b);
      while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
      if (inFlightError !== undefined) throw inFlightError;
      const p: Promise<void> = processBatch(b).then(
        () => void inFlight.delete(p),
        (err: unknown) => {
          inFlight.delete(p);
          inFlightError ??= err;
        },
      );
      inFlight.add(p);
    };
    /** Wait for every batch being written; rethrows the first failure. */
    const settle = async (): Promise<void> => {
      while (inFlight.size > 0) await Promise.race(inFlight);
      const err = inFlightError;
      inFlightError = undefined;
      if (err !== undefined) throw err;
    };

    /**
     * XAUTOCLAIM entries idle on other (crashed) consumers, and persist them. Only where some consumer
     * with pending entries has been silent for claimIdleMs: XAUTOCLAIM walks the pending list from its
     * start, and with one live persister that list is all its own fresh entries (measured at 48,000
     * issues/s: 4 ms of Redis time a rescan, every issue request held behind it).
     */
    const claimStale = async (): Promise<void> => {
      for (const t of templates.values()) {
        const consumers = (await onNodeOf(redis, t.outbox, (node) => node.call('XINFO', 'CONSUMERS', t.outbox, PERSISTER_GROUP))) as unknown[][];
        if (!hasStalledConsumer(consumers, claimIdleMs)) continue;
        let cursor = '0-0';
        do {
          const [next, entries] = (await redis.callBuffer('XAUTOCLAIM', t.outbox, PERSISTER_GROUP, consumer, claimIdleMs, cursor, 'COUNT', chunk)) as [
            Buffer,
            RawEntry[],
            Buffer[]?,
          ];
          cursor = next.toString();
          if (entries.length) await dispatch({ t, entries: toReadEntries(t.templateId, entries) });
        } while (cursor !== '0-0' && !signal.aborted);
      }
      await settle();
    };

    /** Re-read our own pending entries (after a restart with the same consumer name, or after failures). */
    const drainOwnPending = async (): Promise<number> => {
      let n = 0;
      let any = false;
      for (const t of templates.values()) if (t.pendingFrom !== null) any = true;
      if (!any) return 0;
      await settle();
      await ackChain; // no re-read of entries being acked
      for (const t of templates.values()) {
        if (t.pendingFrom === null || signal.aborted) continue;
        const res = (await redis.callBuffer('XREADGROUP', 'GROUP', PERSISTER_GROUP, consumer, 'COUNT', chunk, 'STREAMS', t.outbox, t.pendingFrom)) as
          | [Buffer, RawEntry[]][]
          | null;
        const entries = res?.[0]?.[1] ?? [];
        if (entries.length === 0) {
          t.pendingFrom = null;
          continue;
        }
        t.pendingFrom = entries[entries.length - 1]![0].toString();
        await processBatch({ t, entries: toReadEntries(t.templateId, entries) });
        n += entries.length;
      }
      return n;
    };

    /** Entries read, and whether a stream had more than was read (the outbox is busy). */
    type ReadResult = { res: ReadStream[] | null; busy: boolean } | { err: unknown };
    /**
     * One XREADGROUP `>` over every outbox, at most `count` entries a stream. On a cluster a
     * command may only name keys of one slot: one read a template, in parallel, and a short poll
     * in place of BLOCK (a blocked command would hold that node's shared connection).
     */
    const readOnce = (list: readonly TemplateState[], block: boolean, count: number): Promise<ReadStream[] | null> =>
      cluster ? readEach(list, block, count) : readAll(list, block, count);
    const readEach = async (list: readonly TemplateState[], block: boolean, count: number): Promise<ReadStream[] | null> => {
      const until = Date.now() + (block ? blockMs : 0);
      for (;;) {
        const parts = await Promise.all(list.map((t) => readAll([t], false, count)));
        const res = parts.flatMap((p) => p ?? []).filter((s) => s.entries.length > 0);
        if (res.length > 0) return res;
        if (Date.now() >= until || signal.aborted) return null;
        // one read a template a poll: many templates poll less often (at most every 200 ms)
        await sleep(Math.min(Math.max(CLUSTER_POLL_MS, Math.min(200, list.length)), until - Date.now()), signal);
      }
    };
    const readAll = (list: readonly TemplateState[], block: boolean, count: number): Promise<ReadStream[] | null> => {
      const args = [
        'GROUP',
        PERSISTER_GROUP,
        consumer,
        'COUNT',
        count,
        ...(block ? ['BLOCK', blockMs] : []),
        'STREAMS',
        ...list.map((t) => t.outbox),
        ...list.map(() => '>'),
      ];
      return reader
        ? reader.xreadgroup(args, blockMs + 10_000)
        : (redis.callBuffer('XREADGROUP', ...args) as Promise<[Buffer, RawEntry[]][] | null>).then(
            (res) =>
              res?.map(([key, raw]) => {
                const k = key.toString();
                return { key: k, entries: toReadEntries(byOutboxKey.get(k)?.templateId ?? 0, raw) };
              }) ?? null,
          );
    };
    /**
     * New entries over every outbox, up to batchSize a stream, read at most REDIS_CHUNK a command (see
     * there) while a stream fills its count; never rejects (a prefetch may sit unobserved for a while).
     */
    const readNew = async (list: readonly TemplateState[], block: boolean): Promise<ReadResult> => {
      try {
        let count = chunk;
        const first = await readOnce(list, block, count);
        if (first === null) return { res: null, busy: false };
        const byKey = new Map(first.map((s) => [s.key, s.entries]));
        let filled = first.filter((s) => s.entries.length >= count).map((s) => s.key);
        for (;;) {
          // Streams that filled their last count and whose batch has room left.
          const room = filled.filter((key) => byKey.get(key)!.length < batchSize);
          if (room.length === 0 || signal.aborted) break;
          count = Math.min(chunk, ...room.map((key) => batchSize - byKey.get(key)!.length));
          const next = (await readOnce(room.map((key) => byOutboxKey.get(key)!), false, count)) ?? [];
          for (const s of next) byKey.get(s.key)!.push(...s.entries);
          filled = next.filter((s) => s.entries.length >= count).map((s) => s.key);
        }
        return { res: [...byKey].map(([key, entries]) => ({ key, entries })), busy: filled.length > 0 };
      } catch (err) {
        return { err };
      }
    };
    /** Entries in a read. */
    const sizeOf = (r: ReadResult): number => {
      let n = 0;
      if ('res' in r) for (const s of r.res ?? []) n += s.entries.length;
      return n;
    };
    const processRead = async (r: ReadResult): Promise<void> => {
      if ('err' in r) throw r.err;
      for (const s of r.res ?? []) {
        const t = byOutboxKey.get(s.key);
        if (t && s.entries.length) await dispatch({ t, entries: s.entries });
      }
    };

    /** A loop round that reached its end: Redis answered it. */
    const roundDone = (): void => {
      if (stats.redisFailures) {
        stats.redisFailures = 0;
        stats.lastError = undefined;
        emit(true);
      } else emit();
    };
    let nextRescanAt = 0;
    let readyFired = false;
    let prefetched: Promise<ReadResult> | undefined;
    let lastReadAt = 0;
    while (!signal.aborted) {
      try {
        const now = Date.now();
        if (now >= nextRescanAt) {
          await settle();
          await rescan();
          await claimStale();
          // Also clears acked entries a crash left between XACK and XTRIM, and refreshes the lag.
          await ackChain;
          for (const t of templates.values()) await trim(t);
          // Failed entries left pending are retried once per rescan, not in a hot loop.
          if (attempts.size > 0) for (const t of templates.values()) t.pendingFrom ??= '0';
          nextRescanAt = Date.now() + rescanMs;
          if (!readyFired) {
            readyFired = true;
            control.onReady?.();
          }
        }
        const fromPending = await drainOwnPending();
        if (fromPending > 0 || templates.size === 0) {
          if (templates.size === 0) await sleep(Math.min(blockMs, rescanMs), signal);
          roundDone();
          continue;
        }
        const list = [...templates.values()];
        if (!prefetched) {
          // Not busy: let entries accumulate for up to lingerMs since the last read.
          const wait = lastReadAt + lingerMs - Date.now();
          if (wait > 0) await sleep(wait, signal);
          if (signal.aborted) break;
        }
        const read = await (prefetched ?? readNew(list, true));
        prefetched = undefined;
        hold.readAhead = false;
        lastReadAt = Date.now();
        const n = sizeOf(read);
        // Busy outbox: Redis prepares the next batch while this one goes to the database.
        if ('res' in read && read.busy && !signal.aborted) {
          prefetched = readNew(list, false);
          hold.readAhead = true;
        }
        await processRead(read);
        if (n === 0) {
          lastReadAt = 0; // idle: the next read blocks right away
          if (stats.lag !== 0) await observeLag();
        }
        roundDone();
      } catch (err) {
        // Redis hiccup (or NOGROUP after someone deleted a stream): back off, rediscover, go on.
        await settle().catch(() => undefined);
        if (String((err as Error).message).includes('NOGROUP')) {
          templates.clear();
          byOutboxKey.clear();
        }
        stats.lastError = describeDbError(err);
        stats.redisFailures = (stats.redisFailures ?? 0) + 1;
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
    await settle().catch(() => undefined);
    await ackChain;
    await observeLag().catch(() => undefined);
    emit(true);
    return { ...stats };
  } finally {
    reader?.close();
    redis.disconnect();
    await store.close();
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

/**
 * Whether an XINFO CONSUMERS reply names a consumer that holds pending entries and has not touched
 * the group for at least `idleMs` (every entry it holds is then idle at least that long: a delivery
 * is an interaction). Pure; exported for tests.
 */
export function hasStalledConsumer(consumers: readonly (readonly unknown[])[], idleMs: number): boolean {
  for (const c of consumers) {
    let pending = 0;
    let idle = 0;
    for (let i = 0; i + 1 < c.length; i += 2) {
      const k = String(c[i]);
      if (k === 'pending') pending = Number(c[i + 1]);
      else if (k === 'idle') idle = Number(c[i + 1]);
    }
    if (pending > 0 && idle >= idleMs) return true;
  }
  return false;
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
