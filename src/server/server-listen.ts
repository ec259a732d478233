import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CouponBenchError, UsageError } from '../errors.js';
import { FastFront } from './fast-front.js';
import { AppRequest } from './app-core.js';
import type { HttpApp } from './http-app.js';
import { isLoopbackAddress } from './loopback.js';
import type { ServeOptions } from './serve-options.js';

/** The HTTP listener of a started server. */
export interface HttpListener {
  server: Server;
  /** the fast front on the issue route (undefined with `httpFront: 'node'`) */
  fast: FastFront | undefined;
  port: number;
  /** base URL, e.g. http://127.0.0.1:8080 */
  url: string;
}

export function adminTokenRequired(host: string): UsageError {
  return new UsageError(`--admin-token is required when binding to a non-loopback address (${host})`, 'E_ADMIN_TOKEN_REQUIRED');
}

/** A port in use fails here, before the stores are touched (no redis-server started, no database file made). */
export async function probePort(port: number, host: string): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  await listen(probe, port, host);
  await new Promise((r) => probe.close(r));
}

/** Serve the app over HTTP (node:http, with the fast front unless `httpFront: 'node'`); resolves once it listens. */
export async function listenHttp(opts: ServeOptions, app: HttpApp): Promise<HttpListener> {
  const server = createServer({
    IncomingMessage: AppRequest,
    keepAliveTimeout: opts.keepAliveTimeoutMs ?? 5000,
    headersTimeout: opts.headersTimeoutMs ?? 10_000,
    requestTimeout: opts.requestTimeoutMs ?? 30_000,
    // How often the header/request timeouts are checked (Node's default is 30 s).
    connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor((opts.headersTimeoutMs ?? 10_000) / 4))),
    noDelay: true,
    // The app answers a missing Host with a contract error (node:http's 400 has an empty body).
    requireHostHeader: false,
  });
  server.maxHeadersCount = 64;
  // A client that half-closes after its request still gets the answer (node:http's default drops
  // it, though the coupon is issued), as on the fast front; the connection closes after it.
  (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  server.on('request', app.handle);
  server.on('clientError', app.clientError);
  const fast = opts.httpFront === 'node' ? undefined : FastFront.install(app, server, opts.keepAliveTimeoutMs ?? 5000);
  await listen(server, opts.port, opts.host);
  const bound = server.address() as AddressInfo;
  // The address actually bound decides (a name may resolve otherwise than it did a moment ago).
  if (!opts.adminToken && !isLoopbackAddress(bound.address)) {
    await new Promise((r) => server.close(r));
    throw adminTokenRequired(`${opts.host} = ${bound.address}`);
  }
  const port = bound.port;
  const urlHost = opts.host.includes(':') ? `[${opts.host}]` : opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host;
  return { server, fast, port, url: `http://${urlHost}:${port}` };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(
        err.code === 'EADDRINUSE'
          ? new UsageError(`--port: ${host}:${port} is already in use`, 'E_PORT_IN_USE')
          : new CouponBenchError('E_LISTEN', `cannot listen on ${host}:${port}: ${err.message}`),
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.removeListener('error', onError);
      resolve();
    });
  });
}
