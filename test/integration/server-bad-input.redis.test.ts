import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTemplate } from '../../src/server/admin-client.js';
import { call, dbSnapshot, issue, rawExchange, redisSnapshot, startHarness, waitDrained, type Harness } from './server-harness.js';

const ISSUE = '/api/coupons/issue';

/** Bad issue bodies: each must get 400 INVALID_REQUEST. */
const BAD_BODIES: [name: string, body: string][] = [
  ['malformed JSON', '{"userId":1,'],
  ['empty body', ''],
  ['null', 'null'],
  ['array', '[1,1]'],
  ['a string', '"hello"'],
  ['a number', '42'],
  ['userId as string', '{"userId":"1","templateId":1}'],
  ['templateId as string', '{"userId":1,"templateId":"1"}'],
  ['float', '{"userId":1.5,"templateId":1}'],
  ['integer-valued float', '{"userId":1.0,"templateId":1}'],
  ['exponent', '{"userId":1e2,"templateId":1}'],
  ['negative', '{"userId":-1,"templateId":1}'],
  ['zero', '{"userId":0,"templateId":1}'],
  ['2^53+1', '{"userId":9007199254740993,"templateId":1}'],
  ['2^53', '{"userId":9007199254740992,"templateId":1}'],
  ['huge number', '{"userId":1,"templateId":123456789012345678901234567890}'],
  ['nested object', '{"userId":{"id":1},"templateId":1}'],
  ['array value', '{"userId":[1],"templateId":1}'],
  ['null value', '{"userId":null,"templateId":1}'],
  ['boolean value', '{"userId":true,"templateId":1}'],
  ['missing templateId', '{"userId":1}'],
  ['missing userId', '{"templateId":1}'],
  ['extra field', '{"userId":1,"templateId":1,"admin":true}'],
  ['duplicate key', '{"userId":1,"userId":2,"templateId":1}'],
  ['trailing garbage', '{"userId":1,"templateId":1}x'],
  ['trailing comma', '{"userId":1,"templateId":1,}'],
  ['leading zero', '{"userId":01,"templateId":1}'],
  ['escaped key', '{"user\\u0049d":1,"templateId":1}'],
  ['prototype key', '{"__proto__":{"userId":1},"templateId":1}'],
  ['two objects', '{"userId":1,"templateId":1}{"userId":1,"templateId":1}'],
];

