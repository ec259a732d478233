import { join } from 'node:path';
import { Redis } from 'ioredis';
import { UsageError } from '../errors.js';
import type { AnyFaultKind } from '../model/fault.js';
import { freePort, startManagedRedis, type ManagedRedis } from '../redis/managed-redis.js';
import { dbEngineOf, sqliteFileOf } from '../store/db-url.js';
import { injectFault, type ChaosPieces, type FaultOutcome } from './chaos-faults.js';
import { startServeProcess, type ServeProcess } from './serve-process.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
import type { FaultSpec } from './fault-spec.js';


/** Options of {@link startChaosStand}. */
export interface ChaosStandOptions {
  runDir: string;
  /** the database the served process writes to */
  dbUrl: string;
  prefix: string;
  /** a Redis the user named (faults on Redis then refused); else a private one in the run folder */
  redisUrl?: string;
  /** the private Redis persists with an append-only file (default true); false only to prove the checker sees the loss */
  appendOnly?: boolean;
  /** the faults that will be injected: what they need is set up (a proxy for PostgreSQL/MariaDB) */
  kinds: ReadonlySet<AnyFaultKind>;
  templateIds: readonly number[];
}

/**
 * The processes a chaos run owns and may break: a private redis-server (append-only, in the run
 * folder), `coupon-bench serve` as a child process on a fixed port, and for PostgreSQL/MariaDB a
 * loopback TCP proxy the server reaches its database through. Nothing else is ever signalled.
 */
export interface ChaosStand {
  readonly url: string;
  readonly redisUrl: string;
  /** the database as verify reads it (directly, not through the proxy) */
  readonly dbUrl: string;
  readonly prefix: string;
  readonly managedRedis: boolean;
  inject(f: FaultSpec, sleep: (ms: number) => Promise<void>): Promise<FaultOutcome>;
  stop(): Promise<void>;
}

const REDIS_FAULTS: ReadonlySet<AnyFaultKind> = new Set(['pause-redis', 'restart-redis']);
const DB_FAULTS: ReadonlySet<AnyFaultKind> = new Set(['db-outage', 'slow-db']);

/** The URL with its host and port replaced (the proxy in front of the database). */
function throughProxy(url: string, port: number): string {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(port);
  return u.toString();
}

/** Check the faults can be injected with these stores, before anything starts. */
export function checkFaultStores(kinds: ReadonlySet<AnyFaultKind>, stores: { redisUrl?: string; dbUrl: string }): void {
  const redisFault = [...kinds].find((k) => REDIS_FAULTS.has(k));
  if (redisFault && stores.redisUrl !== undefined) {
    throw new UsageError(`--fault ${redisFault}: faults on Redis only touch the run's private redis-server; drop --redis`, 'E_FAULT');
  }
  if ([...kinds].some((k) => DB_FAULTS.has(k)) && dbEngineOf(stores.dbUrl) !== 'sqlite') {
    const host = new URL(stores.dbUrl).hostname;
    if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) {
      throw new UsageError(`--fault: database faults go through a loopback proxy to a loopback database; ${host} is not loopback`, 'E_FAULT');
    }
  }
}

/** Start the stand: Redis, the proxy if a database fault needs one, then the server. */
export async function startChaosStand(opts: ChaosStandOptions): Promise<ChaosStand> {
  checkFaultStores(opts.kinds, opts);
  const cleanups: Array<() => Promise<void>> = [];
  const cleanup = async (): Promise<void> => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    const { managed, redisUrl } = await startStandRedis(opts, cleanups);
    const { proxy, servedDb } = await startDbProxy(opts, cleanups);
    const serve: ServeProcess = await startServeProcess({ port: await freePort(), redisUrl, dbUrl: servedDb, prefix: opts.prefix, waitForDb: true });
    cleanups.push(() => serve.stop());
    const probe = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: true, retryStrategy: () => 100 });
    probe.on('error', () => undefined);
    cleanups.push(async () => probe.disconnect());
    const pieces: ChaosPieces = {
      serve,
      managed,
      proxy,
      sqlitePath: dbEngineOf(opts.dbUrl) === 'sqlite' ? sqliteFileOf(opts.dbUrl) : undefined,
      probe,
      prefix: opts.prefix,
      templateIds: opts.templateIds,
      appendOnly: opts.appendOnly,
    };
    return {
      url: serve.url,
      redisUrl,
      dbUrl: opts.dbUrl,
      prefix: opts.prefix,
      managedRedis: managed !== undefined,
      inject: (f, sleep) => injectFault(pieces, f, sleep),
      stop: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** The Redis the server uses: the one the user named, else a private one in the run folder. */
async function startStandRedis(
  opts: ChaosStandOptions,
  cleanups: Array<() => Promise<void>>,
): Promise<{ managed: ManagedRedis | undefined; redisUrl: string }> {
  if (opts.redisUrl !== undefined) return { managed: undefined, redisUrl: opts.redisUrl };
  // restart-redis (SIGKILL) must find every acknowledged write again: fsync before each reply.
  const managed = await startManagedRedis({ dir: join(opts.runDir, 'redis'), appendOnly: opts.appendOnly !== false, appendFsync: 'always' });
  cleanups.push(() => managed.stop({ keepDir: true }));
  return { managed, redisUrl: managed.url };
}

/** A loopback proxy in front of PostgreSQL/MariaDB when a database fault is planned; the URL the server then uses. */
async function startDbProxy(
  opts: ChaosStandOptions,
  cleanups: Array<() => Promise<void>>,
): Promise<{ proxy: TcpProxy | undefined; servedDb: string }> {
  const engine = dbEngineOf(opts.dbUrl);
  if (engine === 'sqlite' || ![...opts.kinds].some((k) => DB_FAULTS.has(k))) return { proxy: undefined, servedDb: opts.dbUrl };
  const u = new URL(opts.dbUrl);
  const proxy = await startTcpProxy({ target: { host: u.hostname, port: Number(u.port || (engine === 'postgres' ? 5432 : 3306)) } });
  cleanups.push(() => proxy.close());
  return { proxy, servedDb: throughProxy(opts.dbUrl, proxy.port) };
}
