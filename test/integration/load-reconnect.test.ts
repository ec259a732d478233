import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LeanConnection, newConnectStats, type ConnectStats, type LeanHandler } from '../../src/load/lean-connection.js';
import { testPort } from '../helpers/ports.js';

/** the clock the test polls on while the connection's timers are faked */
const realSetTimeout = globalThis.setTimeout;
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
  // The connection's retry timer is faked (the sockets are real): each retry runs when the test
  // moves the clock, so the backoff is checked wait by wait, whatever else the machine is doing.
  afterEach(() => void vi.useRealTimers());
  const refusedIn = (stats: ConnectStats) => (): number => stats.failed['ECONNREFUSED'] ?? 0;
  /** Until the n-th attempt was refused and its retry is waiting (polled on the real clock, at most 10 s). */
  const refusedTimes = async (refused: () => number, n: number): Promise<void> => {
    const deadline = Date.now() + 10_000;
    while (refused() < n || vi.getTimerCount() !== 1) {
      if (refused() > n || Date.now() > deadline) throw new Error(`waited for refusal ${n} and its retry: ${refused()} refusals, ${vi.getTimerCount()} timers`);
      await new Promise((r) => realSetTimeout(r, 5));
    }
  };

  it('retries the connect with a backoff until the server is up, then sends once', async () => {
    const port = await testPort();
    const stats = newConnectStats();
    const refused = refusedIn(stats);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const conn = new LeanConnection('127.0.0.1', port, 2000, stats);
    let server: Server | undefined;
    try {
      const { h, done } = answer();
      conn.dispatch(`POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n`, h, performance.now());
      // A backoff, not a busy loop: the retry after the n-th refusal waits between half and all of
      // 10 ms doubled n-1 times, at most 250 ms.
      for (let n = 1; n <= 7; n++) {
        await refusedTimes(refused, n);
        const longest = Math.min(250, 10 * 2 ** (n - 1));
        const shortest = longest / 2;
        vi.advanceTimersByTime(shortest - 1);
        expect(vi.getTimerCount(), `the retry after refusal ${n} waits at least ${shortest} ms`).toBe(1);
        expect(refused()).toBe(n);
        vi.advanceTimersByTime(longest - shortest + 1);
        if (n < 7) expect(vi.getTimerCount(), `the retry after refusal ${n} runs within ${longest} ms`).toBe(0);
      }
      // The 7th retry is under way or waiting (advanced past its longest wait: under way).
      await refusedTimes(refused, 8);
      server = await listen(port, OK);
      vi.advanceTimersByTime(250);
      expect(await done).toBe('200');
      expect(stats.opened).toBe(1);
      expect(refused()).toBe(8);
    } finally {
      vi.useRealTimers();
      conn.destroy();
      const s = server;
      if (s) await new Promise((r) => s.close(r));
    }
  });

  it('a request given up before it could be sent fails as NOT_SENT, naming why', async () => {
    const port = await testPort();
    const stats = newConnectStats();
    const refused = refusedIn(stats);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const conn = new LeanConnection('127.0.0.1', port, 2000, stats);
    const { h, done } = answer();
    conn.dispatch(`POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n`, h, performance.now());
    await refusedTimes(refused, 1);
    conn.cancel(Object.assign(new Error('request timed out'), { code: 'REQUEST_TIMEOUT' }));
    expect(await done).toBe('NOT_SENT');
    // no retry runs after the request was given up: none is waiting
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(1000);
    expect(refused()).toBe(1);
  });

  it('a request reset after it was written stays a connection error (its outcome is unknown)', async () => {
    const port = await testPort();
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
