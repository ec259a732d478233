// The one raw Redis connection (under the issue pipeline and the stream reader), against a fake
// Redis that answers what the test says: replies in order to their waiters, a refused handshake,
// a reply nobody asked for, and its two ways of coming back (by itself, or on the owner's open()).
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RawConnection, type RawWaiter } from '../../src/redis/raw-connection.js';
import { encodeCommand, rawRedisTarget } from '../../src/redis/resp.js';
import type { RespReader } from '../../src/redis/resp-reader.js';

/** Complete commands at the start of `buf` (arrays of bulk strings), joined by spaces; and the rest. */
function commands(buf: string): [string[], string] {
  const out: string[] = [];
  for (;;) {
    const m = /^\*(\d+)\r\n/.exec(buf);
    if (!m) return [out, buf];
    let i = m[0].length;
    const args: string[] = [];
    for (let k = 0; k < Number(m[1]); k++) {
      const b = /^\$(\d+)\r\n/.exec(buf.slice(i));
      if (!b || buf.length < i + b[0].length + Number(b[1]) + 2) return [out, buf];
      args.push(buf.slice(i + b[0].length, i + b[0].length + Number(b[1])));
      i += b[0].length + Number(b[1]) + 2;
    }
    out.push(args.join(' '));
    buf = buf.slice(i);
  }
}

/** A fake Redis: `answer` gets each command (its arguments joined by spaces). */
async function fakeRedis(answer: (cmd: string, sock: Socket) => string | undefined) {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((sock) => {
    connections++;
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    let buf = '';
    sock.on('data', (d) => {
      const [cmds, rest] = commands(buf + d.toString());
      buf = rest;
      for (const c of cmds) {
        const reply = answer(c, sock);
        if (reply !== undefined) sock.write(reply);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `redis://127.0.0.1:${port}`,
    connections: () => connections,
    close: () => new Promise<void>((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r()))),
  };
}

/** A waiter that decodes any reply and records how it ended. */
function waiter(): RawWaiter & { result: Promise<unknown> } {
  let resolve!: (v: unknown) => void;
  const result = new Promise<unknown>((r) => (resolve = r));
  return { decode: (r: RespReader) => r.any(), resolve, reject: (e: Error) => resolve(e), result };
}

describe('RawConnection', () => {
  let cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanup.reverse()) await c();
    cleanup = [];
  });

  it('writes the handshake first and hands each reply to its own waiter, error replies included', async () => {
    const seen: string[] = [];
    const f = await fakeRedis((cmd) => (seen.push(cmd), cmd.startsWith('GET') ? `$3\r\n${cmd.slice(4, 7)}\r\n` : cmd === 'BAD' ? '-ERR bad\r\n' : '+OK\r\n'));
    cleanup.push(f.close);
    let ready = 0;
    const conn = new RawConnection(rawRedisTarget(`${f.url}/2`, 'raw-test'), { onReady: () => ready++ });
    cleanup.push(() => conn.close(new Error('done')));
    conn.open();
    const ws = [waiter(), waiter(), waiter()];
    for (const w of ws) conn.expect(w);
    conn.write(['GET abc', 'BAD', 'GET xyz'].map((c) => encodeCommand(c.split(' '))).join(''));
    const [a, bad, b] = await Promise.all(ws.map((w) => w.result));
    expect([a, (bad as Error).message, b]).toEqual(['abc', 'ERR bad', 'xyz']);
    expect(seen).toEqual(['SELECT 2', 'CLIENT SETNAME raw-test', 'GET abc', 'BAD', 'GET xyz']);
    expect(ready).toBe(1);
    expect(conn.waiting).toBe(0);
  });

  it('a refused handshake is its lastError, rejects the waiters with it, and stays down until opened again', async () => {
    const f = await fakeRedis((cmd) => (cmd.startsWith('AUTH') ? '-WRONGPASS invalid username-password pair\r\n' : '-NOAUTH Authentication required.\r\n'));
    cleanup.push(f.close);
    const lost: Error[] = [];
    const conn = new RawConnection(rawRedisTarget(f.url.replace('redis://', 'redis://:nope@'), 'raw-test'), { onLost: (e) => lost.push(e) });
    cleanup.push(() => conn.close(new Error('done')));
    conn.open();
    const w = waiter();
    conn.expect(w);
    conn.write(encodeCommand(['PING']));
    expect(String(await w.result)).toMatch(/WRONGPASS/);
    expect(conn.lastError).toMatch(/^WRONGPASS/);
    expect(lost.map((e) => e.message)).toEqual([conn.lastError]);
    expect(conn.isOpen).toBe(false);
    await new Promise((r) => setTimeout(r, 100));
    expect(f.connections()).toBe(1);
  });

  it('drops the connection on a reply nobody asked for or on bytes that are not RESP, and reconnects by itself when set up to', async () => {
    const f = await fakeRedis((cmd, sock) => {
      if (cmd === 'PUSH') setTimeout(() => sock.write('+surprise\r\n'), 20);
      return cmd === 'GARBLE' ? '?what\r\n' : '+OK\r\n';
    });
    cleanup.push(f.close);
    let ready = 0;
    const lost: string[] = [];
    const conn = new RawConnection(rawRedisTarget(f.url, 'raw-test'), {
      reconnect: { baseMs: 10, capMs: 50 },
      lostError: (cause) => new Error(`lost: ${cause.message}`),
      onReady: () => ready++,
      onLost: (e) => lost.push(e.message),
    });
    cleanup.push(() => conn.close(new Error('done')));
    const until = async (cond: () => boolean): Promise<void> => {
      for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
    };
    conn.open();
    const pushed = waiter();
    conn.expect(pushed);
    conn.write(encodeCommand(['PUSH']));
    expect(await pushed.result).toBe('OK');
    await until(() => ready === 2);
    expect(lost).toEqual(['lost: Redis sent a reply nobody asked for']);

    const garbled = waiter();
    conn.expect(garbled);
    conn.write(encodeCommand(['GARBLE']));
    expect(String(await garbled.result)).toMatch(/lost: unexpected RESP type \?/);
    await until(() => ready === 3);
    expect(ready).toBe(3);
    expect(f.connections()).toBe(3);
  });
});
