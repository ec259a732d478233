import { createServer, type Server } from 'node:http';
import { Cluster } from 'ioredis';
import type { AddressInfo } from 'node:net';
import { CouponBenchError, UsageError } from '../errors.js';
import { createRedis, type RedisClient } from '../redis/client.js';
import { templateKeys, templatesIndexKey } from '../redis/keys.js';
import { startManagedRedis, type ManagedRedis } from '../redis/managed-redis.js';
import { openStore } from '../store/open-store.js';
import { redactUrl } from '../shared/redact-url.js';
import { validateStoreUrls } from '../store/store-urls.js';
import { RetryingStore } from '../store/retrying-store.js';
import type { PersisterHandle, PersisterStats } from '../store/persister-options.js';
import { startPersister } from '../store/persister.js';
import { FastFront } from './fast-front.js';
import { AppRequest, type IssueExchange } from './app-core.js';
import { HttpApp } from './http-app.js';
import { onPipelineReply } from './issue-route.js';
import { ClusterIssuePipeline } from './cluster-issue-pipeline.js';
import { IssuePipeline, type IssueChannel } from './issue-pipeline.js';
import { SoldOutSnapshots } from './sold-out-snapshot.js';
import { watchRestores } from './template-restore.js';
import { ServerMetrics } from './metrics.js';
import type { RunningServer, ServeOptions } from './serve-options.js';
import { redisRefusal } from '../redis/refusal.js';
import { bindsLoopbackOnly, isLoopbackAddress } from './loopback.js';

const REDIS_READY_TIMEOUT_MS = 5000;
/** templates /metrics sums outbox lag over (XLEN each) */
const MAX_LAG_TEMPLATES = 1000;

/**
 * Start the issuance server in-process: Redis (a private one when no URL is given), the store,
 * the outbox persister (in a worker thread) and the HTTP listener. Resolves once it listens.
 */
