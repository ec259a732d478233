/**
 * Worker-thread entry of the persister: runs runPersisterLoop() off the HTTP event loop
 * (better-sqlite3 is synchronous). Messages: in {type:'stop'}; out 'ready' | 'stats' | 'fatal' | 'stopped'.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runPersisterLoop } from './persister-loop.js';
import type { PersisterOptions } from './persister-options.js';

const port = parentPort;
if (!port) throw new Error('persister-worker must run in a worker thread');

const abort = new AbortController();
port.on('message', (msg: { type?: string }) => {
  if (msg?.type === 'stop') abort.abort();
});

try {
  const stats = await runPersisterLoop(workerData as PersisterOptions, {
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
