/**
 * A strict HTTP/1.x response reader for the load engine's lean client: status line, the headers that
 * frame the body (Content-Length, Transfer-Encoding: chunked, Connection, Keep-Alive), and the body.
 * Pure: it looks at bytes and says where the response ends; the connection does the I/O.
 */

/** The response is not all here yet. */
export const INCOMPLETE = -1;
/** The bytes are not an HTTP/1.x response (the connection must be dropped). */
export const MALFORMED = -2;

/** Header blocks larger than this are refused as malformed (undici's default limit is 16 KiB too). */
export const MAX_HEAD_BYTES = 16 * 1024;

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
 * it, {@link INCOMPLETE} or {@link MALFORMED}. Interim 1xx answers are skipped. With neither a
 * length nor chunked framing the body is everything up to `end` and `out.untilClose` is set: the
 * caller completes it when the connection closes.
 */
export function parseResponse(buf: Buffer, start: number, end: number, out: ParsedResponse, headRequest = false): number {
  for (;;) {
    if (end - start < 12) return end - start > 0 && !prefixOk(buf, start, end) ? MALFORMED : INCOMPLETE;
    if (!prefixOk(buf, start, end)) return MALFORMED;
    const minor = buf[start + 7]!;
    if ((minor !== 48 && minor !== 49) || buf[start + 8] !== 32) return MALFORMED; // HTTP/1.0 or 1.1, then SP
    const status = digit(buf[start + 9]!) * 100 + digit(buf[start + 10]!) * 10 + digit(buf[start + 11]!);
    if (!(status >= 100 && status <= 999)) return MALFORMED;
    let contentLength = -1;
    let chunked = false;
    let keepAlive = minor === 49;
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
        chunked = valueOf(buf, colon, eol).endsWith('chunked');
      } else if (nameLen === 10 && nameIs(buf, i, 'connection')) {
        if (eol - colon === 12 && buf[colon + 1] === 32 && nameIs(buf, colon + 2, 'keep-alive')) keepAlive = true;
        else {
          const v = valueOf(buf, colon, eol);
          if (v.includes('close')) keepAlive = false;
          else if (v.includes('keep-alive')) keepAlive = true;
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
    out.keepAlive = keepAlive;
    out.keepAliveMs = keepAliveMs;
    out.untilClose = false;
    if (headRequest || status === 204 || status === 304 || status === 101) {
      out.body = undefined;
      return bodyStart;
    }
    if (chunked) return readChunked(buf, bodyStart, end, out);
    if (contentLength >= 0) {
      if (bodyStart + contentLength > end) return INCOMPLETE;
      out.body = contentLength === 0 ? undefined : buf.subarray(bodyStart, bodyStart + contentLength);
      return bodyStart + contentLength;
    }
    // No framing: the body ends when the server closes (HTTP/1.0 style).
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

/** Chunked body from `i`: the data joined into `out.body`; the index past the last chunk and trailers. */
function readChunked(buf: Buffer, i: number, end: number, out: ParsedResponse): number {
  const parts: Buffer[] = [];
  for (;;) {
    const eol = buf.indexOf('\r\n', i);
    if (eol < 0 || eol >= end) return INCOMPLETE;
    const line = buf.toString('latin1', i, eol);
    const semi = line.indexOf(';');
    const hex = (semi < 0 ? line : line.slice(0, semi)).trim();
    if (!/^[0-9a-fA-F]{1,8}$/.test(hex)) return MALFORMED;
    const size = parseInt(hex, 16);
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
