import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CouponBenchError } from '../errors.js';
import { backoffMs } from '../shared/backoff.js';
import { runPersisterLoop } from './persister-loop.js';
import { emptyPersisterStats, type PersisterHandle, type PersisterOptions, type PersisterStats } from './persister-options.js';

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

/** Flags that only make sense for the main entry (with the value they take, if any). */
const MAIN_ONLY_FLAGS = new Map<string, boolean>([
  ['--input-type', true],
  ['-e', true],
  ['--eval', true],
  ['-p', true],
  ['--print', true],
  ['-c', false],
  ['--check', false],
  ['-i', false],
  ['--interactive', false],
  ['--test', false],
  ['--watch', false],
  ['--watch-path', true],
  ['--watch-preserve-output', false],
]);

/**
 * The parent's execArgv without the flags a worker must not inherit: `node --input-type=module -e …`
 * would make the worker fail with ERR_INPUT_TYPE_NOT_ALLOWED. Everything else (--cpu-prof,
 * --max-old-space-size, --import …) is kept. Exported for tests.
 */
export function workerExecArgv(execArgv: readonly string[] = process.execArgv): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i]!;
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const takesValue = MAIN_ONLY_FLAGS.get(name);
    if (takesValue === undefined) {
      out.push(a);
      continue;
    }
    // `--flag value` form: skip the value too (`--flag=value` is one element).
    if (takesValue && name === a) i += 1;
  }
  return out;
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
  let last = emptyPersisterStats();
  const abort = new AbortController();
  let ready!: () => void;
  const readyP = new Promise<void>((r) => (ready = r));
  let started = false;
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

/**
 * A Worker with the parent's execArgv minus main-entry-only flags. An explicit execArgv is checked
 * by Node (per-process flags such as --perf-basic-prof are refused there, although a worker inherits
 * them silently when execArgv is left out), so it is passed only when something was dropped, and
 * refused flags are left out on a second try: they are process-wide, the worker has them anyway.
 */
function newWorker(file: string, workerData: PersisterOptions): Worker {
  const filtered = workerExecArgv();
  if (filtered.length === process.execArgv.length) return new Worker(file, { workerData });
  try {
    return new Worker(file, { workerData, execArgv: filtered });
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (e.code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw err;
    const refused = new Set((e.message ?? '').replace(/^.*flags:\s*/, '').split(/,\s*/));
    return new Worker(file, { workerData, execArgv: filtered.filter((a) => !refused.has(a)) });
  }
}

interface WorkerMessage {
  type: 'ready' | 'stats' | 'stopped' | 'fatal';
  stats?: PersisterStats;
  error?: { code: string; message: string; exitCode?: number };
}

/** First wait before restarting a crashed worker, and the cap the wait doubles up to while restarts fail. */
const RESTART_FIRST_MS = 1000;
const RESTART_MAX_MS = 30_000;

async function startInWorker(opts: PersisterOptions): Promise<PersisterHandle> {
  const file = persisterWorkerPath();
  let last = emptyPersisterStats();
  let stopping = false;
  let worker: Worker;
  let exited: Promise<void>;
  // One consumer name for every worker of this host: a restarted worker re-reads what the crashed
  // one held at once, instead of claiming it after claimIdleMs.
  const consumer = opts.consumer ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;

  /**
   * Start a worker; resolves once it is ready. A restart (after a crash) waits out an unreachable
   * database inside the worker, as `waitForDb` does: the server is already taking traffic.
   */
  const spawn = (restart: boolean): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      let isReady = false;
      // Options go by structured clone: keep them plain data.
      worker = newWorker(file, { ...opts, consumer, mode: 'in-process', ...(restart ? { waitForDb: true } : {}) });
      exited = new Promise<void>((resolveExit) => {
        worker.on('exit', (code) => {
          resolveExit();
          if (!isReady) {
            reject(new CouponBenchError('E_PERSISTER', `persister worker exited during start (code ${code})`));
          } else if (!stopping) {
            // Crashed after start: entries it held stay pending; the next worker re-reads them.
            last = { ...last, lastError: `persister worker exited unexpectedly (code ${code}); restarting` };
            scheduleRestart(0);
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

  /** Restart after a backoff; a restart that fails (say, the database now refuses the credentials) tries again later. */
  const scheduleRestart = (failedRestarts: number): void => {
    setTimeout(() => {
      if (stopping) return;
      spawn(true).catch((err: Error) => {
        // Counted as a database failure: /healthz shows the server degraded until a restart works.
        last = { ...last, failures: last.failures + 1, lastError: `persister restart failed: ${err.message}` };
        scheduleRestart(failedRestarts + 1);
      });
    }, backoffMs(failedRestarts, RESTART_FIRST_MS, RESTART_MAX_MS)).unref();
  };

  await spawn(false);
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
    killWorker: async () => {
      await worker.terminate();
    },
  };
}
