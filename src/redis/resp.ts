/**
 * The RESP2 codec of the two hand-written Redis connections (the server's issue pipeline and the
 * persister's stream reader): command encoding, reply decoding, and the target/handshake taken
 * from a redis:// URL.
 */
import { connectHost } from '../url-host.js';

/** One RESP bulk string: `$len\r\nvalue\r\n` (len in UTF-8 bytes). */
export function bulk(s: string): string {
  return `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
}

/** One command as a RESP array of bulk strings: `*n\r\n$len\r\narg\r\n…`. */
export function encodeCommand(args: readonly (string | number)[]): string {
  let s = `*${args.length}\r\n`;
  for (const a of args) s += bulk(String(a));
  return s;
}

/** Where a raw connection goes and the commands it sends first. */
export interface RawRedisTarget {
  readonly host: string;
  readonly port: number;
  /** AUTH (when the URL has a password), SELECT (db other than 0), CLIENT SETNAME, in this order */
  readonly handshake: string[][];
}

/** Host, port and handshake of a redis:// URL (no TLS); the db is passed on as written, like ioredis does. */
export function rawRedisTarget(url: string | URL, clientName: string): RawRedisTarget {
  const u = typeof url === 'string' ? new URL(url) : url;
  const handshake: string[][] = [];
  if (u.password) {
    const pass = decodeURIComponent(u.password);
    handshake.push(u.username ? ['AUTH', decodeURIComponent(u.username), pass] : ['AUTH', pass]);
  }
  const db = u.pathname.replace(/^\//, '');
  if (db !== '' && db !== '0') handshake.push(['SELECT', db]);
  handshake.push(['CLIENT', 'SETNAME', clientName]);
  return { host: connectHost(u) || '127.0.0.1', port: Number(u.port || 6379), handshake };
}

/** Incomplete reply in the read buffer. */
export const RESP_INCOMPLETE = Symbol('incomplete');
/** Bytes that are not RESP: the stream is out of step. */
export const RESP_GARBLED = Symbol('garbled');

/** An error reply of Redis (`-ERR ...`), named like ioredis's so callers judge both alike. */
export class RedisReplyError extends Error {
  override name = 'ReplyError';
}

/** One decoded RESP2 reply (bulk strings as UTF-8 text, error replies as {@link RedisReplyError}). */
export type RespReply = number | string | null | Error | RespReply[];

/** Parse one RESP2 reply starting at `i`; INCOMPLETE when the buffer ends first. */
export function parseReply(buf: Buffer, i: number): { value: RespReply; next: number } | typeof RESP_INCOMPLETE | typeof RESP_GARBLED {
  const n = buf.length;
  const type = buf[i];
  const eol = buf.indexOf(13, i + 1);
  if (eol === -1 || eol + 1 >= n) return RESP_INCOMPLETE;
  const next = eol + 2;
  switch (type) {
    case 58 /* : */:
      return { value: parseIntAt(buf, i + 1, eol), next };
    case 43 /* + */:
      return { value: buf.toString('utf8', i + 1, eol), next };
    case 45 /* - */:
      return { value: new RedisReplyError(buf.toString('utf8', i + 1, eol)), next };
    case 36 /* $ */: {
      const len = parseIntAt(buf, i + 1, eol);
      if (len < 0) return { value: null, next };
      if (next + len + 2 > n) return RESP_INCOMPLETE;
      return { value: buf.toString('utf8', next, next + len), next: next + len + 2 };
    }
    case 42 /* * */: {
      const count = parseIntAt(buf, i + 1, eol);
      if (count < 0) return { value: null, next };
      const arr: RespReply[] = [];
      let j = next;
      for (let k = 0; k < count; k++) {
        if (j >= n) return RESP_INCOMPLETE;
        const r = parseReply(buf, j);
        if (r === RESP_INCOMPLETE || r === RESP_GARBLED) return r;
        arr.push(r.value);
        j = r.next;
      }
      return { value: arr, next: j };
    }
    default:
      return RESP_GARBLED;
  }
}

function parseIntAt(buf: Buffer, from: number, to: number): number {
  let neg = false;
  let i = from;
  if (buf[i] === 45) {
    neg = true;
    i++;
  }
  let v = 0;
  for (; i < to; i++) v = v * 10 + (buf[i]! - 48);
  return neg ? -v : v;
}
