import { describe, expect, it } from 'vitest';
import { HANDOFF, INCOMPLETE, parseFastRequest, type FastRequest } from '../../src/server/fast-request.js';

const BODY = '{"userId":1,"templateId":1}';
const LIMIT = 4096;

function req(headers: string[], body = BODY, line = 'POST /api/coupons/issue HTTP/1.1'): Buffer {
  return Buffer.from(`${line}\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n${body}`, 'latin1');
}
const STD = ['Host: 127.0.0.1:8080', 'Content-Type: application/json', `Content-Length: ${BODY.length}`];

function parse(buf: Buffer, start = 0): { end: number; out: FastRequest } {
  const out: FastRequest = { kind: 'issue', bodyStart: 0, bodyEnd: 0, close: false };
  return { end: parseFastRequest(buf, start, LIMIT, out), out };
}

describe('fast front request recogniser', () => {
  it('takes a complete plain issue request and finds its body', () => {
    const buf = req(STD);
    const { end, out } = parse(buf);
    expect(end).toBe(buf.length);
    expect(out.kind).toBe('issue');
    expect(buf.toString('utf8', out.bodyStart, out.bodyEnd)).toBe(BODY);
    expect(out.close).toBe(false);
  });

  it('accepts any header case, extra headers, optional whitespace and a charset parameter', () => {
    const buf = req(['host:x', 'CONTENT-TYPE:  application/json; charset=utf-8 ', `content-length:${BODY.length}`, 'User-Agent: k6/0.50', 'X-Trace-Id: abc\t']);
    expect(parse(buf).end).toBe(buf.length);
  });

  it('reads Connection: close and keep-alive', () => {
    expect(parse(req([...STD, 'Connection: close'])).out.close).toBe(true);
    const ka = req([...STD, 'Connection: Keep-Alive']);
    expect(parse(ka)).toMatchObject({ end: ka.length, out: { close: false } });
  });

  it('stops at the end of the first of two pipelined requests, and parses the second from there', () => {
    const one = req(STD);
    const two = Buffer.concat([one, one]);
    const first = parse(two);
    expect(first.end).toBe(one.length);
    const second = parse(two, first.end);
    expect(second.end).toBe(two.length);
    expect(two.toString('utf8', second.out.bodyStart, second.out.bodyEnd)).toBe(BODY);
  });

  it('takes GET /healthz with a Host and no body; hands it off with a body or without a Host', () => {
    const hz = Buffer.from('GET /healthz HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n', 'latin1');
    expect(parse(hz)).toMatchObject({ end: hz.length, out: { kind: 'healthz', close: false } });
    const withBody = Buffer.from('GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab', 'latin1');
    expect(parse(withBody).end).toBe(HANDOFF);
    expect(parse(Buffer.from('GET /healthz HTTP/1.1\r\nAccept: */*\r\n\r\n', 'latin1')).end).toBe(HANDOFF);
    expect(parse(Buffer.from('GET /healthz?x=1 HTTP/1.1\r\nHost: x\r\n\r\n', 'latin1')).end).toBe(HANDOFF);
    expect(parse(Buffer.from('HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n', 'latin1')).end).toBe(HANDOFF);
  });

  it.each([
    ['another route', req(STD, BODY, 'POST /api/coupons/issue?x=1 HTTP/1.1')],
    ['another method', req(STD, BODY, 'PUT /api/coupons/issue HTTP/1.1')],
    ['HTTP/1.0', req(STD, BODY, 'POST /api/coupons/issue HTTP/1.0')],
    ['lower-case method', req(STD, BODY, 'post /api/coupons/issue HTTP/1.1')],
    ['no Host', req(STD.slice(1))],
    ['two Hosts', req([...STD, 'Host: y'])],
    ['no content type', req([STD[0]!, STD[2]!])],
    ['not JSON', req([STD[0]!, 'Content-Type: text/plain', STD[2]!])],
    ['no Content-Length', req(STD.slice(0, 2))],
    ['two Content-Lengths', req([...STD, `Content-Length: ${BODY.length}`])],
    ['Content-Length not digits', req([STD[0]!, STD[1]!, 'Content-Length: 2a'])],
    ['Content-Length signed', req([STD[0]!, STD[1]!, `Content-Length: +${BODY.length}`])],
    ['body over the limit', req([STD[0]!, STD[1]!, 'Content-Length: 5000'], 'a'.repeat(5000))],
    ['chunked', req([...STD, 'Transfer-Encoding: chunked'])],
    ['Expect', req([...STD, 'Expect: 100-continue'])],
    ['Upgrade', req([...STD, 'Upgrade: websocket'])],
    ['odd Connection value', req([...STD, 'Connection: upgrade'])],
    ['space before the colon', req([...STD, 'X-Bad : 1'])],
    ['space inside a name', req([...STD, 'Bad Header: 1'])],
    ['empty name', req([...STD, ': 1'])],
    ['no colon', req([...STD, 'NoColon'])],
    ['control byte in a value', req([...STD, 'X-Bad: a\u0001b'])],
    ['bare LF in a value', req([...STD, 'X-Bad: a\nb'])],
    ['obsolete line folding', req([...STD, 'X-Fold: a', ' continued'])],
    ['non-ASCII header name', req([...STD, 'X-B\u00e4d: 1'])],
    ['a line that only starts like ours', Buffer.from('POST /api/coupX', 'latin1')],
    ['a huge header block, not finished', Buffer.from(`POST /api/coupons/issue HTTP/1.1\r\nX-Big: ${'a'.repeat(9000)}`, 'latin1')],
    ['no headers at all', Buffer.from('POST /api/coupons/issue HTTP/1.1\r\n\r\n', 'latin1')],
    ['a huge header block', req([...STD, `X-Big: ${'a'.repeat(9000)}`])],
    ['too many headers', req([...STD, ...Array.from({ length: 70 }, (_, i) => `X-H${i}: 1`)])],
  ])('%s: handed to node:http', (_name, buf) => {
    expect(parse(buf).end).toBe(HANDOFF);
  });

  it.each([
    ['body not all here', req([STD[0]!, STD[1]!, `Content-Length: ${BODY.length + 10}`])],
    ['headers not finished', Buffer.from(`POST /api/coupons/issue HTTP/1.1\r\nHost: x\r\nContent-Ty`, 'latin1')],
    ['only the request line so far', Buffer.from('POST /api/coupo', 'latin1')],
    ['a healthz line so far', Buffer.from('GET /heal', 'latin1')],
    ['one byte', Buffer.from('P', 'latin1')],
  ])('%s: incomplete (waits for the rest while answers are in flight)', (_name, buf) => {
    expect(parse(buf).end).toBe(INCOMPLETE);
  });
});
