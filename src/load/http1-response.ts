/**
 * A strict HTTP/1.x response reader for the load engine's lean client: status line, the headers that
 * frame the body (Content-Length, Transfer-Encoding, Connection, Keep-Alive), and the body, framed
 * as RFC 9112 §6.3 says: a Transfer-Encoding whose final coding is chunked is read as chunks, any
 * other Transfer-Encoding runs until the server closes, Transfer-Encoding overrides Content-Length
 * (and the connection is closed after such an answer), Connection is a list of tokens.
 * Pure: it looks at bytes and says where the response ends; the connection does the I/O.
 */

/** The response is not all here yet. */
export const INCOMPLETE = -1;
/** The bytes are not an HTTP/1.x response (the connection must be dropped). */
export const MALFORMED = -2;

/** The body is larger than the limit: an error answer, the connection must be dropped. */
export const TOO_LARGE = -3;

/** Header blocks larger than this are refused as malformed (undici's default limit is 16 KiB too). */
export const MAX_HEAD_BYTES = 16 * 1024;
/** Bodies larger than this are refused ({@link TOO_LARGE}): a coupon answer is a few hundred bytes. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** One parsed response. `body` is a view into the input unless the body was chunked (then a copy). */
export interface ParsedResponse {
  status: number;
  body: Buffer | undefined;
  /** the server keeps the connection open after this response */
  keepAlive: boolean;
  /** Keep-Alive: timeout=N of the server, ms (0 when not given) */
  keepAliveMs: number;
  /** no length given: the body runs until the server closes the connection */
  untilClose: boolean;
}

/**
 * Parse the response starting at `start` of `buf[0, end)` into `out`. Returns the index just past
 * it, {@link INCOMPLETE}, {@link MALFORMED} or {@link TOO_LARGE} (a body over `maxBody` bytes, known
 * as soon as its length or its bytes say so). Interim 1xx answers are skipped. With neither a length
 * nor chunked framing the body is everything up to `end` and `out.untilClose` is set: the caller
 * completes it when the connection closes (and keeps it under `maxBody` itself).
 */
export function parseResponse(buf: Buffer, start: number, end: number, out: ParsedResponse, headRequest = false, maxBody = MAX_BODY_BYTES): number {
  for (;;) {
    if (end - start < 12) return end - start > 0 && !prefixOk(buf, start, end) ? MALFORMED : INCOMPLETE;
    if (!prefixOk(buf, start, end)) return MALFORMED;
    const minor = buf[start + 7]!;
    if ((minor !== 48 && minor !== 49) || buf[start + 8] !== 32) return MALFORMED; // HTTP/1.0 or 1.1, then SP
    const status = digit(buf[start + 9]!) * 100 + digit(buf[start + 10]!) * 10 + digit(buf[start + 11]!);
    if (!(status >= 100 && status <= 999)) return MALFORMED;
    let contentLength = -1;
    /** the last transfer coding named so far ('' none; undefined: no Transfer-Encoding header) */
    let finalCoding: string | undefined;
    let close = false;
    let keepAliveToken = false;
    let keepAliveMs = 0;
    // One pass over the head, byte by byte (no strings, no native calls per line): the status
    // line, then header lines up to the empty one. Only the few framing headers are looked at,
    // picked by name length first.
    let i = start + 12;
    while (i < end && buf[i] !== 10) i++;
    if (i >= end) return i - start > MAX_HEAD_BYTES ? MALFORMED : INCOMPLETE;
    if (buf[i - 1] !== 13) return MALFORMED;
    i++;
    let bodyStart = -1;
    while (bodyStart < 0) {
      if (i - start > MAX_HEAD_BYTES) return MALFORMED;
      if (i + 1 >= end) return INCOMPLETE;
      if (buf[i] === 13) {
        if (buf[i + 1] !== 10) return MALFORMED;
        bodyStart = i + 2;
        break;
      }
      let colon = i;
      while (colon < end && buf[colon] !== 58 && buf[colon] !== 13) colon++;
      let eol = colon;
      while (eol < end && buf[eol] !== 13) eol++;
      if (eol + 1 >= end) return eol - start > MAX_HEAD_BYTES ? MALFORMED : INCOMPLETE;
      if (buf[colon] !== 58 || buf[eol + 1] !== 10) return MALFORMED;
      const nameLen = colon - i;
      if (nameLen === 14 && nameIs(buf, i, 'content-length')) {
        const n = digitsAt(buf, colon + 1, eol);
        if (n < 0 || (contentLength !== -1 && contentLength !== n)) return MALFORMED;
        contentLength = n;
      } else if (nameLen === 17 && nameIs(buf, i, 'transfer-encoding')) {
        // Several lines are one list, in order: only the last coding of all frames the body.
        const codings = tokensOf(buf, colon, eol);
        finalCoding = codings.length > 0 ? (codings[codings.length - 1] as string) : (finalCoding ?? '');
      } else if (nameLen === 10 && nameIs(buf, i, 'connection')) {
        if (eol - colon === 12 && buf[colon + 1] === 32 && nameIs(buf, colon + 2, 'keep-alive')) keepAliveToken = true;
        else
          for (const t of tokensOf(buf, colon, eol)) {
            if (t === 'close') close = true;
            else if (t === 'keep-alive') keepAliveToken = true;
          }
      } else if (nameLen === 10 && nameIs(buf, i, 'keep-alive')) {
        // usually "timeout=5": read the digits in place
        const n = eol - colon > 10 && buf[colon + 1] === 32 && nameIs(buf, colon + 2, 'timeout=') ? digitsAt(buf, colon + 10, eol) : -1;
        if (n >= 0) keepAliveMs = n * 1000;
        else {
          const m = /timeout=(\d+)/.exec(valueOf(buf, colon, eol));
          if (m) keepAliveMs = Number(m[1]) * 1000;
        }
      }
      i = eol + 2;
    }
    if (status < 200 && status !== 101) {
      start = bodyStart; // 100 Continue, 103 Early Hints: the real answer follows
      continue;
    }
    out.status = status;
    // close wins over keep-alive; HTTP/1.0 keeps the connection only when asked. Both framing
    // headers at once may be a smuggling attempt: Transfer-Encoding frames, then the connection
    // closes (RFC 9112 §6.1).
    out.keepAlive = !close && (minor === 49 || keepAliveToken) && (finalCoding === undefined || contentLength < 0);
    out.keepAliveMs = keepAliveMs;
    out.untilClose = false;
    if (headRequest || status === 204 || status === 304 || status === 101) {
      out.body = undefined;
      return bodyStart;
    }
    // Chunked only as the final coding and only in HTTP/1.1 (an HTTP/1.0 answer naming a
    // Transfer-Encoding has faulty framing); any other Transfer-Encoding runs until the close.
    if (finalCoding === 'chunked' && minor === 49) return readChunked(buf, bodyStart, end, out, maxBody);
    if (contentLength >= 0 && finalCoding === undefined) {
      if (contentLength > maxBody) return TOO_LARGE;
      if (bodyStart + contentLength > end) return INCOMPLETE;
      out.body = contentLength === 0 ? undefined : buf.subarray(bodyStart, bodyStart + contentLength);
      return bodyStart + contentLength;
    }
    // No framing: the body ends when the server closes (HTTP/1.0 style).
    if (end - bodyStart > maxBody) return TOO_LARGE;
    out.untilClose = true;
    out.keepAlive = false;
    out.body = end > bodyStart ? buf.subarray(bodyStart, end) : undefined;
    return end;
  }
}

