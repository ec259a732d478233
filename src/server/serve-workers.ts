import cluster, { type Worker } from 'node:cluster';
import type { AddressInfo } from 'node:net';
import { CouponBenchError } from '../errors.js';
import { startManagedRedis, type ManagedRedis } from '../redis/managed-redis.js';

/** Options of {@link runServeWorkers}. */
export interface ServeWorkersOptions {
  workers: number;
  /** the serve flags every worker gets (without --workers, --redis-dir) */
  args: string[];
  /** the Redis to share; undefined starts a private redis-server for all workers */
  redisUrl: string | undefined;
  /** the private Redis's data folder (kept across restarts) */
  redisDir: string | undefined;
  host: string;
  /** shown in the banner (password redacted by the caller) */
  db: string;
  prefix: string;
  out: NodeJS.WritableStream;
}

const START_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 20_000;

/**
 * `serve --workers N`: N server processes (node:cluster) on one port, one Redis and one database.
 * Each runs its own persister, one consumer in the outbox's consumer group. The primary starts the
 * private Redis (if no --redis), restarts a worker that dies, and on SIGTERM/SIGINT drains every
 * worker (SIGTERM each, SIGKILL after a grace) before it stops Redis.
 */
export async function runServeWorkers(o: ServeWorkersOptions): Promise<number> {
  let redis: ManagedRedis | undefined;
  let redisUrl = o.redisUrl;
  if (redisUrl === undefined) {
    redis = await startManagedRedis(o.redisDir !== undefined ? { dir: o.redisDir } : {});
    redisUrl = redis.url;
  }
  const args = [...o.args, '--redis', redisUrl];
  cluster.setupPrimary({ args, silent: false });
  let stopping = false;
  const live = new Set<Worker>();
  const spawnOne = (k: number): Worker => {
    const w = cluster.fork({ COUPON_BENCH_SERVE_WORKER: String(k) });
    live.add(w);
    w.once('exit', (code, signal) => {
      live.delete(w);
      if (stopping) return;
      o.out.write(`  worker ${k} (pid ${w.process.pid}) exited (${signal ?? `code ${code}`}): starting another\n`);
      spawnOne(k);
    });
    return w;
  };
  try {
    const listening = new Promise<AddressInfo>((resolve, reject) => {
      let n = 0;
      const timer = setTimeout(() => reject(new CouponBenchError('E_SERVE_START', `the ${o.workers} workers did not all listen within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
      const onListen = (_w: Worker, address: AddressInfo): void => {
        if (++n === o.workers) {
          clearTimeout(timer);
          cluster.off('listening', onListen);
          resolve(address);
        }
      };
      cluster.on('listening', onListen);
    });
    const started: Worker[] = [];
    for (let k = 1; k <= o.workers; k++) started.push(spawnOne(k));
    // A worker that cannot start (bad database URL, say) fails them all: say why, once.
    const failed = new Promise<never>((_, reject) => {
      for (const w of started) w.once('exit', (code) => code !== 0 && !stopping && reject(new CouponBenchError('E_SERVE_START', `a worker exited during start (code ${code}); see its message above`)));
    });
    const address = await Promise.race([listening, failed]);
    const host = o.host.includes(':') ? `[${o.host}]` : o.host;
    o.out.write(`coupon-bench serve listening on http://${host}:${address.port} (${o.workers} workers: pids ${[...live].map((w) => w.process.pid).join(', ')})\n`);
    const url = `http://${host}:${address.port}`;
    o.out.write(redis ? `  redis: private redis-server at ${redisUrl} shared by the workers${redis.dir ? ` (data in ${redis.dir})` : ''}\n` : `  redis: shared by the workers\n`);
    o.out.write(`  db:    ${o.db}\n  prefix: ${o.prefix}\n`);
    o.out.write(`  issue: curl -s -XPOST ${url}/api/coupons/issue -H 'content-type: application/json' -d '{"userId":1,"templateId":1}'\n`);
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
    });
    o.out.write(`${signal}: draining every worker and stopping\n`);
    return 0;
  } finally {
    stopping = true;
    await Promise.all(
      [...live].map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.isDead()) return resolve();
            const timer = setTimeout(() => w.process.kill('SIGKILL'), STOP_GRACE_MS);
            w.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            w.process.kill('SIGTERM');
          }),
      ),
    );
    await redis?.stop({ keepDir: o.redisDir !== undefined });
    o.out.write('stopped\n');
  }
}
