import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { LeanConnection, newConnectStats, type LeanHandler } from '../../src/load/lean-connection.js';
import { freePort } from '../../src/redis/managed-redis.js';

const OK = 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}';

/** A handler that resolves with the status, or the error code. */
function answer(): { h: LeanHandler; done: Promise<string> } {
  let settle: (v: string) => void = () => undefined;
  const done = new Promise<string>((r) => (settle = r));
  let status = 0;
  const h: LeanHandler = {
    onConnect: () => undefined,
    onHeaders: (s) => ((status = s), true),
    onData: () => true,
    onComplete: () => settle(String(status)),
    onError: (err: Error & { code?: string }) => settle(err.code ?? err.message),
  };
  return { h, done };
}

function listen(port: number, reply: string): Promise<Server> {
  const server = createServer((s) => {
    s.on('error', () => undefined);
    s.once('data', () => s.write(reply));
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

describe('lean connection: a request whose connection is refused is not lost', () => {
  it('retries the connect with a backoff until the server is up, then sends once', async () => {
    const port = await freePort();
    const stats = newConnectStats();
    const conn = new LeanConnection('127.0.0.1', port, 2000, stats);
    const { h, done } = answer();
    conn.dispatch(`POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n`, h, performance.now());
    await new Promise((r) => setTimeout(r, 200));
    const server = await listen(port, OK);
    try {
      const refusedBefore = stats.failed['ECONNREFUSED'] ?? 0;
      expect(await done).toBe('200');
      expect(stats.opened).toBe(1);
      // a backoff, not a busy loop: doubling waits from 5-10 ms fit at most 6 attempts in the
      // 200 ms the server was away (timers never fire early, so a busy machine only makes it fewer)
      expect(refusedBefore).toBeGreaterThanOrEqual(2);
      expect(stats.failed['ECONNREFUSED']).toBeLessThanOrEqual(7);
      await conn.close();
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('a request given up before it could be sent fails as NOT_SENT, naming why', async () => {
    const port = await freePort();
    const stats = newConnectStats();
    const conn = new LeanConnection('127.0.0.1', port, 2000, stats);
    const { h, done } = answer();
    conn.dispatch(`POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n`, h, performance.now());
    await new Promise((r) => setTimeout(r, 100));
    conn.cancel(Object.assign(new Error('request timed out'), { code: 'REQUEST_TIMEOUT' }));
    expect(await done).toBe('NOT_SENT');
    const failed = stats.failed['ECONNREFUSED'] ?? 0;
    await new Promise((r) => setTimeout(r, 300));
    // no retry runs after the request was given up
    expect(stats.failed['ECONNREFUSED']).toBe(failed);
  });

  it('a request reset after it was written stays a connection error (its outcome is unknown)', async () => {
    const port = await freePort();
    const server = createServer((s) => {
      s.on('error', () => undefined);
      s.once('data', () => s.resetAndDestroy());
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    try {
      const conn = new LeanConnection('127.0.0.1', port, 2000);
      const { h, done } = answer();
      conn.dispatch(`POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n`, h, performance.now());
      expect(await done).toBe('ECONNRESET');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
