import { isJson } from './content-type.js';

/**
 * Recognises the request shapes the fast front answers itself: a complete
 * `POST /api/coupons/issue HTTP/1.1` with a Host, a JSON content type, a Content-Length within the
 * body limit and the whole body already received; and `GET /healthz HTTP/1.1` with a Host and no
 * body (load generators open their connections with it). Anything else (another route or method, HTTP/1.0,
 * chunked bodies, Expect, odd Connection values, a header Node's parser would reject) is
 * {@link HANDOFF}: the connection goes to node:http, whose hardened parser, timeouts and error
 * answers then handle it; a request not yet complete is {@link INCOMPLETE} (handed over the same
 * way unless answers are in flight). So this parser only ever has to say "yes, certainly
 * well-formed", "not yet" or "not mine"; it never produces an error answer of its own.
 */

/** The request lines the fast front serves. */
const LINE_BYTES = Buffer.from('POST /api/coupons/issue HTTP/1.1\r\n', 'latin1');
const HEALTHZ_BYTES = Buffer.from('GET /healthz HTTP/1.1\r\n', 'latin1');
const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');
/** Header blocks longer than this go to node:http (its limit is 16 KiB; real clients send < 1 KiB). */
export const MAX_FAST_HEAD_BYTES = 8192;
const MAX_FAST_HEADERS = 64;

/** Not a request the fast front answers: hand the connection to node:http. */
export const HANDOFF = -1;
/**
 * The start of a request the fast front may answer, not all received yet. A connection with answers
 * in flight waits for the rest; an idle one hands it to node:http (whose timeouts then apply).
 */
export const INCOMPLETE = -2;

/** A recognised request: which one, where its body is and whether the client asked to close after it. */
export interface FastRequest {
  kind: 'issue' | 'healthz';
  bodyStart: number;
  bodyEnd: number;
  close: boolean;
}

/** Token characters of a header name (RFC 9110 tchar), by char code. */
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TCHAR[c.charCodeAt(0)] = 1;

/**
 * Parse the request starting at `start` of `buf` into `out`; returns the index just past it,
 * {@link HANDOFF} or {@link INCOMPLETE}. Pure and allocation-light: the header block is read as one
 * latin1 string.
 */
export function parseFastRequest(buf: Buffer, start: number, bodyLimit: number, out: FastRequest): number {
  let line: Buffer;
  if (startsWith(buf, start, LINE_BYTES)) line = LINE_BYTES;
  else if (startsWith(buf, start, HEALTHZ_BYTES)) line = HEALTHZ_BYTES;
  else return prefixOf(buf, start, LINE_BYTES) || prefixOf(buf, start, HEALTHZ_BYTES) ? INCOMPLETE : HANDOFF;
  const issue = line === LINE_BYTES;
  const headStart = start + line.length;
  const headEnd = buf.indexOf(HEAD_END, headStart - 2);
  if (headEnd < 0) return buf.length - start > MAX_FAST_HEAD_BYTES ? HANDOFF : INCOMPLETE;
  if (headEnd - start > MAX_FAST_HEAD_BYTES) return HANDOFF;
  // headEnd can be headStart - 2 only for a request with no headers at all (then there is no Host).
  if (headEnd < headStart) return HANDOFF;
  const head = buf.toString('latin1', headStart, headEnd + 2);
  let contentLength = -1;
  let json = false;
  let host = false;
  let close = false;
  let count = 0;
  let i = 0;
  const n = head.length;
  while (i < n) {
    const eol = head.indexOf('\r\n', i);
    if (eol < 0 || ++count > MAX_FAST_HEADERS) return HANDOFF;
    const colon = head.indexOf(':', i);
    if (colon <= i || colon > eol) return HANDOFF;
    for (let k = i; k < colon; k++) {
      const c = head.charCodeAt(k);
      if (c >= 128 || TCHAR[c] === 0) return HANDOFF;
    }
    let vs = colon + 1;
    let ve = eol;
    while (vs < ve && (head.charCodeAt(vs) === 32 || head.charCodeAt(vs) === 9)) vs++;
    while (ve > vs && (head.charCodeAt(ve - 1) === 32 || head.charCodeAt(ve - 1) === 9)) ve--;
    for (let k = vs; k < ve; k++) {
      const c = head.charCodeAt(k);
      if ((c < 32 && c !== 9) || c === 127) return HANDOFF;
    }
    const nameLen = colon - i;
    // Only the names that change how the request is framed or answered are looked at.
    if (nameLen === 4 || nameLen === 6 || nameLen === 7 || nameLen === 10 || nameLen === 12 || nameLen === 14 || nameLen === 17) {
      const name = head.slice(i, colon).toLowerCase();
      if (name === 'content-length') {
        if (contentLength !== -1) return HANDOFF;
        contentLength = digits(head, vs, ve);
        if (contentLength < 0) return HANDOFF;
      } else if (name === 'content-type') {
        if (json) return HANDOFF;
        json = isJson(head.slice(vs, ve));
        if (!json && issue) return HANDOFF;
      } else if (name === 'host') {
        if (host) return HANDOFF;
        host = true;
      } else if (name === 'connection') {
        const v = head.slice(vs, ve).toLowerCase();
        if (v === 'close') close = true;
        else if (v !== 'keep-alive') return HANDOFF;
      } else if (name === 'transfer-encoding' || name === 'expect' || name === 'upgrade') {
        return HANDOFF;
      }
    }
    i = eol + 2;
  }
  if (!issue) {
    // GET /healthz: no body, whatever the content type
    if (!host || contentLength > 0) return HANDOFF;
    out.kind = 'healthz';
    out.bodyStart = out.bodyEnd = headEnd + 4;
    out.close = close;
    return headEnd + 4;
  }
  if (!host || !json || contentLength < 0 || contentLength > bodyLimit) return HANDOFF;
  const bodyStart = headEnd + 4;
  const bodyEnd = bodyStart + contentLength;
  if (bodyEnd > buf.length) return INCOMPLETE;
  out.kind = 'issue';
  out.bodyStart = bodyStart;
  out.bodyEnd = bodyEnd;
  out.close = close;
  return bodyEnd;
}

/** The bytes from `start` to the end are a proper beginning of `line`. */
function prefixOf(buf: Buffer, start: number, line: Buffer): boolean {
  const n = buf.length - start;
  return n < line.length && buf.compare(line, 0, n, start, buf.length) === 0;
}

function startsWith(buf: Buffer, start: number, line: Buffer): boolean {
  return buf.length - start >= line.length && buf.compare(line, 0, line.length, start, start + line.length) === 0;
}

/** 1-7 decimal digits in [from, to) as a number; -1 otherwise. */
function digits(s: string, from: number, to: number): number {
  if (to <= from || to - from > 7) return -1;
  let v = 0;
  for (let k = from; k < to; k++) {
    const c = s.charCodeAt(k) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}
