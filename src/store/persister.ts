import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CouponBenchError } from '../errors.js';
import { runPersisterLoop } from './persister-loop.js';
import type { PersisterHandle, PersisterOptions, PersisterStats } from './persister-options.js';

const emptyStats = (): PersisterStats => ({
  persisted: 0,
  duplicatesIgnored: 0,
  deadLettered: 0,
  failures: 0,
  lag: 0,
  lastCommitAt: 0,
  totalFailures: 0,
});

/**
 * Path of the built worker entry. From dist/ it sits next to this file; from the TypeScript sources
 * (vitest) a Worker cannot load .ts, so we use the built copy in dist/ (run `npm run build` first).
 */
export function persisterWorkerPath(): string {
  const sibling = fileURLToPath(new URL('./persister-worker.js', import.meta.url));
  if (existsSync(sibling)) return sibling;
  const built = fileURLToPath(new URL('../../dist/store/persister-worker.js', import.meta.url));
  if (existsSync(built)) return built;
  throw new CouponBenchError(
    'E_PERSISTER_WORKER_MISSING',
    `persister worker not found (${sibling}); run "npm run build" first, or use mode "in-process"`,
  );
}

/**
 * Start the outbox persister. By default the loop runs in a worker thread with its own Redis
 * connection and store, so database work never blocks the caller's (HTTP) event loop. Resolves
 * once the store is open and the consumer groups exist; rejects with a typed error when the
 * database URL is bad or the database refuses the connection.
 */
export async function startPersister(opts: PersisterOptions): Promise<PersisterHandle> {
  return opts.mode === 'in-process' ? startInProcess(opts) : startInWorker(opts);
}

async function startInProcess(opts: PersisterOptions): Promise<PersisterHandle> {
  let last = emptyStats();
  const abort = new AbortController();
  let ready!: () => void;
  const readyP = new Promise<void>((r) => (ready = r));
  const done = runPersisterLoop(opts, {
    signal: abort.signal,
    onReady: ready,
    onStats: (s) => (last = s),
  }).then(
    (s) => {
      last = s;
    },
    (err: unknown) => {
      // Before ready: startPersister rejects with it. After: keep running hosts alive, show it in stats.
      if (!started) throw err;
      last = { ...last, lastError: err instanceof Error ? err.message : String(err) };
    },
  );
  let started = false;
  await Promise.race([readyP, done]);
  started = true;
  return {
    stats: () => ({ ...last }),
    stop: async () => {
      abort.abort();
      await done;
    },
  };
}

interface WorkerMessage {
  type: 'ready' | 'stats' | 'stopped' | 'fatal';
  stats?: PersisterStats;
  error?: { code: string; message: string; exitCode?: number };
}

async function startInWorker(opts: PersisterOptions): Promise<PersisterHandle> {
  const file = persisterWorkerPath();
  let last = emptyStats();
  let stopping = false;
  let worker: Worker;
  let exited: Promise<void>;

  const spawn = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      let isReady = false;
      // Options go by structured clone: keep them plain data.
      worker = new Worker(file, { workerData: { ...opts, mode: 'in-process' } });
      exited = new Promise<void>((resolveExit) => {
        worker.on('exit', (code) => {
          resolveExit();
          if (!isReady) {
            reject(new CouponBenchError('E_PERSISTER', `persister worker exited during start (code ${code})`));
          } else if (!stopping) {
            // Crashed after start: entries it held stay pending and are re-read; start a fresh one.
            last = { ...last, lastError: `persister worker exited unexpectedly (code ${code}); restarting` };
            setTimeout(() => {
              if (!stopping) spawn().catch((err: Error) => (last = { ...last, lastError: err.message }));
            }, 1000).unref();
          }
        });
      });
      worker.on('error', (err) => {
        last = { ...last, lastError: err.message };
        if (!isReady) reject(new CouponBenchError('E_PERSISTER', `persister worker failed: ${err.message}`, 1, { cause: err }));
      });
      worker.on('message', (msg: WorkerMessage) => {
        if (msg.stats) last = msg.stats;
        if (msg.type === 'ready' && !isReady) {
          isReady = true;
          resolve();
        } else if (msg.type === 'fatal' && msg.error) {
          const e = new CouponBenchError(msg.error.code, msg.error.message, msg.error.exitCode ?? 1);
          last = { ...last, lastError: msg.error.message };
          if (!isReady) reject(e);
        }
      });
    });

  await spawn();
  return {
    stats: () => ({ ...last }),
    stop: async () => {
      if (stopping) return exited;
      stopping = true;
      worker.postMessage({ type: 'stop' });
      // The loop finishes its batch and closes; terminate only if it hangs far beyond that.
      const timer = setTimeout(() => void worker.terminate(), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
