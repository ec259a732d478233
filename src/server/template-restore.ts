import type { RedisClient } from '../redis/client.js';
import { PERSISTER_GROUP, templateKeys, templatesIndexKey } from '../redis/keys.js';
import type { CouponStore, TemplateRow } from '../store/store.js';

/** users hash fields written per HSET while rebuilding */
const HSET_CHUNK = 1000;

/** What {@link restoreTemplate} found and did for one template. */
export interface RestoreResult {
  readonly templateId: number;
  /**
   * `present`: Redis holds the template and at least every coupon the database holds;
   * `restored`: Redis had lost it and now holds it again, issuing after the database's last seq;
   * `repaired`: Redis held it but fewer coupons than the database (it lost writes): the missing
   * holders went back in and its count was raised to the database's last seq.
   */
  readonly outcome: 'present' | 'restored' | 'repaired';
  /** coupons the database holds for the template */
  readonly persisted: number;
  /** Redis's issued count afterwards */
  readonly issued: number;
}

/** Every persisted (user, seq) of a template into its users hash; returns the count and the highest seq. */
async function refillUsers(redis: RedisClient, store: CouponStore, t: TemplateRow, usersKey: string, onlyMissing: boolean): Promise<{ persisted: number; maxSeq: number }> {
  let maxSeq = 0;
  let persisted = 0;
  for await (const rows of store.scanIssued(t.templateId)) {
    if (onlyMissing) {
      // Redis holds the template: add the holders it lost, never overwrite one it has.
      const pipe = redis.pipeline();
      for (const r of rows) pipe.hsetnx(usersKey, String(r.userId), String(r.seq));
      await pipe.exec();
    } else {
      for (let i = 0; i < rows.length; i += HSET_CHUNK) {
        const args: (string | number)[] = [];
        for (const r of rows.slice(i, i + HSET_CHUNK)) args.push(r.userId, r.seq);
        await redis.hset(usersKey, ...args);
      }
    }
    persisted += rows.length;
    maxSeq = Math.max(maxSeq, rows[rows.length - 1]!.seq);
  }
  return { persisted, maxSeq };
}

/**
 * Make Redis hold a template the database knows, when Redis has lost it: a Redis restarted without
 * persistence, or a new private redis-server in front of an old database. Without this, creating
 * the template again would issue seq 1 anew: a second coupon to users who hold one, and coupon ids
 * the database already has. Every persisted (user, seq) goes back into the users hash first, then
 * one script sets seq and stock together (see lua/restoreTemplate-4.lua). A Redis that holds the
 * template but fewer coupons than the database (it lost its last writes) gets the missing holders
 * back and its count raised to the database's last seq (lua/raiseSeq-1.lua); both only ever add.
 * Coupons Redis had issued but not yet persisted when it lost them are gone with it; Redis's own
 * persistence covers those.
 */
export async function restoreTemplate(redis: RedisClient, store: CouponStore, prefix: string, t: TemplateRow): Promise<RestoreResult> {
  const k = templateKeys(prefix, t.templateId);
  const [stockS, seqS, held] = await Promise.all([redis.get(k.stock), redis.get(k.seq), redis.hlen(k.users)]);
  if (stockS !== null) {
    const issued = Number(seqS ?? 0);
    const count = await store.countIssued(t.templateId);
    if (issued >= count && held >= count) return { templateId: t.templateId, outcome: 'present', persisted: count, issued };
    const { persisted, maxSeq } = await refillUsers(redis, store, t, k.users, true);
    const raised = await redis.raiseSeq(k.seq, maxSeq);
    return { templateId: t.templateId, outcome: 'repaired', persisted, issued: raised };
  }
  const { persisted, maxSeq } = await refillUsers(redis, store, t, k.users, false);
  const [code, , issued] = await redis.restoreTemplate(k.stock, k.seq, k.users, k.outbox, t.stock, maxSeq, PERSISTER_GROUP);
  await redis.sadd(templatesIndexKey(prefix), String(t.templateId));
  return { templateId: t.templateId, outcome: code === 0 ? 'restored' : 'present', persisted, issued };
}

