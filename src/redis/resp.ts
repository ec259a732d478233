/**
 * Command encoding of the hand-written Redis connection (raw-connection.ts, under the server's
 * issue pipeline and the persister's stream reader), and the target/handshake taken from a
 * redis:// URL. Replies are decoded by the RespReader of resp-reader.ts.
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
