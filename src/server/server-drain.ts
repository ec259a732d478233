import type { Server } from 'node:http';
import type { FastFront } from './fast-front.js';
import type { HttpApp } from './http-app.js';

/**
 * Stop accepting and drain: in-flight requests finish and are answered (new ones on kept-alive
 * connections get 503) until `drainTimeoutMs`, requests whose body was still arriving get a short
 * grace, then every connection left is closed. Resolves once the listener is closed.
 */
export async function drainServer(server: Server, app: HttpApp, fast: FastFront | undefined, drainTimeoutMs: number): Promise<void> {
  app.draining = true;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  const closeIdle = (): void => {
    server.closeIdleConnections();
    fast?.closeIdle();
  };
  closeIdle();
  const deadline = Date.now() + drainTimeoutMs;
  // In-flight requests finish and are answered; new ones on kept-alive connections get 503.
  while ((app.inFlight > 0 || app.slowPending > 0) && Date.now() < deadline) {
    await sleep(10);
    closeIdle();
  }
  // A short grace for requests whose body was still arriving, then close what is left.
  const grace = Math.min(deadline, Date.now() + 200);
  while ((await connectionCount(server)) > 0 && Date.now() < grace) {
    await sleep(10);
    closeIdle();
  }
  server.closeAllConnections();
  fast?.closeAll();
  await closed;
}

const connectionCount = (server: Server): Promise<number> =>
  new Promise((resolve) => server.getConnections((err, n) => resolve(err ? 0 : n)));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
