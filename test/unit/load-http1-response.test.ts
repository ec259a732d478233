import { describe, expect, it } from 'vitest';
import { INCOMPLETE, MALFORMED, parseResponse, type ParsedResponse } from '../../src/load/http1-response.js';

const fresh = (): ParsedResponse => ({ status: 0, body: undefined, keepAlive: true, keepAliveMs: 0, untilClose: false });
const B = (s: string): Buffer => Buffer.from(s, 'latin1');
function parse(text: string, headRequest = false): { next: number; out: ParsedResponse; len: number } {
  const buf = B(text);
  const out = fresh();
  return { next: parseResponse(buf, 0, buf.length, out, headRequest), out, len: buf.length };
}
const body = (r: ParsedResponse): string | undefined => r.body?.toString('latin1');

describe('HTTP/1.x response reader (lean client)', () => {
  it('reads a Content-Length answer, its status, body and keep-alive timeout', () => {
    const t = 'HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: 10\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n{"code":1}x';
    const r = parse(t);
    expect(r.next).toBe(r.len - 1);
    expect(r.out).toMatchObject({ status: 400, keepAlive: true, keepAliveMs: 5000, untilClose: false });
    // the byte after the body is not part of this answer
    expect(body(r.out)).toBe('{"code":1}');
  });

  it('header names in any case; Connection: close ends keep-alive; HTTP/1.0 is not kept alive unless asked', () => {
    expect(parse('HTTP/1.1 200 OK\r\nCONTENT-LENGTH: 2\r\nconnection: Close\r\n\r\nok').out).toMatchObject({ status: 200, keepAlive: false });
    expect(parse('HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok').out.keepAlive).toBe(false);
    expect(parse('HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok').out.keepAlive).toBe(true);
  });

  it('joins a chunked body, with extensions and trailers', () => {
    const t = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\n{"a"\r\n3\r\n:1}\r\n0\r\nX-Trailer: y\r\n\r\n';
    const r = parse(t);
    expect(r.next).toBe(r.len);
    expect(body(r.out)).toBe('{"a":1}');
  });

  it('no body for 204, 304 and HEAD answers; empty Content-Length body is undefined', () => {
    expect(parse('HTTP/1.1 204 No Content\r\n\r\n').next).toBe(B('HTTP/1.1 204 No Content\r\n\r\n').length);
    expect(parse('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n', true).out.body).toBeUndefined();
    expect(parse('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n').out.body).toBeUndefined();
  });

  it('skips interim 1xx answers', () => {
    const r = parse('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok');
    expect(r.out.status).toBe(201);
    expect(body(r.out)).toBe('ok');
  });

  it('without framing the body runs until the server closes', () => {
    const r = parse('HTTP/1.0 200 OK\r\n\r\npartial');
    expect(r.out).toMatchObject({ untilClose: true, keepAlive: false });
    expect(body(r.out)).toBe('partial');
  });

  it.each([
    ['status line cut', 'HTTP/1.1 2'],
    ['headers cut', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n'],
    ['body cut', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab'],
    ['chunk cut', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab'],
    ['last chunk missing', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n'],
  ])('%s: incomplete', (_n, t) => {
    expect(parse(t).next).toBe(INCOMPLETE);
  });

  it.each([
    ['not HTTP', 'SSH-2.0-OpenSSH_9.2\r\n'],
    ['HTTP/2 preface', 'HTTP/2 200\r\n\r\n'],
    ['status not digits', 'HTTP/1.1 2x0 OK\r\n\r\n'],
    ['Content-Length not digits', 'HTTP/1.1 200 OK\r\nContent-Length: 1a\r\n\r\nab'],
    ['two different Content-Lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab'],
    ['header without colon', 'HTTP/1.1 200 OK\r\nBroken\r\nContent-Length: 0\r\n\r\n'],
    ['chunk size not hex', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
    ['chunk longer than its size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n0\r\n\r\n'],
  ])('%s: malformed', (_n, t) => {
    expect(parse(t).next).toBe(MALFORMED);
  });

  it('a header block over 16 KiB is malformed, not awaited forever', () => {
    expect(parse(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(17_000)}`).next).toBe(MALFORMED);
  });
});
