import { join } from 'node:path';
import { Redis } from 'ioredis';
import { CouponBenchError, UsageError } from '../errors.js';
import type { AnyFaultKind, HookOutcome } from '../model/fault.js';
import { freePort, startManagedRedis, type ManagedRedis } from '../redis/managed-redis.js';
import { templateKeys } from '../redis/keys.js';
import { dbEngineOf, sqliteFileOf } from '../store/db-url.js';
import { startServeProcess, type ServeProcess } from './serve-process.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
import { lockSqlite } from './sqlite-lock.js';
import type { FaultSpec } from './fault-spec.js';

/** What one injected fault did: when it was lifted, and what it destroyed if anything. */
export interface FaultOutcome {
  /** performance.now() when the fault was lifted */
  endedAt: number;
  detail: string;
  dataLost?: string;
  /** a hook fault: what its command did */
  hook?: HookOutcome;
}

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

async function issuedCounts(redis: Redis, prefix: string, ids: readonly number[]): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const id of ids) out.set(id, Number((await redis.get(templateKeys(prefix, id).seq)) ?? 0));
  return out;
}

/** Start the stand: Redis, the proxy if a database fault needs one, then the server. */
export async function startChaosStand(opts: ChaosStandOptions): Promise<ChaosStand> {
  checkFaultStores(opts.kinds, opts);
  const cleanups: Array<() => Promise<void>> = [];
  const cleanup = async (): Promise<void> => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    let managed: ManagedRedis | undefined;
    let redisUrl = opts.redisUrl;
    if (redisUrl === undefined) {
      // restart-redis (SIGKILL) must find every acknowledged write again: fsync before each reply.
      managed = await startManagedRedis({ dir: join(opts.runDir, 'redis'), appendOnly: opts.appendOnly !== false, appendFsync: 'always' });
      const m = managed;
      cleanups.push(() => m.stop({ keepDir: true }));
      redisUrl = managed.url;
    }
    const engine = dbEngineOf(opts.dbUrl);
    let proxy: TcpProxy | undefined;
    let servedDb = opts.dbUrl;
    if (engine !== 'sqlite' && [...opts.kinds].some((k) => DB_FAULTS.has(k))) {
      const u = new URL(opts.dbUrl);
      proxy = await startTcpProxy({ target: { host: u.hostname, port: Number(u.port || (engine === 'postgres' ? 5432 : 3306)) } });
      const p = proxy;
      cleanups.push(() => p.close());
      servedDb = throughProxy(opts.dbUrl, proxy.port);
    }
    const serve: ServeProcess = await startServeProcess({ port: await freePort(), redisUrl, dbUrl: servedDb, prefix: opts.prefix, waitForDb: true });
    cleanups.push(() => serve.stop());
    const probe = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: true, retryStrategy: () => 100 });
    probe.on('error', () => undefined);
    cleanups.push(async () => probe.disconnect());
    const sqlitePath = engine === 'sqlite' ? sqliteFileOf(opts.dbUrl) : undefined;

    const inject = async (f: FaultSpec, sleep: (ms: number) => Promise<void>): Promise<FaultOutcome> => {
      const dur = f.durationMs ?? 0;
      switch (f.kind) {
        case 'kill-serve': {
          const old = serve.pid;
          await serve.kill();
          const endedAt = performance.now();
          await serve.start();
          return { endedAt, detail: `serve pid ${old} killed (SIGKILL), pid ${serve.pid} started on the same port and stores` };
        }
        case 'kill-persister':
          serve.killPersister();
          return { endedAt: performance.now(), detail: `serve pid ${serve.pid}: persister worker killed; the server restarts it` };
        case 'pause-redis': {
          const pid = (managed as ManagedRedis).pid as number;
          process.kill(pid, 'SIGSTOP');
          try {
            await sleep(dur);
          } finally {
            process.kill(pid, 'SIGCONT');
          }
          return { endedAt: performance.now(), detail: `redis-server pid ${pid} stopped (SIGSTOP) for ${dur} ms, then continued` };
        }
        case 'restart-redis': {
          const m = managed as ManagedRedis;
          // A marker written (and acknowledged) just before the kill: a Redis that comes back without
          // it lost acknowledged writes, even when the server has since rebuilt the counts from the
          // database (which hides the drop in the counts below).
          const marker = `coupon-bench:chaos-marker:${process.pid}`;
          await probe.set(marker, String(Date.now()));
          const before = await issuedCounts(probe, opts.prefix, opts.templateIds);
          const old = m.pid;
          await m.kill();
          const endedAt = performance.now();
          await m.restart();
          const markerKept = (await probe.get(marker)) !== null;
          const after = await issuedCounts(probe, opts.prefix, opts.templateIds);
          await probe.del(marker);
          const lost = [...before].filter(([id, n]) => (after.get(id) ?? 0) < n).map(([id, n]) => `template ${id}: ${n} → ${after.get(id) ?? 0}`);
          const detail = `redis-server pid ${old} killed (SIGKILL), pid ${m.pid} started on ${opts.appendOnly === false ? 'no append-only file' : 'its append-only file'}`;
          if (lost.length) return { endedAt, detail, dataLost: `Redis came back with fewer coupons issued than before the restart (${lost.join('; ')})` };
          if (!markerKept) return { endedAt, detail, dataLost: 'Redis came back without the writes it had acknowledged before the restart (its state was not persisted)' };
          return { endedAt, detail };
        }
        case 'db-outage': {
          if (proxy) {
            proxy.cut();
            try {
              await sleep(dur);
            } finally {
              proxy.restore();
            }
            return { endedAt: performance.now(), detail: `database proxy cut for ${dur} ms (connections reset, new ones refused)` };
          }
          const lock = lockSqlite(sqlitePath as string);
          try {
            await sleep(dur);
          } finally {
            lock.release();
          }
          return { endedAt: performance.now(), detail: `SQLite file locked (exclusive transaction) for ${dur} ms` };
        }
        case 'slow-db': {
          const latency = f.latencyMs ?? 0;
          if (proxy) {
            proxy.setLatency(latency);
            try {
              await sleep(dur);
            } finally {
              proxy.setLatency(0);
            }
            return { endedAt: performance.now(), detail: `database proxy delayed every packet by ${latency} ms for ${dur} ms` };
          }
          // SQLite has no connection to slow: the file is locked for `latency` ms at a time with
          // short gaps, so each write waits up to that long.
          const until = performance.now() + dur;
          while (performance.now() < until) {
            const lock = lockSqlite(sqlitePath as string);
            try {
              await sleep(Math.min(latency, Math.max(0, until - performance.now())));
            } finally {
              lock.release();
            }
            await sleep(5);
          }
          return { endedAt: performance.now(), detail: `SQLite writes held up to ${latency} ms at a time for ${dur} ms` };
        }
        default:
          throw new CouponBenchError('E_FAULT', `unknown fault ${String((f as { kind: unknown }).kind)}`);
      }
    };

    return {
      url: serve.url,
      redisUrl,
      dbUrl: opts.dbUrl,
      prefix: opts.prefix,
      managedRedis: managed !== undefined,
      inject,
      stop: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