export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  // Bad URLs and prefixes fail before anything is started.
  validateStoreUrls({ redis: opts.redisUrl, db: opts.dbUrl, prefix: opts.prefix });
  if (!opts.adminToken && !(await bindsLoopbackOnly(opts.host))) throw adminTokenRequired(opts.host);
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) throw new UsageError(`--port: ${opts.port} is not a port`, 'E_BAD_PORT');
  // A port in use fails before the stores are touched (no redis-server started, no database file made).
  if (opts.port !== 0) {
    const probe = createServer();
    await listen(probe, opts.port, opts.host);
    await new Promise((r) => probe.close(r));
  }

  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async (): Promise<void> => {
    for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
  };
  try {
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
    const timeoutMs = opts.redisTimeoutMs ?? 100;
    const pipeline: IssueChannel<IssueExchange> | undefined =
      opts.issueClient === 'ioredis'
        ? undefined
        : redis instanceof Cluster
          ? new ClusterIssuePipeline<IssueExchange>({ url: redisUrl, cluster: redis, timeoutMs, onReply: onPipelineReply })
          : redisUrl.startsWith('redis://')
            ? new IssuePipeline<IssueExchange>({ url: redisUrl, timeoutMs, onReply: onPipelineReply })
            : undefined;
    if (pipeline) {
      cleanups.push(async () => pipeline.close());
      await pipeline.ready(REDIS_READY_TIMEOUT_MS);
    }

    // Set once the restore watch below exists: a database that opens late gets its pass then.
    const late: { onDbOpen?: () => void } = {};
    const store = opts.waitForDb
      ? await RetryingStore.open(opts.dbUrl, {
          onState: (state, detail) => {
            opts.onDbState?.(state, detail);
            if (state === 'open') late.onDbOpen?.();
          },
        })
      : await openStore(opts.dbUrl);
    cleanups.push(() => store.close());

    // Templates the database knows but Redis lost (an empty Redis in front of an old database) are
    // rebuilt before the first request, and again after every reconnect (see template-restore.ts).
    let persister: PersisterHandle | undefined;
    const closing = { now: false };
    const restores = watchRestores(redis, store, opts.prefix, {
      ...(opts.onRestore ? { onResult: opts.onRestore } : {}),
      onError: (err) => opts.onRestoreError?.(err),
      deferUnreachable: opts.waitForDb === true,
      // The first pass runs before the persister starts; later ones wait for its batch in hand.
      fence: () => (persister ? persisterIdle(persister, closing) : Promise.resolve()),
    });
    cleanups.push(async () => {
      closing.now = true;
      restores.stop();
    });
    late.onDbOpen = () => restores.rerun();
    await restores.first;

    if (opts.persister !== false) {
      persister = await startPersister({
        ...opts.persisterOptions,
        ...(opts.waitForDb ? { waitForDb: true } : {}),
        redisUrl,
        dbUrl: opts.dbUrl,
        prefix: opts.prefix,
      });
      const p = persister;
      cleanups.push(() => p.stop());
    }

    // One source of the persister's figures for /metrics and /healthz.
    const p = persister;
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
      store,
      metrics,
      adminToken: opts.adminToken,
      maxInFlight: opts.maxInFlight ?? 10_000,
      bodyLimit: opts.bodyLimitBytes ?? 4096,
      healthTimeoutMs: pipeline ? timeoutMs : ioredisTimeoutMs,
      ...(persisterStats ? { persisterStats } : {}),
      restores,
    });
    live.app = theApp;

    const server = createServer({
      IncomingMessage: AppRequest,
      keepAliveTimeout: opts.keepAliveTimeoutMs ?? 5000,
      headersTimeout: opts.headersTimeoutMs ?? 10_000,
      requestTimeout: opts.requestTimeoutMs ?? 30_000,
      // How often the header/request timeouts are checked (Node's default is 30 s).
      connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor((opts.headersTimeoutMs ?? 10_000) / 4))),
      noDelay: true,
      // The app answers a missing Host with a contract error (node:http's 400 has an empty body).
      requireHostHeader: false,
    });
    server.maxHeadersCount = 64;
    // A client that half-closes after its request still gets the answer (node:http's default drops
    // it, though the coupon is issued), as on the fast front; the connection closes after it.
    (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
    server.on('request', theApp.handle);
    server.on('clientError', theApp.clientError);
    const fast = opts.httpFront === 'node' ? undefined : FastFront.install(theApp, server, opts.keepAliveTimeoutMs ?? 5000);
    await listen(server, opts.port, opts.host);
    const bound = server.address() as AddressInfo;
    // The address actually bound decides (a name may resolve otherwise than it did a moment ago).
    if (!opts.adminToken && !isLoopbackAddress(bound.address)) {
      await new Promise((r) => server.close(r));
      throw adminTokenRequired(`${opts.host} = ${bound.address}`);
    }
    const port = bound.port;
    const urlHost = opts.host.includes(':') ? `[${opts.host}]` : opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host;

    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> =>
      (stopping ??= (async () => {
        theApp.draining = true;
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        const closeIdle = (): void => {
          server.closeIdleConnections();
          fast?.closeIdle();
        };
        closeIdle();
        const deadline = Date.now() + (opts.drainTimeoutMs ?? 10_000);
        // In-flight requests finish and are answered; new ones on kept-alive connections get 503.
        while ((theApp.inFlight > 0 || theApp.slowPending > 0) && Date.now() < deadline) {
          await sleep(10);
          closeIdle();
        }
        // A short grace for requests whose body was still arriving, then close what is left.
        const grace = Math.min(deadline, Date.now() + 200);
        while ((await connectionCount(server)) > 0 && Date.now() < grace) {
          await sleep(10);
          closeIdle();
        }
        server.closeAllConnections();
        fast?.closeAll();
        await closed;
        await cleanup();
      })());

    return {
      url: `http://${urlHost}:${port}`,
      port,
      redisUrl,
      dbUrl: redactUrl(opts.dbUrl),
      prefix: opts.prefix,
      managedRedis: managed !== undefined,
      ...(managed !== undefined && opts.redisDir !== undefined ? { redisDir: managed.dir } : {}),
      ...(persister?.killWorker ? { killPersister: persister.killWorker } : {}),
      stop,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

function adminTokenRequired(host: string): UsageError {
  return new UsageError(`--admin-token is required when binding to a non-loopback address (${host})`, 'E_ADMIN_TOKEN_REQUIRED');
}

/**
 * Resolves once the persister reports, in figures taken after this call, that it holds no batch
 * (nothing read from the outbox is still on its way to the database), or once the server closes.
 */
async function persisterIdle(p: PersisterHandle, closing: { now: boolean }): Promise<void> {
  const since = Date.now();
  while (!closing.now) {
    const s = p.stats();
    if ((s.at ?? 0) > since && s.busy !== true) return;
    await sleep(20);
  }
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

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(
        err.code === 'EADDRINUSE'
          ? new UsageError(`--port: ${host}:${port} is already in use`, 'E_PORT_IN_USE')
          : new CouponBenchError('E_LISTEN', `cannot listen on ${host}:${port}: ${err.message}`),
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.removeListener('error', onError);
      resolve();
    });
  });
}

const connectionCount = (server: Server): Promise<number> =>
  new Promise((resolve) => server.getConnections((err, n) => resolve(err ? 0 : n)));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
