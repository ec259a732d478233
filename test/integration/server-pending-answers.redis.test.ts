import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTemplate } from '../../src/server/admin-client.js';
import { httpAnswers } from '../helpers/http-answers.js';
import { issue, rawExchange, startHarness, type Harness } from './server-harness.js';

const ISSUE = '/api/coupons/issue';
const chunkedIssue = (userId: number, connection = ''): string => {
  const body = JSON.stringify({ userId, templateId: 2 });
  return (
    `POST ${ISSUE} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${connection}Transfer-Encoding: chunked\r\n\r\n` +
    `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`
  );
};
const plainIssue = (userId: number, connection = ''): string => {
  const body = JSON.stringify({ userId, templateId: 2 });
  return `POST ${ISSUE} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${connection}Content-Length: ${body.length}\r\n\r\n${body}`;
};

// Every request below is sent in one write together with the bytes that follow it: node:http parses
// the whole write in one go, so the parse error always comes while the issue request still waits
// for Redis (the reply cannot arrive within the same synchronous parse).
describe.each(['fast', 'node'] as const)('serve (--http-front %s): a parse error after a pending issue request', (front) => {
  let h: Harness;
  let user = 900_000;

  beforeAll(async () => {
    h = await startHarness({ httpFront: front }, `pend-${front}`);
    await createTemplate(h.server.url, 2, 1_000_000);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('answers the pending request first (never a refusal for a coupon it issues), then 400, then closes', async () => {
    const u = ++user;
    const r = await rawExchange(h.server.port, [`${chunkedIssue(u)}X\r\n\r\n`]);
    const a = httpAnswers(r.text);
    expect(a[0]?.status, r.text).toBe(200);
    expect(JSON.parse(a[0]!.body)).toMatchObject({ userId: u, templateId: 2 });
    expect(a.slice(1).map((x) => x.status)).toEqual([400]);
    expect(JSON.parse(a[1]!.body)).toMatchObject({ code: 'MALFORMED_REQUEST' });
    expect(r.closed).toBe(true);
    expect((await issue(h.pool, u, 2)).body).toMatchObject({ code: 'COUPON_ALREADY_ISSUED' });
  });

  it('ignores what follows a Connection: close request (RFC 9112 9.6): its answer only, then close', async () => {
    const u = ++user;
    const r = await rawExchange(h.server.port, [chunkedIssue(u, 'Connection: keep-alive, close\r\n') + plainIssue(u + 1)]);
    user++;
    const a = httpAnswers(r.text);
    expect(a.map((x) => x.status), r.text).toEqual([200]);
    expect(JSON.parse(a[0]!.body)).toMatchObject({ userId: u });
    expect(r.closed).toBe(true);
    // the second request was never taken: its user can still get a coupon
    expect((await issue(h.pool, u + 1, 2)).status).toBe(200);
  });

  it('answers several pending pipelined requests in order before the 400', async () => {
    const u = ++user;
    user += 2;
    const r = await rawExchange(h.server.port, [chunkedIssue(u) + chunkedIssue(u + 1) + plainIssue(u + 2) + 'GARBAGE\r\n\r\n']);
    const a = httpAnswers(r.text);
    expect(a.map((x) => x.status), r.text).toEqual([200, 200, 200, 400]);
    expect(a.slice(0, 3).map((x) => (JSON.parse(x.body) as { userId: number }).userId)).toEqual([u, u + 1, u + 2]);
    expect(r.closed).toBe(true);
  });
});
