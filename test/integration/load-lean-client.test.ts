import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run/run-scenario.js';
import type { Scenario } from '../../src/model/scenario.js';
import { readLedger } from '../../src/load/ledger-reader.js';
import { startStandIn } from '../helpers/load-stand-in.js';
import { formatRunSummary } from '../../src/report/summary.js';

const SOLD_OUT = '{"code":"COUPON_OUT_OF_STOCK","message":"sold out","status":400}';

/** A raw TCP server: `answer` gets each complete request head+body and the socket, and writes what it likes. */
async function rawServer(
  answer: (socket: Socket, n: number) => void,
  host = '127.0.0.1',
): Promise<{ url: string; requests: () => number; traffic: () => { read: number; written: number }; close: () => Promise<void> }> {
  let requests = 0;
  const sockets = new Set<Socket>();
  const closed = { read: 0, written: 0 };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => {
      closed.read += socket.bytesRead;
      closed.written += socket.bytesWritten;
      sockets.delete(socket);
    });
    socket.on('error', () => undefined);
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      for (;;) {
        const he = buf.indexOf('\r\n\r\n');
        if (he < 0) return;
        const len = Number(/content-length: (\d+)/i.exec(buf.slice(0, he))?.[1] ?? 0);
        if (buf.length < he + 4 + len) return;
        buf = buf.slice(he + 4 + len);
        answer(socket, ++requests);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    requests: () => requests,
    /** bytes every connection so far read and wrote, server side */
    traffic: () => {
      const t = { ...closed };
      for (const s of sockets) {
        t.read += s.bytesRead;
        t.written += s.bytesWritten;
      }
      return t;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

let dir: string;
let closeServer: (() => Promise<void>) | undefined;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cb-lean-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  await closeServer?.();
  closeServer = undefined;
});

function scenario(target: string, s: Partial<Scenario> = {}): Scenario {
  return {
    name: 'lean',
    target,
    executor: 'shared-iterations',
    vus: 4,
    iterations: 40,
    users: { type: 'sequential', start: 1 },
    templates: [{ id: 1, stock: 10 }],
    seed: 3,
    timeout: '2s',
    ...s,
  } as Scenario;
}
const run = (s: Scenario, extra: Record<string, unknown> = {}) =>
  runScenario({ scenario: s, outDir: join(dir, `${Date.now()}-${Math.random()}`), ledgerMode: 'full', ...extra });

