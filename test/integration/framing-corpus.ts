/**
 * HTTP/1.1 framing cases for the differential test of the two HTTP fronts. Each case builds the
 * steps of one raw connection (bytes to write, ms to wait, 'end' to half-close) for its own
 * template, with users no other case uses.
 */
export type Step = string | number | 'end';

/** What a case may use: its template, fresh users, and request builders bound to them. */
export interface CaseContext {
  readonly templateId: number;
  user(): number;
  /** an issue body for a fresh user */
  body(): string;
  /** a complete plain issue request for a fresh user; `headers` go before Content-Length */
  post(headers?: string, body?: string): string;
  /** a chunked issue request for a fresh user */
  chunked(headers?: string): string;
}

export interface FramingCase {
  readonly name: string;
  steps(c: CaseContext): Step[];
}

const ISSUE = 'POST /api/coupons/issue HTTP/1.1';
const HEAD = 'Host: x\r\nContent-Type: application/json\r\n';
const HEALTHZ = 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n';
const HEALTHZ_CLOSE = 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';
const withLength = (head: string, body: string): string => `${head}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

/** An issue request with the given request line and header lines (CRLF each), body with its length. */
function custom(line: string, headers: string, body: string): string {
  return withLength(`${line}\r\n${headers}`, body);
}

const chunk = (s: string): string => `${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n`;

export const FRAMING_CORPUS: readonly FramingCase[] = [
  // ---- well-formed -------------------------------------------------------------------------------
  { name: 'plain issue, kept alive', steps: (c) => [c.post()] },
  { name: 'plain issue, Connection: close', steps: (c) => [c.post('Connection: close\r\n')] },
  { name: 'Connection: keep-alive', steps: (c) => [c.post('Connection: keep-alive\r\n')] },
  { name: 'Connection: Keep-Alive (case)', steps: (c) => [c.post('Connection: Keep-Alive\r\n')] },
  { name: 'two pipelined', steps: (c) => [c.post() + c.post()] },
  { name: 'three pipelined, the last closes', steps: (c) => [c.post() + c.post() + c.post('Connection: close\r\n')] },
  { name: 'healthz, then issue', steps: (c) => [HEALTHZ, 50, c.post('Connection: close\r\n')] },
  { name: 'issue and healthz pipelined', steps: (c) => [c.post() + HEALTHZ_CLOSE] },
  { name: 'header names in odd case', steps: (c) => [custom(ISSUE, 'hOsT: x\r\ncontent-TYPE: application/json\r\n', c.body())] },
  { name: 'charset parameter', steps: (c) => [custom(ISSUE, 'Host: x\r\nContent-Type: application/json; charset=utf-8\r\n', c.body())] },
  { name: 'optional whitespace around values', steps: (c) => [custom(ISSUE, 'Host:x\r\nContent-Type:   application/json  \r\n', c.body())] },
  { name: 'Content-Length with leading zeros', steps: (c) => withBody(c, (b) => `${ISSUE}\r\n${HEAD}Content-Length: 000${b.length}\r\n\r\n${b}`) },
  { name: 'HTTP/1.0 without Host', steps: (c) => [custom('POST /api/coupons/issue HTTP/1.0', 'Content-Type: application/json\r\n', c.body())] },
  { name: 'HTTP/1.0 keep-alive', steps: (c) => [custom('POST /api/coupons/issue HTTP/1.0', 'Content-Type: application/json\r\nConnection: keep-alive\r\n', c.body())] },
  { name: 'a 9 KB header (node:http takes it)', steps: (c) => [c.post(`X-Big: ${'a'.repeat(9000)}\r\n`)] },
  { name: '70 headers', steps: (c) => [c.post(Array.from({ length: 70 }, (_, i) => `X-H${i}: 1\r\n`).join(''))] },
  { name: 'Expect: 100-continue', steps: (c) => [c.post('Expect: 100-continue\r\n')] },
  { name: 'empty lines before the request', steps: (c) => [`\r\n\r\n${c.post()}`] },
  { name: 'query string on the issue path', steps: (c) => [custom('POST /api/coupons/issue?x=1 HTTP/1.1', HEAD, c.body())] },
  // ---- chunked and conflicting framing ----------------------------------------------------------
  { name: 'chunked', steps: (c) => [c.chunked()] },
  { name: 'chunked with an extension', steps: (c) => withBody(c, (b) => `${ISSUE}\r\n${HEAD}Transfer-Encoding: chunked\r\n\r\n${b.length.toString(16)};x=y\r\n${b}\r\n0\r\n\r\n`) },
  { name: 'chunked in two chunks with a trailer', steps: (c) => [`${ISSUE}\r\n${HEAD}Transfer-Encoding: chunked\r\n\r\n${chunk('{"userId":')}${chunk(`${c.user()},"templateId":${c.templateId}}`)}0\r\nX-T: 1\r\n\r\n`] },
  { name: 'chunked with a bad size', steps: () => [`${ISSUE}\r\n${HEAD}Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`] },
  { name: 'chunked, then bytes that are no request (pending answer first)', steps: (c) => [`${c.chunked()}X\r\n\r\n`] },
  { name: 'Connection: keep-alive, close, then a second request', steps: (c) => [c.chunked('Connection: keep-alive, close\r\n') + c.post()] },
  { name: 'Connection: close, then a second request', steps: (c) => [c.post('Connection: close\r\n') + c.post()] },
  { name: 'Content-Length and chunked', steps: (c) => [`${ISSUE}\r\n${HEAD}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n${chunk(c.body())}0\r\n\r\n`] },
  { name: 'two equal Content-Lengths', steps: (c) => [`${ISSUE}\r\n${HEAD}Content-Length: ${c.body().length}\r\n${withLength('', c.body())}`] },
  { name: 'two different Content-Lengths', steps: (c) => [`${ISSUE}\r\n${HEAD}Content-Length: 3\r\n${withLength('', c.body())}`] },
  { name: 'Content-Length with a sign', steps: (c) => [`${ISSUE}\r\n${HEAD}Content-Length: +${c.body().length}\r\n\r\n${c.body()}`] },
  { name: 'Content-Length not digits', steps: (c) => [`${ISSUE}\r\n${HEAD}Content-Length: 2a\r\n\r\n${c.body()}`] },
  { name: 'Content-Length shorter than the body', steps: (c) => [`${ISSUE}\r\n${HEAD}Content-Length: 5\r\n\r\n${c.body()}`] },
  { name: 'Transfer-Encoding: gzip, chunked', steps: (c) => [`${ISSUE}\r\n${HEAD}Transfer-Encoding: gzip, chunked\r\n\r\n${chunk(c.body())}0\r\n\r\n`] },
  { name: 'Transfer-Encoding: chunked, gzip', steps: (c) => [`${ISSUE}\r\n${HEAD}Transfer-Encoding: chunked, gzip\r\n\r\n${chunk(c.body())}0\r\n\r\n`] },
  { name: 'Transfer-Encoding: xchunked', steps: (c) => [`${ISSUE}\r\n${HEAD}Transfer-Encoding: xchunked\r\n\r\n${chunk(c.body())}0\r\n\r\n`] },
  { name: 'Transfer-Encoding: identity with Content-Length', steps: (c) => [`${ISSUE}\r\n${HEAD}Transfer-Encoding: identity\r\n${withLength('', c.body())}`] },
  { name: 'two Transfer-Encoding headers', steps: (c) => [`${ISSUE}\r\n${HEAD}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n${chunk(c.body())}0\r\n\r\n`] },
  // ---- header syntax ----------------------------------------------------------------------------
  { name: 'no Host', steps: (c) => [custom(ISSUE, 'Content-Type: application/json\r\n', c.body())] },
  { name: 'two Hosts', steps: (c) => [c.post('Host: y\r\n')] },
  { name: 'space before the colon', steps: (c) => [c.post('X-Bad : 1\r\n')] },
  { name: 'space inside a name', steps: (c) => [c.post('Bad Header: 1\r\n')] },
  { name: 'empty header name', steps: (c) => [c.post(': 1\r\n')] },
  { name: 'header without a colon', steps: (c) => [c.post('NoColon\r\n')] },
  { name: 'control byte in a value', steps: (c) => [c.post('X-Bad: a\u0001b\r\n')] },
  { name: 'bare LF inside a value', steps: (c) => [c.post('X-Bad: a\nb\r\n')] },
  { name: 'bare LF line endings', steps: (c) => withBody(c, (b) => `${ISSUE}\nHost: x\nContent-Type: application/json\nContent-Length: ${b.length}\n\n${b}`) },
  { name: 'obsolete line folding', steps: (c) => [c.post('X-Fold: a\r\n continued\r\n')] },
  { name: 'non-ASCII header name', steps: (c) => [c.post('X-B\u00e4d: 1\r\n')] },
  { name: 'headers over 16 KiB', steps: (c) => [c.post(`X-Huge: ${'a'.repeat(17_000)}\r\n`)] },
  { name: 'Upgrade: websocket', steps: (c) => [c.post('Connection: Upgrade\r\nUpgrade: websocket\r\n')] },
  { name: 'odd Connection value', steps: (c) => [c.post('Connection: foo\r\n')] },
  // ---- request line -----------------------------------------------------------------------------
  { name: 'lower-case method', steps: (c) => [custom('post /api/coupons/issue HTTP/1.1', HEAD, c.body())] },
  { name: 'unknown method', steps: (c) => [custom('FOO /api/coupons/issue HTTP/1.1', HEAD, c.body())] },
  { name: 'GET on the issue route', steps: () => ['GET /api/coupons/issue HTTP/1.1\r\nHost: x\r\n\r\n'] },
  { name: 'absolute-form target', steps: (c) => [custom('POST http://x/api/coupons/issue HTTP/1.1', HEAD, c.body())] },
  { name: 'HTTP/2.0 in the request line', steps: (c) => [custom('POST /api/coupons/issue HTTP/2.0', HEAD, c.body())] },
  { name: 'two spaces in the request line', steps: (c) => [custom('POST  /api/coupons/issue HTTP/1.1', HEAD, c.body())] },
  { name: 'HEAD /healthz', steps: () => ['HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'] },
  // ---- bodies -----------------------------------------------------------------------------------
  { name: 'invalid JSON', steps: (c) => [c.post('', '{"userId":')] },
  { name: 'body over the limit', steps: (c) => [c.post('', `{"userId":${c.user()},"templateId":${c.templateId},"x":"${'a'.repeat(5000)}"}`)] },
  { name: 'text/plain body', steps: (c) => [custom(ISSUE, 'Host: x\r\nContent-Type: text/plain\r\n', c.body())] },
  { name: 'no Content-Type', steps: (c) => [custom(ISSUE, 'Host: x\r\n', c.body())] },
  { name: 'empty body', steps: (c) => [c.post('', '')] },
  { name: 'userId 1e3', steps: (c) => [c.post('', `{"userId":1e3,"templateId":${c.templateId}}`)] },
  { name: 'duplicate userId', steps: (c) => [c.post('', `{"userId":${c.user()},"userId":${c.user()},"templateId":${c.templateId}}`)] },
  { name: 'unknown template', steps: (c) => [c.post('', `{"userId":${c.user()},"templateId":999999}`)] },
  // ---- split writes, half-close, bursts ---------------------------------------------------------
  { name: 'head and body in two writes', steps: (c) => [...splitAt(c.post('Connection: close\r\n'), -10, 100)] },
  { name: 'request line cut in two writes', steps: (c) => [...splitAt(c.post('Connection: close\r\n'), 10, 100)] },
  {
    name: 'second pipelined request completed later',
    steps: (c) => {
      const first = c.post();
      const second = c.post('Connection: close\r\n');
      return [first + second.slice(0, 40), 100, second.slice(40)];
    },
  },
  { name: 'half-close after the request', steps: (c) => [c.post(), 'end'] },
  { name: 'bytes that are no request after an answer', steps: (c) => [c.post(), 150, 'X\r\n\r\n'] },
  { name: 'valid, invalid JSON, valid pipelined', steps: (c) => [c.post() + c.post('', '{"userId":') + c.post('Connection: close\r\n')] },
  { name: '600 pipelined (over 64 KiB), then one more', steps: (c) => [Array.from({ length: 600 }, () => c.post()).join(''), 1500, c.post('Connection: close\r\n')] },
];

/** One write built around one fresh issue body. */
function withBody(c: CaseContext, build: (body: string) => string): Step[] {
  return [build(c.body())];
}

/** A request cut at `at` (negative: from its end) into two writes `ms` apart. */
function splitAt(req: string, at: number, ms: number): Step[] {
  const i = at < 0 ? req.length + at : at;
  return [req.slice(0, i), ms, req.slice(i)];
}
