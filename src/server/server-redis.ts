import { Cluster } from 'ioredis';
import { CouponBenchError } from '../errors.js';
import { createRedis, type RedisClient } from '../redis/client.js';
import { startManagedRedis, type ManagedRedis } from '../redis/managed-redis.js';
import { redisRefusal } from '../redis/refusal.js';
import { redactUrl } from '../shared/redact-url.js';
import { ClusterIssuePipeline } from './cluster-issue-pipeline.js';
import type { IssueExchange } from './app-core.js';
import { onPipelineReply } from './issue-route.js';
import { IssuePipeline } from './issue-pipeline.js';
import type { IssueChannel } from './issue-channel.js';
import type { ServeOptions } from './serve-options.js';

const REDIS_READY_TIMEOUT_MS = 5000;

/** The server's Redis connections, ready to use. */
export interface ServerRedis {
  /** the private redis-server, when no URL was given */
  managed: ManagedRedis | undefined;
  redisUrl: string;
  /** ioredis: admin, ops and (without a pipeline) issue requests */
  redis: RedisClient;
  /** the issue hot path's own pipelined connection; undefined on `--issue-client ioredis` and rediss:// */
  pipeline: IssueChannel<IssueExchange> | undefined;
  /** Redis timeout of the issue pipeline, ms */
  pipelineTimeoutMs: number;
  /** Redis timeout of ioredis, ms */
  ioredisTimeoutMs: number;
}

/**
 * Connect the server to Redis (a private redis-server first when no URL is given): the ioredis
 * client, then the issue pipeline. Each piece pushes its stop onto `cleanups` once it exists.
 */
export async function connectServerRedis(opts: ServeOptions, cleanups: (() => Promise<void>)[]): Promise<ServerRedis> {
  let managed: ManagedRedis | undefined;
  if (opts.redisUrl === undefined) {
    managed = await startManagedRedis(opts.redisDir !== undefined ? { dir: opts.redisDir } : {});
    const m = managed;
    cleanups.push(() => m.stop());
  }
  const redisUrl = opts.redisUrl ?? managed!.url;
  const ioredisTimeoutMs = opts.redisTimeoutMs ?? 250;
  const redis = createRedis(redisUrl, {
    role: 'server',
    name: 'coupon-bench-serve',
    autoPipelining: true,
    commandTimeoutMs: ioredisTimeoutMs,
  });
  cleanups.push(async () => redis.disconnect());
  await waitReady(redis, redisUrl);
  // The hot path gets its own pipelined connection (see issue-pipeline.ts); TLS stays on ioredis.
  const pipelineTimeoutMs = opts.redisTimeoutMs ?? 100;
  const pipeline = issuePipeline(opts, redis, redisUrl, pipelineTimeoutMs);
  if (pipeline) {
    cleanups.push(async () => pipeline.close());
    await pipeline.ready(REDIS_READY_TIMEOUT_MS);
  }
  return { managed, redisUrl, redis, pipeline, pipelineTimeoutMs, ioredisTimeoutMs };
}

/** The issue pipeline this server uses, if any (a cluster's one for a Cluster client). */
function issuePipeline(opts: ServeOptions, redis: RedisClient, url: string, timeoutMs: number): IssueChannel<IssueExchange> | undefined {
  if (opts.issueClient === 'ioredis') return undefined;
  if (redis instanceof Cluster) return new ClusterIssuePipeline<IssueExchange>({ url, cluster: redis, timeoutMs, onReply: onPipelineReply });
  if (url.startsWith('redis://')) return new IssuePipeline<IssueExchange>({ url, timeoutMs, onReply: onPipelineReply });
  return undefined;
}

async function waitReady(redis: RedisClient, url: string): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    let last: string | undefined;
    const done = (err?: Error): void => {
      clearTimeout(timer);
      redis.removeListener('ready', onReady);
      redis.removeListener('error', onError);
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(() => {
      const why = last !== undefined ? `: ${last}` : '';
      done(new CouponBenchError('E_REDIS_UNREACHABLE', `cannot reach Redis at ${redactUrl(url)} (not ready within ${REDIS_READY_TIMEOUT_MS} ms${why})`));
    }, REDIS_READY_TIMEOUT_MS);
    const onReady = (): void => done();
    // A refused login or database index never gets better: say so at once.
    const onError = (err: Error): void => {
      last = err.message;
      const refused = redisRefusal(redactUrl(url), err.message);
      if (refused) done(refused);
    };
    redis.once('ready', onReady);
    redis.on('error', onError);
  });
}