describe('the lean HTTP client of the load engine', () => {
  it('is the default for http:// targets and gives the same outcomes as undici', async () => {
    const srv = await startStandIn({ 1: 10, 2: 10 });
    closeServer = () => srv.close();
    const lean = await run(scenario(srv.url, { iterations: 60 }));
    const undici = await run(scenario(srv.url, { iterations: 60, templates: [{ id: 2, stock: 10 }] }), { httpClient: 'undici' });
    expect(lean.report.environment.httpClient).toBe('lean');
    expect(undici.report.environment.httpClient).toBe('undici');
    expect(lean.report.outcomes).toEqual(undici.report.outcomes);
    expect(lean.report.outcomes).toMatchObject({ issued: 10, sold_out: 50, unknown: 0 });
  });

  it('counts data_sent and data_received byte for byte with either client, reconnects included', async () => {
    // Every third answer closes its connection, so bytes of closed sockets must be counted too.
    const srv = await rawServer((s, n) => {
      const close = n % 3 === 0;
      s.write(`HTTP/1.1 400 Bad Request\r\nContent-Length: ${SOLD_OUT.length}\r\n${close ? 'Connection: close\r\n' : ''}\r\n${SOLD_OUT}`);
      if (close) s.end();
    });
    closeServer = srv.close;
    const lean = await run(scenario(srv.url, { iterations: 30, vus: 2 }));
    await new Promise((r) => setTimeout(r, 50)); // the server's side of the last closes
    const afterLean = srv.traffic();
    expect(lean.report.outcomes).toMatchObject({ sold_out: 30, unknown: 0 });
    expect(lean.report.metrics.data_sent).toBe(afterLean.read);
    expect(lean.report.metrics.data_received).toBe(afterLean.written);
    // 30 requests of at least 100 bytes each; 30 answers of the head and body written above
    expect(lean.report.metrics.data_sent).toBeGreaterThan(30 * 100);

    const undici = await run(scenario(srv.url, { iterations: 30, vus: 2 }), { httpClient: 'undici' });
    await new Promise((r) => setTimeout(r, 50));
    const afterUndici = srv.traffic();
    expect(undici.report.outcomes).toMatchObject({ sold_out: 30, unknown: 0 });
    expect(undici.report.metrics.data_sent).toBe(afterUndici.read - afterLean.read);
    expect(undici.report.metrics.data_received).toBe(afterUndici.written - afterLean.written);
    expect(formatRunSummary(lean.report, { color: false })).toMatch(/data_received\.+: \d+(\.\d)? kB \d+(\.\d)? k?B\/s/);
  });

  it('reads chunked answers', async () => {
    const srv = await rawServer((s) => {
      const half = SOLD_OUT.length >> 1;
      const chunks = [SOLD_OUT.slice(0, half), SOLD_OUT.slice(half)].map((c) => `${c.length.toString(16)}\r\n${c}\r\n`).join('');
      s.write(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${chunks}0\r\n\r\n`);
    });
    closeServer = srv.close;
    const r = await run(scenario(srv.url));
    expect(r.report.outcomes).toMatchObject({ sold_out: 40, unknown: 0 });
    expect(srv.requests()).toBe(40);
  });

  it('reconnects when the server closes after every answer, or while the connection is idle', async () => {
    const closing = await rawServer((s) => s.end(`HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: ${SOLD_OUT.length}\r\n\r\n${SOLD_OUT}`));
    closeServer = closing.close;
    const r1 = await run(scenario(closing.url));
    expect(r1.report.outcomes).toMatchObject({ sold_out: 40, unknown: 0 });
    await closing.close();

    const idleClose = await rawServer((s) => {
      s.write(`HTTP/1.1 400 Bad Request\r\nContent-Length: ${SOLD_OUT.length}\r\n\r\n${SOLD_OUT}`);
      setTimeout(() => s.end(), 30);
    });
    closeServer = idleClose.close;
    const r2 = await run(scenario(idleClose.url, { executor: 'constant-vus', vus: 2, duration: '1s', thinkTime: '150ms', iterations: undefined }));
    expect(r2.report.outcomes.unknown).toBe(0);
    expect(r2.report.outcomes.sold_out).toBeGreaterThan(5);
    expect(r2.report.outcomes.sold_out).toBe(idleClose.requests());
  });

  // The whole outcome split is asserted, so that a failure shows which class each answer went to.
  it('reads an answer larger than its read buffer, arriving in pieces', async () => {
    const big = `{"code":"COUPON_OUT_OF_STOCK","message":"${'x'.repeat(200_000)}","status":400}`;
    const srv = await rawServer((s) => {
      const whole = `HTTP/1.1 400 Bad Request\r\nContent-Length: ${big.length}\r\n\r\n${big}`;
      s.write(whole.slice(0, 30));
      setTimeout(() => s.write(whole.slice(30, 100_000)), 5);
      setTimeout(() => s.write(whole.slice(100_000)), 10);
    });
    closeServer = srv.close;
    const r = await run(scenario(srv.url, { iterations: 6, vus: 2 }));
    expect(r.report.outcomes).toEqual({ issued: 0, sold_out: 6, duplicate: 0, not_found: 0, rejected: 0, unknown: 0 });
  });

  it('reads an HTTP/1.0 answer whose body ends when the server closes', async () => {
    const srv = await rawServer((s) => s.end(`HTTP/1.0 400 Bad Request\r\nContent-Type: application/json\r\n\r\n${SOLD_OUT}`));
    closeServer = srv.close;
    const r = await run(scenario(srv.url));
    expect(r.report.outcomes).toMatchObject({ sold_out: 40, unknown: 0 });
  });

  it('garbage, a cut answer and a hang are unknown with their reason; the run goes on', async () => {
    const srv = await rawServer((s, n) => {
      if (n === 1) s.write('SSH-2.0-OpenSSH_9.2\r\n');
      else if (n === 2) s.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 500\r\n\r\n{"code":');
      else if (n === 3) return; // never answers: the run's timeout
      else s.write(`HTTP/1.1 400 Bad Request\r\nContent-Length: ${SOLD_OUT.length}\r\n\r\n${SOLD_OUT}`);
    });
    closeServer = srv.close;
    const r = await run(scenario(srv.url, { vus: 1, iterations: 10, timeout: '300ms' }));
    expect(r.report.outcomes).toMatchObject({ sold_out: 7, unknown: 3 });
    const reasons: string[] = [];
    for await (const rec of readLedger(r.ledgerPath)) if (rec.o === 'unknown') reasons.push(rec.err ?? '');
    expect(reasons.sort()).toEqual(['MALFORMED_RESPONSE', 'REQUEST_TIMEOUT', 'SOCKET_CLOSED']);
  });

  it('an answer with both Content-Length and Transfer-Encoding is framed by its chunks, and its connection closed', async () => {
    const sockets = new Set<Socket>();
    const srv = await rawServer((s) => {
      sockets.add(s);
      const chunk = `${SOLD_OUT.length.toString(16)}\r\n${SOLD_OUT}\r\n0\r\n\r\n`;
      s.write(`HTTP/1.1 400 Bad Request\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n${chunk}`);
    });
    closeServer = srv.close;
    const r = await run(scenario(srv.url, { iterations: 12, vus: 2 }));
    expect(r.report.outcomes).toMatchObject({ sold_out: 12, unknown: 0 });
    // one connection per answer: none is reused after such an answer
    expect(sockets.size).toBe(12);
  });

  it('a body over the limit is unknown (RESPONSE_TOO_LARGE), its connection dropped; the run goes on', async () => {
    const sockets = new Set<Socket>();
    const srv = await rawServer((s, n) => {
      sockets.add(s);
      // the first answer announces 2 MiB and sends its start; the others are ordinary
      if (n === 1) s.write(`HTTP/1.1 400 Bad Request\r\nContent-Length: ${2 * 1024 * 1024}\r\n\r\n${'x'.repeat(1000)}`);
      else s.write(`HTTP/1.1 400 Bad Request\r\nContent-Length: ${SOLD_OUT.length}\r\n\r\n${SOLD_OUT}`);
    });
    closeServer = srv.close;
    const r = await run(scenario(srv.url, { vus: 1, iterations: 5 }));
    expect(r.report.outcomes).toMatchObject({ sold_out: 4, unknown: 1 });
    const reasons: string[] = [];
    for await (const rec of readLedger(r.ledgerPath)) if (rec.o === 'unknown') reasons.push(rec.err ?? '');
    expect(reasons).toEqual(['RESPONSE_TOO_LARGE']);
    expect(sockets.size).toBe(2);
  });

  it('a body running until the close is cut at the limit: unknown (RESPONSE_TOO_LARGE)', async () => {
    const srv = await rawServer((s) => {
      s.write('HTTP/1.0 400 Bad Request\r\n\r\n');
      // 2 MiB in 64 KiB writes, never closing: the client must give up at 1 MiB, not wait or grow
      const piece = 'y'.repeat(64 * 1024);
      for (let i = 0; i < 32 && !s.destroyed; i++) s.write(piece);
    });
    closeServer = srv.close;
    const r = await run(scenario(srv.url, { vus: 1, iterations: 2, timeout: '10s' }));
    expect(r.report.outcomes).toMatchObject({ unknown: 2 });
    const reasons: string[] = [];
    for await (const rec of readLedger(r.ledgerPath)) reasons.push(rec.err ?? '');
    expect(reasons).toEqual(['RESPONSE_TOO_LARGE', 'RESPONSE_TOO_LARGE']);
  });

  it('reaches an IPv6 literal target (http://[::1]:port)', async () => {
    const srv = await rawServer((s) => s.write(`HTTP/1.1 400 Bad Request\r\nContent-Length: ${SOLD_OUT.length}\r\n\r\n${SOLD_OUT}`), '::1');
    closeServer = srv.close;
    const r = await run(scenario(srv.url, { iterations: 10, vus: 2 }));
    expect(r.report.outcomes).toMatchObject({ sold_out: 10, unknown: 0 });
    expect(r.exitCode).toBe(0);
  });

  it('a refused connection is unknown, never a pass', async () => {
    const srv = await rawServer(() => undefined);
    const url = srv.url;
    await srv.close();
    const r = await run(scenario(url, { iterations: 4, vus: 1 }));
    const o = r.report.outcomes;
    expect(o.issued + o.sold_out + o.duplicate).toBe(0);
    expect(r.exitCode).toBe(97);
  });
});