describe.each([['fast'], ['node']] as const)('serve (%s HTTP front): hostile and malformed input', (httpFront) => {
  let h: Harness;
  let before: [unknown, unknown];
  const port = (): number => h.server.port;

  beforeAll(async () => {
    h = await startHarness({ headersTimeoutMs: 800, requestTimeoutMs: 2000, httpFront }, 'bad');
    await createTemplate(h.server.url, 1, 10);
    expect((await issue(h.pool, 7, 1)).status).toBe(200);
    await waitDrained(h, 1, 1);
    before = [await redisSnapshot(h.redis, h.prefix), await dbSnapshot(h.dbUrl, [1])];
  });
  afterAll(async () => {
    await h?.close();
  });

  it.each(BAD_BODIES)('%s -> 400 INVALID_REQUEST', async (_name, body) => {
    const r = await call(h.pool, 'POST', ISSUE, body);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 'INVALID_REQUEST', status: 400 });
    expect(typeof r.body.message).toBe('string');
  });

  it.each([
    ['text/plain', 'text/plain'],
    ['form', 'application/x-www-form-urlencoded'],
    ['json lookalike', 'application/jsonx'],
    ['json suffix type', 'application/problem+json'],
  ])('content type %s -> 415', async (_n, ct) => {
    const r = await call(h.pool, 'POST', ISSUE, '{"userId":1,"templateId":1}', { 'content-type': ct });
    expect(r).toMatchObject({ status: 415, body: { code: 'UNSUPPORTED_MEDIA_TYPE', status: 415 } });
  });

  it('no content type -> 415; json with a charset parameter is accepted', async () => {
    const r = await call(h.pool, 'POST', ISSUE, '{"userId":1,"templateId":1}', {});
    expect(r).toMatchObject({ status: 415, body: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
    const ok = await call(h.pool, 'POST', ISSUE, '{"userId":1,"templateId":424242}', { 'content-type': 'Application/JSON; charset=utf-8' });
    expect(ok).toMatchObject({ status: 404, body: { code: 'COUPON_TEMPLATE_NOT_FOUND' } });
  });

  it.each([
    ['GET', ISSUE, 'POST'],
    ['PUT', ISSUE, 'POST'],
    ['DELETE', '/api/admin/templates/1', 'PUT'],
    ['POST', '/api/templates/1', 'GET'],
    ['POST', '/healthz', 'GET'],
    ['DELETE', '/metrics', 'GET'],
  ])('%s %s -> 405 with Allow %s', async (method, path, allow) => {
    const r = await call(h.pool, method, path);
    expect(r).toMatchObject({ status: 405, body: { code: 'METHOD_NOT_ALLOWED', status: 405 } });
    expect(r.headers.allow).toBe(allow);
  });

  it.each([['/'], ['/api/coupons'], ['/api/coupons/issue/extra'], ['/API/COUPONS/ISSUE']])('unknown route %s -> 404 NOT_FOUND', async (path) => {
    const r = await call(h.pool, 'POST', path, '{}');
    expect(r).toMatchObject({ status: 404, body: { code: 'NOT_FOUND', status: 404 } });
  });

  it.each([
    ['GET', '/api/templates/0'],
    ['GET', '/api/templates/abc'],
    ['GET', '/api/templates/9007199254740993'],
    ['PUT', '/api/admin/templates/-1'],
  ])('%s %s (bad id) -> 400', async (method, path) => {
    const r = await call(h.pool, method, path, method === 'PUT' ? '{"stock":1}' : undefined);
    expect(r).toMatchObject({ status: 400, body: { code: 'INVALID_REQUEST' } });
  });

  it.each([
    ['negative stock', '{"stock":-1}'],
    ['float stock', '{"stock":1.5}'],
    ['string stock', '{"stock":"5"}'],
    ['extra field', '{"stock":5,"x":1}'],
    ['bad JSON', '{"stock":'],
  ])('admin body with %s -> 400', async (_n, body) => {
    const r = await call(h.pool, 'PUT', '/api/admin/templates/2', body);
    expect(r).toMatchObject({ status: 400, body: { code: 'INVALID_REQUEST' } });
  });

  it('1 MB body with Content-Length -> 413 and the connection closes', async () => {
    const body = Buffer.alloc(1024 * 1024, 'a');
    const head = `POST ${ISSUE} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const r = await rawExchange(port(), [head, body]);
    expect(r.text).toMatch(/^HTTP\/1\.1 413 /);
    expect(r.text).toContain('"code":"PAYLOAD_TOO_LARGE"');
    expect(r.closed).toBe(true);
  });

  it('chunked body over the limit -> 413', async () => {
    const chunk = 'a'.repeat(3000);
    const head = `POST ${ISSUE} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`;
    const piece = `${chunk.length.toString(16)}\r\n${chunk}\r\n`;
    const r = await rawExchange(port(), [head, piece, piece, piece]);
    expect(r.text).toMatch(/^HTTP\/1\.1 413 /);
    expect(r.text).toContain('"status":413');
    expect(r.closed).toBe(true);
  });

  it('malformed HTTP framing -> 400 and the connection closes', async () => {
    const r = await rawExchange(port(), ['THIS IS NOT HTTP\r\n\r\n']);
    expect(r.text).toMatch(/^HTTP\/1\.1 400 /);
    expect(r.text).toContain('"status":400');
    expect(r.closed).toBe(true);
    const badHeader = await rawExchange(port(), [`POST ${ISSUE} HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n`]);
    expect(badHeader.text).toMatch(/^HTTP\/1\.1 400 /);
    expect(badHeader.closed).toBe(true);
    const badLength = await rawExchange(port(), [`POST ${ISSUE} HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n`]);
    expect(badLength.text).toMatch(/^HTTP\/1\.1 400 /);
    const hugeHeader = await rawExchange(port(), [`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`]);
    expect(hugeHeader.text).toMatch(/^HTTP\/1\.1 400 /);
    expect(hugeHeader.text).toContain('request headers too large');
    expect(hugeHeader.closed).toBe(true);
  });

  it('headers never finished -> 408 and the connection closes', async () => {
    const r = await rawExchange(port(), [`POST ${ISSUE} HTTP/1.1\r\nHost: x\r\nContent-Ty`], 8000);
    expect(r.text).toMatch(/^HTTP\/1\.1 408 /);
    expect(r.text).toContain('"code":"REQUEST_TIMEOUT"');
    expect(r.closed).toBe(true);
  });

  it('stays up, still issues, and Redis and the database are unchanged', async () => {
    const after = [await redisSnapshot(h.redis, h.prefix), await dbSnapshot(h.dbUrl, [1])];
    expect(after).toEqual(before);
    const hz = await call(h.pool, 'GET', '/healthz');
    expect(hz.status).toBe(200);
    const ok = await issue(h.pool, 8, 1);
    expect(ok).toMatchObject({ status: 200, body: { seq: 2 } });
  });
});
