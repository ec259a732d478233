import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTemplate } from '../../src/server/admin-client.js';
import { httpAnswers } from '../helpers/http-answers.js';
import { call, rawExchange, startHarness, type Harness } from './server-harness.js';

const ISSUE = '/api/coupons/issue';
const post = (body: string, extra = ''): string =>
  `POST ${ISSUE} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;
const issueBody = (userId: number, templateId = 1): string => JSON.stringify({ userId, templateId });

const answers = httpAnswers;

describe('serve: the fast HTTP front of the issue route', () => {
  let h: Harness;
  let user = 1000;
  const port = (): number => h.server.port;

  beforeAll(async () => {
    h = await startHarness({ keepAliveTimeoutMs: 400 }, 'fast');
    await createTemplate(h.server.url, 1, 1_000_000);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('answers pipelined requests in order, also when one of them is handed to node:http', async () => {
    const u = ++user;
    const r = await rawExchange(port(), [
      post(issueBody(u)) + post('{"userId":') + post(issueBody(u)) + 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    ]);
    const a = answers(r.text);
    expect(a.map((x) => x.status)).toEqual([200, 400, 400, 200]);
    const coupon = JSON.parse(a[0]!.body) as { couponId: string; userId: number };
    expect(coupon.userId).toBe(u);
    expect(JSON.parse(a[1]!.body)).toMatchObject({ code: 'INVALID_REQUEST' });
    expect(JSON.parse(a[2]!.body)).toMatchObject({ code: 'COUPON_ALREADY_ISSUED', couponId: coupon.couponId });
    expect(JSON.parse(a[3]!.body)).toMatchObject({ status: 'ok' });
    expect(r.closed).toBe(true);
  });

  it('sends complete, well-formed answers: status line, JSON type, exact length, Date, keep-alive', async () => {
    const r = await rawExchange(port(), [post(issueBody(++user))], 1500);
    const [a] = answers(r.text);
    expect(r.text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(a!.headers['content-type']).toBe('application/json');
    expect(Number(a!.headers['content-length'])).toBe(Buffer.byteLength(a!.body));
    expect(Date.parse(a!.headers.date!)).toBeGreaterThan(Date.now() - 60_000);
    expect(a!.headers.connection).toBe('keep-alive');
    expect(a!.headers['keep-alive']).toBe('timeout=1');
    // idle past the keep-alive timeout: the server closes the connection
    expect(r.closed).toBe(true);
  });

  it('a request whose body arrives later still gets its answer (node:http finishes it)', async () => {
    const body = issueBody(++user);
    const whole = post(body);
    const cut = whole.length - body.length;
    const r = await rawExchange(port(), [whole.slice(0, cut), 150, whole.slice(cut), 100, post(issueBody(++user), 'Connection: close\r\n')]);
    const a = answers(r.text);
    expect(a.map((x) => x.status)).toEqual([200, 200]);
    expect(JSON.parse(a[0]!.body)).toMatchObject({ userId: user - 1 });
    expect(r.closed).toBe(true);
  });

  it('a connection opened with GET /healthz (as load generators do) stays on the fast front', async () => {
    const before = (await call(h.pool, 'GET', '/metrics')).text;
    const count = (text: string): number => Number(/coupon_bench_http_requests_total\{route="healthz",outcome="ok"\} (\d+)/.exec(text)?.[1] ?? 0);
    const r = await rawExchange(port(), ['GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n', 50, post(issueBody(++user), 'Connection: close\r\n')]);
    const a = answers(r.text);
    expect(a.map((x) => x.status)).toEqual([200, 200]);
    expect(JSON.parse(a[0]!.body)).toMatchObject({ status: 'ok', redis: 'ready' });
    // the fast front's own answer: keep-alive header written by it, not node:http's
    expect(a[0]!.headers['keep-alive']).toBe('timeout=1');
    const after = (await call(h.pool, 'GET', '/metrics')).text;
    expect(count(after)).toBeGreaterThanOrEqual(count(before) + 1);
  });

  it('an HTTP/1.1 request without Host gets a contract 400 MALFORMED_REQUEST (with a body), then the server goes on', async () => {
    const body = issueBody(++user);
    for (const req of [
      `POST ${ISSUE} HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      'GET /healthz HTTP/1.1\r\n\r\n',
    ]) {
      const r = await rawExchange(port(), [req]);
      const [a] = answers(r.text);
      expect(a!.status, r.text).toBe(400);
      expect(JSON.parse(a!.body)).toMatchObject({ code: 'MALFORMED_REQUEST', message: 'HTTP/1.1 request without a Host header' });
      expect(r.closed).toBe(true);
    }
    // nothing was issued to that user; HTTP/1.0 needs no Host; the server still answers
    expect((await call(h.pool, 'POST', ISSUE, issueBody(user))).status).toBe(200);
    const old = answers((await rawExchange(port(), ['GET /healthz HTTP/1.0\r\n\r\n'])).text);
    expect(old[0]!.status).toBe(200);
  });

  it('Connection: close is answered, then the connection closes', async () => {
    const r = await rawExchange(port(), [post(issueBody(++user), 'Connection: close\r\n')]);
    const [a] = answers(r.text);
    expect(a!.status).toBe(200);
    expect(a!.headers.connection).toBe('close');
    expect(r.closed).toBe(true);
  });

  it('a client that half-closes after its request still gets the answer', async () => {
    const r = await rawExchange(port(), [post(issueBody(++user)), 'end']);
    const a = answers(r.text);
    expect(a.map((x) => x.status)).toEqual([200]);
    expect(r.closed).toBe(true);
  });

  it('a client that pipelines thousands of requests and reads late gets every answer, in order', async () => {
    const u = ++user;
    const n = 3000;
    const text = await new Promise<string>((resolve, reject) => {
      const sock = connect(port(), '127.0.0.1');
      let got = '';
      let answered = 0;
      const timer = setTimeout(() => reject(new Error(`only ${answered} answers`)), 20_000);
      sock.pause(); // read nothing for a while: the server must hold back, not buffer without end
      sock.on('connect', () => {
        sock.write(Array.from({ length: n }, () => post(issueBody(u))).join(''));
        setTimeout(() => sock.resume(), 500);
      });
      sock.on('data', (d) => {
        got += d.toString('latin1');
        answered = got.split('HTTP/1.1 ').length - 1;
        if (answered >= n && got.endsWith('}')) {
          clearTimeout(timer);
          sock.destroy();
          resolve(got);
        }
      });
      sock.on('error', reject);
    });
    const a = answers(text);
    expect(a.length).toBe(n);
    expect(a[0]!.status).toBe(200);
    expect(a.slice(1).every((x) => x.status === 400 && x.body.includes('COUPON_ALREADY_ISSUED'))).toBe(true);
  });

  it('requests answered by the fast front are counted in /metrics like any other', async () => {
    const count = async (): Promise<number> => {
      const m = await call(h.pool, 'GET', '/metrics');
      const line = /coupon_bench_http_requests_total\{route="issue",outcome="issued"\} (\d+)/.exec(m.text);
      return Number(line?.[1] ?? 0);
    };
    const before = await count();
    const r = await rawExchange(port(), [post(issueBody(++user)) + post(issueBody(++user)) + post(issueBody(++user), 'Connection: close\r\n')]);
    expect(answers(r.text).map((x) => x.status)).toEqual([200, 200, 200]);
    expect(await count()).toBe(before + 3);
  });
});
