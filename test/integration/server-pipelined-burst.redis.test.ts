import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTemplate } from '../../src/server/admin-client.js';
import { httpAnswers } from '../helpers/http-answers.js';
import { startHarness, type Harness } from './server-harness.js';

const post = (userId: number, extra = ''): string => {
  const body = JSON.stringify({ userId, templateId: 3 });
  return `POST /api/coupons/issue HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`;
};

/**
 * Write `burst` in one go, wait for `count` answers, then write `after` on the same connection and
 * collect until the server closes (bounded).
 */
function burstThen(port: number, burst: string, count: number, after: string): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    let text = '';
    let sent = false;
    const finish = (closed: boolean): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ text, closed });
    };
    // well under the 5 s keep-alive: a stalled connection shows as no answer to `after`
    const timer = setTimeout(() => finish(false), 4000);
    sock.on('connect', () => sock.write(burst));
    sock.on('data', (d) => {
      text += d.toString('latin1');
      if (!sent && text.split('HTTP/1.1 ').length - 1 >= count) {
        sent = true;
        sock.write(after);
      }
    });
    sock.on('close', () => finish(true));
    sock.on('error', () => finish(true));
  });
}

describe.each(['fast', 'node'] as const)('serve (--http-front %s): a pipelined burst in one write', (front) => {
  let h: Harness;
  let user = 1;

  beforeAll(async () => {
    h = await startHarness({ httpFront: front }, `burst-${front}`);
    await createTemplate(h.server.url, 3, 1_000_000);
  });
  afterAll(async () => {
    await h?.close();
  });

  // 550 and 900 requests: 73 and 120 KB, over the 64 KiB the fast front buffers before it pauses
  it.each([550, 900])('answers all %i in order, then reads the next request on that connection', async (n) => {
    const first = user;
    user += n + 1;
    const burst = Array.from({ length: n }, (_, i) => post(first + i)).join('');
    expect(burst.length).toBeGreaterThan(64 * 1024);
    const r = await burstThen(h.server.port, burst, n, post(first + n, 'Connection: close\r\n'));
    const a = httpAnswers(r.text);
    expect(a.length, r.text.slice(-300)).toBe(n + 1);
    expect(a.every((x) => x.status === 200)).toBe(true);
    expect(a.map((x) => (JSON.parse(x.body) as { userId: number }).userId)).toEqual(Array.from({ length: n + 1 }, (_, i) => first + i));
    expect(a[n]!.headers.connection).toBe('close');
    expect(r.closed).toBe(true);
  });
});
