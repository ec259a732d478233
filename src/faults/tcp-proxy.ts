import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A loopback TCP proxy in front of a database or any TCP dependency, owned by the run so it can
 * cut, slow or black-hole it. It knows no protocol: bytes in, the same bytes out.
 */
export interface TcpProxy {
  readonly port: number;
  /** Reset every open connection and refuse (reset at once) new ones until {@link restore}. */
  cut(): void;
  /**
   * A black hole until {@link restore}: connections are accepted (new ones not forwarded) and every
   * byte either way is swallowed. Those connections lost bytes mid-stream: restore resets them.
   */
  drop(): void;
  /** End a cut or a drop. */
  restore(): void;
  /** Hold every chunk, both ways, this long before passing it on (0: pass at once). */
  setLatency(ms: number): void;
  close(): Promise<void>;
}

/** Options of {@link startTcpProxy}. */
export interface TcpProxyOptions {
  target: { host: string; port: number };
  /** listen port (default: any free loopback port) */
  port?: number;
  /** listen address (default 127.0.0.1; only loopback addresses are accepted by the callers) */
  host?: string;
}

/**
 * Pipe `from` into `to`, each chunk after `latency()` ms. Order is kept: a delayed chunk is
 * queued behind the ones before it, so a lowered latency never overtakes them.
 */
function relay(from: Socket, to: Socket, latency: () => number, dropping: () => boolean): void {
  let tail = 0;
  from.on('data', (chunk: Buffer) => {
    if (dropping()) return;
    const ms = latency();
    if (ms <= 0 && tail <= performance.now()) {
      to.write(chunk);
      return;
    }
    const due = Math.max(performance.now() + ms, tail);
    tail = due;
    setTimeout(() => {
      if (!to.destroyed) to.write(chunk);
    }, Math.max(0, due - performance.now()));
  });
}

/** Start a proxy on 127.0.0.1 that forwards to `target`. */
export async function startTcpProxy(opts: TcpProxyOptions): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let isCut = false;
  let isDropping = false;
  let latencyMs = 0;
  const latency = (): number => latencyMs;
  const dropping = (): boolean => isDropping;
  const server: Server = createServer((client) => {
    if (isCut) {
      client.resetAndDestroy();
      return;
    }
    if (isDropping) {
      // Accepted, never forwarded: the client waits for answers that never come.
      open.add(client);
      client.on('data', () => undefined);
      client.on('error', () => open.delete(client)).on('close', () => open.delete(client));
      return;
    }
    const upstream = connect({ host: opts.target.host, port: opts.target.port, noDelay: true });
    client.setNoDelay(true);
    open.add(client);
    open.add(upstream);
    const end = (): void => {
      open.delete(client);
      open.delete(upstream);
      if (!client.destroyed) client.destroy();
      if (!upstream.destroyed) upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    relay(client, upstream, latency, dropping);
    relay(upstream, client, latency, dropping);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    cut(): void {
      isCut = true;
      for (const s of open) s.resetAndDestroy();
      open.clear();
    },
    drop(): void {
      isDropping = true;
    },
    restore(): void {
      isCut = false;
      if (isDropping) {
        isDropping = false;
        for (const s of open) s.resetAndDestroy();
        open.clear();
      }
    },
    setLatency(ms: number): void {
      latencyMs = Math.max(0, ms);
    },
    close(): Promise<void> {
      for (const s of open) s.destroy();
      open.clear();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
