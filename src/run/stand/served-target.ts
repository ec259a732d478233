import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CouponBenchError } from '../../errors.js';
import type { RunningServer, ServeOptions } from '../../server/serve-options.js';

interface ReadyMessage {
  type: 'ready';
  url: string;
  port: number;
  redisUrl: string;
  dbUrl: string;
  prefix: string;
  managedRedis: boolean;
}
type WorkerMessage = ReadyMessage | { type: 'error'; message: string; code?: string; exitCode?: number } | { type: 'stopped'; error?: string };

/** The built worker entry (from the TypeScript sources, vitest uses the copy in dist/). */
function workerPath(): string | undefined {
  const sibling = fileURLToPath(new URL('./serve-worker.js', import.meta.url));
  if (existsSync(sibling)) return sibling;
  const built = fileURLToPath(new URL('../../../dist/run/stand/serve-worker.js', import.meta.url));
  return existsSync(built) ? built : undefined;
}

/**
 * Start the bundled server for `run --serve`: in a worker thread when the built worker exists
 * (its own event loop, a second core), else in this thread.
 */
export async function startServedTarget(opts: ServeOptions): Promise<RunningServer> {
  // COUPON_BENCH_SERVE_IN_PROCESS=1 keeps the server on this thread (debugging, comparisons).
  const file = process.env['COUPON_BENCH_SERVE_IN_PROCESS'] === '1' ? undefined : workerPath();
  if (!file) {
    const { startServer } = await import('../../server/start-server.js');
    return startServer(opts);
  }
  const worker = new Worker(file, { workerData: opts });
  const ready = await new Promise<ReadyMessage>((resolve, reject) => {
    worker.once('error', (err) => reject(new CouponBenchError('E_SERVE_WORKER', `server worker failed: ${err.message}`, 1, { cause: err })));
    worker.once('exit', (code) => reject(new CouponBenchError('E_SERVE_WORKER', `server worker exited during start (code ${code})`)));
    worker.once('message', (msg: WorkerMessage) => {
      if (msg.type === 'ready') resolve(msg);
      else if (msg.type === 'error') reject(new CouponBenchError(msg.code ?? 'E_SERVE', msg.message, msg.exitCode ?? 1));
    });
  });
  worker.removeAllListeners('exit');
  worker.removeAllListeners('error');
  worker.on('error', () => undefined);
  let stopping: Promise<void> | undefined;
  return {
    url: ready.url,
    port: ready.port,
    redisUrl: ready.redisUrl,
    dbUrl: ready.dbUrl,
    prefix: ready.prefix,
    managedRedis: ready.managedRedis,
    stop(): Promise<void> {
      stopping ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => void worker.terminate(), 30_000);
        worker.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        worker.postMessage({ type: 'stop' });
      });
      return stopping;
    },
  };
}
