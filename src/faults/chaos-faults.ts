import type { Redis } from 'ioredis';
import { CouponBenchError } from '../errors.js';
import type { HookOutcome } from '../model/fault.js';
import type { ManagedRedis } from '../redis/managed-redis.js';
import { templateKeys } from '../redis/keys.js';
import type { FaultSpec } from './fault-spec.js';
import type { ServeProcess } from './serve-process.js';
import { lockSqlite } from './sqlite-lock.js';
import type { TcpProxy } from './tcp-proxy.js';

/** What one injected fault did: when it was lifted, and what it destroyed if anything. */
export interface FaultOutcome {
  /** performance.now() when the fault was lifted */
  endedAt: number;
  detail: string;
  dataLost?: string;
  /** a hook fault: what its command did */
  hook?: HookOutcome;
}

/** The pieces of a chaos stand a fault breaks, and what the Redis restart checks. */
export interface ChaosPieces {
  serve: ServeProcess;
  /** the private redis-server (undefined with a Redis the user named: no Redis faults then) */
  managed: ManagedRedis | undefined;
  /** the proxy in front of PostgreSQL/MariaDB, when a database fault needs one */
  proxy: TcpProxy | undefined;
  /** the SQLite file (a SQLite database) */
  sqlitePath: string | undefined;
  /** a connection of the stand's own to the private Redis */
  probe: Redis;
  prefix: string;
  templateIds: readonly number[];
  appendOnly: boolean | undefined;
}

type Sleep = (ms: number) => Promise<void>;

/** Inject one fault into the stand's pieces and lift it; resolves with what it did. */
export async function injectFault(s: ChaosPieces, f: FaultSpec, sleep: Sleep): Promise<FaultOutcome> {
  const dur = f.durationMs ?? 0;
  switch (f.kind) {
    case 'kill-serve': {
      const old = s.serve.pid;
      await s.serve.kill();
      const endedAt = performance.now();
      await s.serve.start();
      return { endedAt, detail: `serve pid ${old} killed (SIGKILL), pid ${s.serve.pid} started on the same port and stores` };
    }
    case 'kill-persister':
      s.serve.killPersister();
      return { endedAt: performance.now(), detail: `serve pid ${s.serve.pid}: persister worker killed; the server restarts it` };
    case 'pause-redis':
      return pauseRedis(s.managed as ManagedRedis, dur, sleep);
    case 'restart-redis':
      return restartRedis(s, s.managed as ManagedRedis);
    case 'db-outage':
      return dbOutage(s, dur, sleep);
    case 'slow-db':
      return slowDb(s, f.latencyMs ?? 0, dur, sleep);
    default:
      throw new CouponBenchError('E_FAULT', `unknown fault ${String((f as { kind: unknown }).kind)}`);
  }
}

async function pauseRedis(managed: ManagedRedis, dur: number, sleep: Sleep): Promise<FaultOutcome> {
  const pid = managed.pid as number;
  process.kill(pid, 'SIGSTOP');
  try {
    await sleep(dur);
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  return { endedAt: performance.now(), detail: `redis-server pid ${pid} stopped (SIGSTOP) for ${dur} ms, then continued` };
}

async function restartRedis(s: ChaosPieces, m: ManagedRedis): Promise<FaultOutcome> {
  const { probe } = s;
  // A marker written (and acknowledged) just before the kill: a Redis that comes back without
  // it lost acknowledged writes, even when the server has since rebuilt the counts from the
  // database (which hides the drop in the counts below).
  const marker = `coupon-bench:chaos-marker:${process.pid}`;
  await probe.set(marker, String(Date.now()));
  const before = await issuedCounts(probe, s.prefix, s.templateIds);
  const old = m.pid;
  await m.kill();
  const endedAt = performance.now();
  await m.restart();
  const markerKept = (await probe.get(marker)) !== null;
  const after = await issuedCounts(probe, s.prefix, s.templateIds);
  await probe.del(marker);
  const lost = [...before].filter(([id, n]) => (after.get(id) ?? 0) < n).map(([id, n]) => `template ${id}: ${n} → ${after.get(id) ?? 0}`);
  const detail = `redis-server pid ${old} killed (SIGKILL), pid ${m.pid} started on ${s.appendOnly === false ? 'no append-only file' : 'its append-only file'}`;
  if (lost.length) return { endedAt, detail, dataLost: `Redis came back with fewer coupons issued than before the restart (${lost.join('; ')})` };
  if (!markerKept) return { endedAt, detail, dataLost: 'Redis came back without the writes it had acknowledged before the restart (its state was not persisted)' };
  return { endedAt, detail };
}

async function issuedCounts(redis: Redis, prefix: string, ids: readonly number[]): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const id of ids) out.set(id, Number((await redis.get(templateKeys(prefix, id).seq)) ?? 0));
  return out;
}

async function dbOutage(s: ChaosPieces, dur: number, sleep: Sleep): Promise<FaultOutcome> {
  const { proxy } = s;
  if (proxy) {
    proxy.cut();
    try {
      await sleep(dur);
    } finally {
      proxy.restore();
    }
    return { endedAt: performance.now(), detail: `database proxy cut for ${dur} ms (connections reset, new ones refused)` };
  }
  const lock = lockSqlite(s.sqlitePath as string);
  try {
    await sleep(dur);
  } finally {
    lock.release();
  }
  return { endedAt: performance.now(), detail: `SQLite file locked (exclusive transaction) for ${dur} ms` };
}

async function slowDb(s: ChaosPieces, latency: number, dur: number, sleep: Sleep): Promise<FaultOutcome> {
  const { proxy } = s;
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
    const lock = lockSqlite(s.sqlitePath as string);
    try {
      await sleep(Math.min(latency, Math.max(0, until - performance.now())));
    } finally {
      lock.release();
    }
    await sleep(5);
  }
  return { endedAt: performance.now(), detail: `SQLite writes held up to ${latency} ms at a time for ${dur} ms` };
}
