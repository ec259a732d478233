import { describe, expect, it } from 'vitest';
import { INCOMPLETE, MALFORMED, MAX_BODY_BYTES, parseResponse, TOO_LARGE, type ParsedResponse } from '../../src/load/http1-response.js';

const fresh = (): ParsedResponse => ({ status: 0, body: undefined, keepAlive: true, keepAliveMs: 0, untilClose: false });
const B = (s: string): Buffer => Buffer.from(s, 'latin1');
function parse(text: string, headRequest = false, maxBody?: number): { next: number; out: ParsedResponse; len: number } {
  const buf = B(text);
  const out = fresh();
  return { next: parseResponse(buf, 0, buf.length, out, headRequest, maxBody), out, len: buf.length };
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

  describe('framing as RFC 9112 §6.3 says', () => {
    const CHUNKS = '4\r\nabcd\r\n0\r\n\r\n';

    it.each([
      ['chunked alone', 'chunked'],
      ['chunked in capitals', 'CHUNKED'],
      ['chunked after another coding', 'gzip, chunked'],
      ['a list with empty elements and spaces', ' , gzip ,chunked , '],
    ])('Transfer-Encoding %s: read as chunks', (_n, te) => {
      const r = parse(`HTTP/1.1 200 OK\r\nTransfer-Encoding: ${te}\r\n\r\n${CHUNKS}`);
      expect(r.next).toBe(r.len);
      expect(body(r.out)).toBe('abcd');
      expect(r.out).toMatchObject({ untilClose: false, keepAlive: true });
    });

    it('Transfer-Encoding over several lines is one list: its final coding frames', () => {
      const chunked = parse(`HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n${CHUNKS}`);
      expect(chunked.next).toBe(chunked.len);
      expect(body(chunked.out)).toBe('abcd');
      const notLast = parse(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n${CHUNKS}`);
      expect(notLast.out).toMatchObject({ untilClose: true, keepAlive: false });
      expect(body(notLast.out)).toBe(CHUNKS);
    });

    it.each([
      ['a coding ending in "chunked" that is not chunked', 'xchunked'],
      ['chunked not final', 'chunked, gzip'],
      ['another coding only', 'gzip'],
      ['chunked with a parameter (not the chunked coding)', 'chunked;q=1'],
    ])('Transfer-Encoding with %s: the body runs until the server closes', (_n, te) => {
      const r = parse(`HTTP/1.1 200 OK\r\nTransfer-Encoding: ${te}\r\n\r\n${CHUNKS}`);
      expect(r.next).toBe(r.len);
      expect(r.out).toMatchObject({ untilClose: true, keepAlive: false });
      expect(body(r.out)).toBe(CHUNKS);
    });

    it('Transfer-Encoding overrides Content-Length, and the connection closes after the answer', () => {
      const r = parse(`HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n${CHUNKS}`);
      expect(r.next).toBe(r.len);
      expect(body(r.out)).toBe('abcd');
      expect(r.out.keepAlive).toBe(false);
      const untilClose = parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 2\r\n\r\nabcd');
      expect(untilClose.out).toMatchObject({ untilClose: true, keepAlive: false });
      expect(body(untilClose.out)).toBe('abcd');
      // no body (204) still ends the connection
      expect(parse('HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n').out.keepAlive).toBe(false);
    });

    it('an HTTP/1.0 answer naming a Transfer-Encoding has faulty framing: read until the close', () => {
      const r = parse(`HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\nConnection: keep-alive\r\n\r\n${CHUNKS}`);
      expect(r.out).toMatchObject({ untilClose: true, keepAlive: false });
      expect(body(r.out)).toBe(CHUNKS);
    });

    it.each([
      ['close in a list', 'keep-alive, close', false],
      ['close in capitals', 'CLOSE', false],
      ['a token containing "close" is not close', 'x-close-later', true],
      ['a token containing "keep-alive" is not keep-alive', 'no-keep-alive', true],
      ['other tokens beside keep-alive', 'Upgrade, Keep-Alive', true],
    ])('Connection: %s', (_n, value, keepAlive) => {
      expect(parse(`HTTP/1.1 200 OK\r\nConnection: ${value}\r\nContent-Length: 0\r\n\r\n`).out.keepAlive).toBe(keepAlive);
    });

    it('Connection tokens on HTTP/1.0: only a keep-alive token keeps it; close on any line wins', () => {
      expect(parse('HTTP/1.0 200 OK\r\nConnection: no-keep-alive\r\nContent-Length: 0\r\n\r\n').out.keepAlive).toBe(false);
      expect(parse('HTTP/1.0 200 OK\r\nConnection: Upgrade, keep-alive\r\nContent-Length: 0\r\n\r\n').out.keepAlive).toBe(true);
      expect(parse('HTTP/1.1 200 OK\r\nConnection: close\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n').out.keepAlive).toBe(false);
    });
  });

  describe('a body over the limit is an error answer', () => {
    it('the limit is 1 MiB by default', () => {
      expect(MAX_BODY_BYTES).toBe(1024 * 1024);
      expect(parse(`HTTP/1.1 200 OK\r\nContent-Length: ${MAX_BODY_BYTES + 1}\r\n\r\n`).next).toBe(TOO_LARGE);
      expect(parse(`HTTP/1.1 200 OK\r\nContent-Length: ${MAX_BODY_BYTES}\r\n\r\n`).next).toBe(INCOMPLETE);
    });

    it('a Content-Length over the limit is refused at once, before its bytes come', () => {
      expect(parse('HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n', false, 8).next).toBe(TOO_LARGE);
      expect(parse('HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n12345678', false, 8).next).toBeGreaterThan(0);
      // a HEAD answer has no body, whatever its length says
      expect(parse('HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n', true, 8).next).toBeGreaterThan(0);
    });

    it('chunks adding up over the limit, or one chunk size over it', () => {
      expect(parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n12345\r\n4\r\n', false, 8).next).toBe(TOO_LARGE);
      expect(parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffff\r\n', false, 8).next).toBe(TOO_LARGE);
      expect(parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n1234\r\n4\r\n5678\r\n0\r\n\r\n', false, 8).next).toBeGreaterThan(0);
    });

    it('chunk framing that never ends (a chunk extension or trailers without end) is refused once it passes the limit', () => {
      const ext = `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;${'e'.repeat(17_000)}`;
      expect(parse(ext, false, 8).next).toBe(TOO_LARGE);
      expect(parse(ext.slice(0, 1000), false, 8).next).toBe(INCOMPLETE);
    });

    it('a body running until the close is refused once it passes the limit', () => {
      expect(parse('HTTP/1.0 200 OK\r\n\r\n123456789', false, 8).next).toBe(TOO_LARGE);
      expect(parse('HTTP/1.0 200 OK\r\n\r\n12345678', false, 8).out.untilClose).toBe(true);
    });
  });
});
