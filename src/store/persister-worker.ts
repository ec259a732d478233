/**
 * Worker-thread entry of the persister: runs runPersisterLoop() off the HTTP event loop
 * (better-sqlite3 is synchronous). Messages: in {type:'stop'}; out 'ready' | 'stats' | 'fatal' | 'stopped'.
 */
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { runPersisterLoop } from './persister-loop.js';
import type { PersisterOptions } from './persister-options.js';

const port = parentPort;
if (!port) throw new Error('persister-worker must run in a worker thread');
const opts = workerData as PersisterOptions;

// On Linux setpriority(PRIO_PROCESS, 0) applies to the calling thread only: this worker yields
// to the HTTP thread (and Redis) under CPU contention, and still gets idle CPU to catch up.
const niceness = opts.niceness ?? 10;
if (niceness !== 0) {
  try {
    // Relative to the inherited value: never raise the priority of a process started with `nice`.
    setPriority(0, Math.min(19, getPriority(0) + niceness));
  } catch {
    // Not permitted or not supported: run at the inherited priority.
  }
}

const abort = new AbortController();
port.on('message', (msg: { type?: string }) => {
  if (msg?.type === 'stop') abort.abort();
});

try {
  const stats = await runPersisterLoop(opts, {
    signal: abort.signal,
    onReady: () => port.postMessage({ type: 'ready' }),
    onStats: (s) => port.postMessage({ type: 'stats', stats: s }),
  });
  port.postMessage({ type: 'stopped', stats });
} catch (err) {
  const e = err as { code?: unknown; message?: unknown; name?: unknown; exitCode?: unknown };
  port.postMessage({
    type: 'fatal',
    error: { code: typeof e?.code === 'string' ? e.code : 'E_PERSISTER', message: String(e?.message ?? err), name: String(e?.name ?? 'Error'), exitCode: e?.exitCode },
  });
}
port.close();