/** {@link restoreTemplate} for every template the database holds. */
export async function restoreTemplates(redis: RedisClient, store: CouponStore, prefix: string): Promise<RestoreResult[]> {
  const out: RestoreResult[] = [];
  for (const t of await store.listTemplates()) out.push(await restoreTemplate(redis, store, prefix, t));
  return out;
}

/** What {@link watchRestores} reports. */
export interface RestoreWatch {
  /** The pass at start is done (at once with `deferUnreachable` and the database away: it runs on `rerun()`). */
  readonly first: Promise<void>;
  /** Run a pass now (say, once a late database opens). */
  rerun(): void;
  /** Whether the database holds this template (as of the last pass, or since {@link remember}). */
  knows(templateId: number): boolean;
  /** A template the database now holds (just created). */
  remember(templateId: number): void;
  /**
   * A request found a known template missing from Redis: run a pass unless one runs or a failed
   * one waits for its retry (requests never defeat the backoff).
   */
  missing(): void;
  stop(): void;
}

/** Template ids a watch remembers at most (beyond: unknown ones answer 404 as Redis says). */
const MAX_KNOWN = 100_000;

/** Backoff between tries of a pass that failed (the database errs), ms. */
const RETRY_MS = [200, 1000, 5000];

/**
 * Restore lost templates now and again whenever the Redis connection comes back (a restarted Redis
 * may come back empty), one pass at a time. Results that are not `present` go to `onResult`. A later
 * pass first awaits `fence` (the persister has no batch in hand: a commit landing after the scan
 * would hold seqs Redis hands out again), and a failed one goes to `onError` and is tried again with
 * backoff until it succeeds or the next reconnect runs it.
 */
export function watchRestores(
  redis: RedisClient,
  store: CouponStore,
  prefix: string,
  hooks: {
    onResult?: (r: RestoreResult) => void;
    onError?: (err: unknown) => void;
    deferUnreachable?: boolean;
    fence?: () => Promise<void>;
  },
): RestoreWatch {
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  let failures = 0;
  let retry: NodeJS.Timeout | undefined;
  const known = new Set<number>();
  const remember = (templateId: number): void => {
    if (known.size < MAX_KNOWN) known.add(templateId);
  };
  const pass = async (): Promise<void> => {
    const results = await restoreTemplates(redis, store, prefix);
    // What the database holds now: a template deleted there is no longer known.
    known.clear();
    for (const r of results) {
      remember(r.templateId);
      if (r.outcome !== 'present') hooks.onResult?.(r);
    }
  };
  const settled = (): void => {
    running = undefined;
    if (again) {
      again = false;
      rerun();
    }
  };
  const rerun = (): void => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    clearTimeout(retry);
    retry = undefined;
    running = (async () => {
      await hooks.fence?.();
      if (stopped) return;
      await pass();
      failures = 0;
    })()
      .catch((err: unknown) => {
        hooks.onError?.(err);
        if (stopped) return;
        retry = setTimeout(() => {
          retry = undefined;
          rerun();
        }, RETRY_MS[Math.min(failures++, RETRY_MS.length - 1)]);
        retry.unref();
      })
      .finally(settled);
  };
  const onReady = (): void => rerun();
  const first = pass().catch((err: unknown) => {
    if (hooks.deferUnreachable && (err as { code?: unknown }).code === 'E_DB_UNREACHABLE') return;
    throw err;
  });
  // Reconnects while the first pass runs wait for it (one pass at a time).
  running = first.then(
    () => undefined,
    () => undefined,
  );
  void running.finally(settled);
  void first.then(
    () => redis.on('ready', onReady),
    () => undefined,
  );
  return {
    first,
    rerun,
    knows: (templateId) => known.has(templateId),
    remember,
    missing: () => {
      if (running === undefined && retry === undefined) rerun();
    },
    stop: () => {
      stopped = true;
      clearTimeout(retry);
      redis.removeListener('ready', onReady);
    },
  };
}
