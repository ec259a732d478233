/**
 * Worker-thread entry for `run --serve`: the bundled server gets its own event loop, so the load
 * generator and the server do not take turns on one thread (which would inflate every latency).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { startServer } from '../../server/start-server.js';
import type { ServeOptions } from '../../server/serve-options.js';

const port = parentPort;
if (!port) throw new Error('serve-worker must run in a worker thread');

try {
  const server = await startServer(workerData as ServeOptions);
  port.on('message', (msg: { type: string }) => {
    if (msg.type !== 'stop') return;
    server.stop().then(
      () => {
        port.postMessage({ type: 'stopped' });
        port.close();
      },
      (err: Error) => {
        port.postMessage({ type: 'stopped', error: err.message });
        port.close();
      },
    );
  });
  port.postMessage({
    type: 'ready',
    url: server.url,
    port: server.port,
    redisUrl: server.redisUrl,
    dbUrl: server.dbUrl,
    prefix: server.prefix,
    managedRedis: server.managedRedis,
  });
} catch (err) {
  const e = err as Error & { code?: string; exitCode?: number };
  port.postMessage({ type: 'error', message: e.message, code: e.code, exitCode: e.exitCode });
  port.close();
}
