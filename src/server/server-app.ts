import type { RedisClient } from '../redis/client.js';
import { templateKeys, templatesIndexKey } from '../redis/keys.js';
import type { PersisterStats } from '../store/persister-options.js';
import { HttpApp } from './http-app.js';
import { ServerMetrics } from './metrics.js';
import type { ServeOptions } from './serve-options.js';
import type { ServerRedis } from './server-redis.js';
import type { ServerStores } from './server-stores.js';
import { SoldOutSnapshots } from './sold-out-snapshot.js';

/** templates /metrics sums outbox lag over (XLEN each) */
const MAX_LAG_TEMPLATES = 1000;

/** The HTTP app on the server's Redis and stores, with its metrics and sold-out snapshots. */
export function buildServerApp(opts: ServeOptions, r: ServerRedis, stores: ServerStores): HttpApp {
  const { redis, pipeline } = r;
  // One source of the persister's figures for /metrics and /healthz.
  const p = stores.persister;
  const persisterStats = p ? (): PersisterStats => p.stats() : undefined;
  // The metrics read the app's live figures at scrape time; the app records into the metrics.
  const live: { app?: HttpApp } = {};
  // Final state of sold-out templates (see sold-out-snapshot.ts), with the issue pipeline only.
  const soldOut =
    pipeline && opts.soldOutSnapshot !== false
      ? new SoldOutSnapshots({
          load: (templateId) => redis.hgetall(templateKeys(opts.prefix, templateId).users),
          ...(opts.soldOutSnapshotTtlMs !== undefined ? { ttlMs: opts.soldOutSnapshotTtlMs } : {}),
        })
      : undefined;
  const metrics = new ServerMetrics({
    outboxLag: () => outboxLag(redis, opts.prefix),
    persister: () => persisterStats?.(),
    redisUp: () => (pipeline ?? redis).status === 'ready',
    inFlight: () => live.app?.inFlight ?? 0,
    snapshotAnswers: soldOut && (() => soldOut.answers),
  });
  const theApp = new HttpApp({
    redis,
    pipeline,
    soldOut,
    prefix: opts.prefix,
    store: stores.store,
    metrics,
    adminToken: opts.adminToken,
    maxInFlight: opts.maxInFlight ?? 10_000,
    bodyLimit: opts.bodyLimitBytes ?? 4096,
    healthTimeoutMs: pipeline ? r.pipelineTimeoutMs : r.ioredisTimeoutMs,
    ...(persisterStats ? { persisterStats } : {}),
    restores: stores.restores,
  });
  live.app = theApp;
  return theApp;
}

/** Unpersisted outbox entries over all templates: the persister XDELs after commit, so XLEN is the lag. */
async function outboxLag(redis: RedisClient, prefix: string): Promise<number | undefined> {
  if (redis.status !== 'ready') return undefined;
  try {
    const ids = (await redis.smembers(templatesIndexKey(prefix))).slice(0, MAX_LAG_TEMPLATES);
    if (ids.length === 0) return 0;
    // One XLEN a template, sent together (auto-pipelined; on a cluster each goes to its slot's node).
    const replies = await Promise.allSettled(ids.map((id) => redis.xlen(templateKeys(prefix, Number(id)).outbox)));
    return replies.reduce((sum, r) => sum + (r.status === 'fulfilled' ? r.value : 0), 0);
  } catch {
    return undefined;
  }
}
