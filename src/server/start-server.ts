import { UsageError } from '../errors.js';
import { redactUrl } from '../shared/redact-url.js';
import { validateStoreUrls } from '../store/store-urls.js';
import { bindsLoopbackOnly } from './loopback.js';
import type { RunningServer, ServeOptions } from './serve-options.js';
import { buildServerApp } from './server-app.js';
import { drainServer } from './server-drain.js';
import { adminTokenRequired, listenHttp, probePort } from './server-listen.js';
import { connectServerRedis } from './server-redis.js';
import { startServerStores } from './server-stores.js';

/**
 * Start the issuance server in-process: Redis (a private one when no URL is given), the store,
 * the outbox persister (in a worker thread) and the HTTP listener. Resolves once it listens.
 */
export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  await checkBeforeStart(opts);
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async (): Promise<void> => {
    for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
  };
  try {
    const r = await connectServerRedis(opts, cleanups);
    const stores = await startServerStores(opts, r.redis, r.redisUrl, cleanups);
    const app = buildServerApp(opts, r, stores);
    const { server, fast, port, url } = await listenHttp(opts, app);

    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> =>
      (stopping ??= (async () => {
        await drainServer(server, app, fast, opts.drainTimeoutMs ?? 10_000);
        await cleanup();
      })());

    const { managed, redisUrl } = r;
    const persister = stores.persister;
    return {
      url,
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

/** Bad URLs, prefixes, ports and a port in use fail before anything is started. */
async function checkBeforeStart(opts: ServeOptions): Promise<void> {
  validateStoreUrls({ redis: opts.redisUrl, db: opts.dbUrl, prefix: opts.prefix });
  if (!opts.adminToken && !(await bindsLoopbackOnly(opts.host))) throw adminTokenRequired(opts.host);
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) throw new UsageError(`--port: ${opts.port} is not a port`, 'E_BAD_PORT');
  await probePort(opts.port, opts.host);
}