/** Header name at `at` equals `lower` (ASCII, any case; the caller checked the length). */
function nameIs(buf: Buffer, at: number, lower: string): boolean {
  for (let k = 0; k < lower.length; k++) if ((buf[at + k]! | 0x20) !== lower.charCodeAt(k)) return false;
  return true;
}

/** The value after the colon at `colon`, trimmed and lower-cased. */
function valueOf(buf: Buffer, colon: number, eol: number): string {
  return buf.toString('latin1', colon + 1, eol).trim().toLowerCase();
}

/** The value as a comma-separated list: its elements trimmed and lower-cased, empty ones dropped (RFC 9110 §5.6.1). */
function tokensOf(buf: Buffer, colon: number, eol: number): string[] {
  if (eol - colon === 8 && buf[colon + 1] === 32 && nameIs(buf, colon + 2, 'chunked')) return ['chunked'];
  const out: string[] = [];
  for (const part of valueOf(buf, colon, eol).split(',')) {
    const t = part.trim();
    if (t !== '') out.push(t);
  }
  return out;
}

/** 1-15 decimal digits in [from, to) around optional spaces or tabs; -1 otherwise. */
function digitsAt(buf: Buffer, from: number, to: number): number {
  while (from < to && (buf[from] === 32 || buf[from] === 9)) from++;
  while (to > from && (buf[to - 1] === 32 || buf[to - 1] === 9)) to--;
  if (to <= from || to - from > 15) return -1;
  let v = 0;
  for (let k = from; k < to; k++) {
    const c = buf[k]! - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

function prefixOk(buf: Buffer, start: number, end: number): boolean {
  const p = 'HTTP/1.';
  for (let k = 0; k < p.length && start + k < end; k++) if (buf[start + k] !== p.charCodeAt(k)) return false;
  return true;
}

function digit(c: number): number {
  return c >= 48 && c <= 57 ? c - 48 : Number.NaN;
}

/**
 * Chunked body from `i`: the data joined into `out.body`; the index past the last chunk and trailers.
 * {@link TOO_LARGE} once the data passes `maxBody`, or its bytes on the wire (sizes, extensions,
 * trailers) pass `maxBody` + {@link MAX_HEAD_BYTES}, complete or not.
 */
function readChunked(buf: Buffer, i: number, end: number, out: ParsedResponse, maxBody: number): number {
  if (end - i > maxBody + MAX_HEAD_BYTES) return TOO_LARGE;
  const parts: Buffer[] = [];
  let total = 0;
  for (;;) {
    const eol = buf.indexOf('\r\n', i);
    if (eol < 0 || eol >= end) return INCOMPLETE;
    const line = buf.toString('latin1', i, eol);
    const semi = line.indexOf(';');
    const hex = (semi < 0 ? line : line.slice(0, semi)).trim();
    if (!/^[0-9a-fA-F]{1,8}$/.test(hex)) return MALFORMED;
    const size = parseInt(hex, 16);
    total += size;
    if (total > maxBody) return TOO_LARGE;
    i = eol + 2;
    if (size === 0) {
      // trailers: header lines until an empty line
      for (;;) {
        const t = buf.indexOf('\r\n', i);
        if (t < 0 || t >= end) return INCOMPLETE;
        if (t === i) {
          out.body = parts.length === 0 ? undefined : Buffer.concat(parts);
          return t + 2;
        }
        i = t + 2;
      }
    }
    if (i + size + 2 > end) return INCOMPLETE;
    if (buf[i + size] !== 13 || buf[i + size + 1] !== 10) return MALFORMED;
    parts.push(buf.subarray(i, i + size));
    i += size + 2;
  }
}
