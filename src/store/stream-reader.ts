import { connect, type Socket } from 'node:net';
import { couponIdOf } from '../model/coupon-id.js';
import { RedisReplyError, encodeCommand, rawRedisTarget } from '../redis/resp.js';
import type { IssuedRow } from './store.js';

/** One outbox entry as read: `row` when the fields are the issue script's u, s, t, tpl (valid). */
export interface ReadEntry {
  /** stream id (ASCII) */
  readonly id: string;
  /** parsed row (its templateId still has to match the outbox it came from) */
  readonly row: IssuedRow | undefined;
  /** field/value strings when `row` is undefined; null when the entry was deleted */
  readonly fields: readonly string[] | null;
}

/** Entries of one stream in one XREADGROUP reply. */
export interface ReadStream {
  readonly key: string;
  readonly entries: ReadEntry[];
}

const INCOMPLETE = Symbol('incomplete');
type Incomplete = typeof INCOMPLETE;

/**
 * The outbox's number rule read straight from reply bytes: 1..16 decimal digits in [start, end),
 * a safe integer > 0; -1 otherwise.
 */
export function posIntAt(buf: Buffer, start: number, end: number): number {
  const len = end - start;
  if (len <= 0 || len > 16) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = buf[i]! - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return Number.isSafeInteger(n) && n > 0 ? n : -1;
}


interface Pending {
  decode: (r: Decoder) => unknown;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

/**
 * Reads RESP2 replies from a buffer. Each method returns INCOMPLETE when the buffer ends first;
 * the caller then waits for more bytes and decodes the whole reply again from its start.
 */
class Decoder {
  buf: Buffer = Buffer.alloc(0);
  pos = 0;

  /** Index just past the next CRLF from pos, or -1. */
  private lineEnd(): number {
    const i = this.buf.indexOf(13, this.pos);
    return i < 0 || i + 1 >= this.buf.length ? -1 : i + 2;
  }

  /** The integer after a type byte (array/bulk lengths, integers). */
  private header(type: number): number | Incomplete {
    const end = this.lineEnd();
    if (end < 0) return INCOMPLETE;
    const t = this.buf[this.pos]!;
    if (t === 45 /* - */) {
      const msg = this.buf.toString('utf8', this.pos + 1, end - 2);
      this.pos = end;
      throw new RedisReplyError(msg);
    }
    if (t !== type) throw new Error(`unexpected RESP type ${String.fromCharCode(t)} (wanted ${String.fromCharCode(type)})`);
    let n = 0;
    let neg = false;
    for (let i = this.pos + 1; i < end - 2; i++) {
      const c = this.buf[i]!;
      if (c === 45) neg = true;
      else n = n * 10 + (c - 48);
    }
    this.pos = end;
    return neg ? -n : n;
  }

  /** A simple string / integer / error / bulk string / array, generically (handshake replies). */
  any(): unknown {
    const end = this.lineEnd();
    if (end < 0) return INCOMPLETE;
    const t = this.buf[this.pos]!;
    if (t === 43 /* + */ || t === 58 /* : */) {
      const s = this.buf.toString('utf8', this.pos + 1, end - 2);
      this.pos = end;
      return t === 58 ? Number(s) : s;
    }
    if (t === 36 /* $ */) return this.bulk();
    if (t === 42 /* * */) {
      const n = this.header(42);
      if (n === INCOMPLETE || n < 0) return n === INCOMPLETE ? n : null;
      const out: unknown[] = [];
      for (let i = 0; i < n; i++) {
        const v = this.any();
        if (v === INCOMPLETE) return v;
        out.push(v);
      }
      return out;
    }
    return this.header(0); // throws for '-' and for anything unknown
  }

  /** Bulk string as [start, end) in buf (null bulk: [-1, -1]). */
  private bulkRange(): [number, number] | Incomplete {
    const n = this.header(36);
    if (n === INCOMPLETE) return n;
    if (n < 0) return [-1, -1];
    const start = this.pos;
    if (start + n + 2 > this.buf.length) return INCOMPLETE;
    this.pos = start + n + 2;
    return [start, start + n];
  }

  private bulk(): string | null | Incomplete {
    const r = this.bulkRange();
    if (r === INCOMPLETE) return r;
    return r[0] < 0 ? null : this.buf.toString('latin1', r[0], r[1]);
  }

  /** Positive safe integer of 1..16 digits in [start, end), or -1. */
  private posInt(start: number, end: number): number {
    return posIntAt(this.buf, start, end);
  }

  /** `field` equals the one-byte or three-byte name at [start, end). */
  private is(start: number, end: number, name: string): boolean {
    if (end - start !== name.length) return false;
    for (let i = 0; i < name.length; i++) if (this.buf[start + i] !== name.charCodeAt(i)) return false;
    return true;
  }

  /** The fields of one entry: straight to a row when they are u, s, t, tpl; strings otherwise. */
  private entry(): ReadEntry | Incomplete {
    if (this.header(42) === INCOMPLETE) return INCOMPLETE; // *2
    const id = this.bulk();
    if (id === INCOMPLETE) return id;
    const n = this.header(42);
    if (n === INCOMPLETE) return n;
    if (n < 0) return { id: id ?? '', row: undefined, fields: null };
    const ranges: number[] = [];
    for (let i = 0; i < n; i++) {
      const r = this.bulkRange();
      if (r === INCOMPLETE) return r;
      ranges.push(r[0], r[1]);
    }
    if (n === 8 && this.is(ranges[0]!, ranges[1]!, 'u') && this.is(ranges[4]!, ranges[5]!, 's') && this.is(ranges[8]!, ranges[9]!, 't') && this.is(ranges[12]!, ranges[13]!, 'tpl')) {
      const userId = this.posInt(ranges[2]!, ranges[3]!);
      const seq = this.posInt(ranges[6]!, ranges[7]!);
      const issuedAt = this.posInt(ranges[10]!, ranges[11]!);
      const tpl = this.posInt(ranges[14]!, ranges[15]!);
      if (userId > 0 && seq > 0 && issuedAt > 0 && tpl > 0) {
        return { id: id ?? '', row: { couponId: couponIdOf(tpl, seq), templateId: tpl, userId, seq, issuedAt }, fields: null };
      }
    }
    const fields: string[] = [];
    for (let i = 0; i < ranges.length; i += 2) fields.push(ranges[i]! < 0 ? '' : this.buf.toString('utf8', ranges[i], ranges[i + 1]));
    return { id: id ?? '', row: undefined, fields };
  }

  /** An XREADGROUP reply: null (nothing new) or streams of entries. */
  streams(): ReadStream[] | null | Incomplete {
    const n = this.header(42);
    if (n === INCOMPLETE) return n;
    if (n < 0) return null;
    const out: ReadStream[] = [];
    for (let s = 0; s < n; s++) {
      if (this.header(42) === INCOMPLETE) return INCOMPLETE; // *2
      const key = this.bulk();
      if (key === INCOMPLETE) return key;
      const count = this.header(42);
      if (count === INCOMPLETE) return count;
      const entries: ReadEntry[] = [];
      for (let i = 0; i < count; i++) {
        const e = this.entry();
        if (e === INCOMPLETE) return e;
        entries.push(e);
      }
      out.push({ key: key ?? '', entries });
    }
    return out;
  }
}

/**
 * A minimal Redis connection for the persister's hot read (XREADGROUP): it decodes the reply bytes
 * straight into rows, where ioredis builds a Buffer per field and nested arrays (most of the
 * persister's CPU per entry). Plain redis:// only (AUTH and SELECT from the URL); the caller
 * uses ioredis for rediss:// and for everything else. Reconnects on the next command after an error.
 */
export class StreamReader {
  private socket: Socket | undefined;
  private readonly queue: Pending[] = [];
  private readonly decoder = new Decoder();
  private readonly host: string;
  private readonly port: number;
  private readonly handshake: readonly string[][];
  private closed = false;

  /** Whether the URL can be served by this reader (plain TCP). */
  static supports(url: string): boolean {
    try {
      return new URL(url).protocol === 'redis:';
    } catch {
      return false;
    }
  }

  constructor(url: string, name = 'coupon-bench-persister-reader') {
    const target = rawRedisTarget(url, name);
    this.host = target.host;
    this.port = target.port;
    this.handshake = target.handshake;
  }

  /** XREADGROUP GROUP g c COUNT n [BLOCK ms] STREAMS keys… ids…, decoded; rejects on errors. */
  xreadgroup(args: readonly (string | number)[], timeoutMs: number): Promise<ReadStream[] | null> {
    return this.send(['XREADGROUP', ...args], (d) => d.streams(), timeoutMs) as Promise<ReadStream[] | null>;
  }

  close(): void {
    this.closed = true;
    this.fail(new Error('stream reader closed'));
  }

  private send(args: readonly (string | number)[], decode: (d: Decoder) => unknown, timeoutMs: number): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('stream reader closed'));
    const sock = this.socket ?? this.open();
    return new Promise((resolve, reject) => {
      // A reply that never comes (half-open connection): drop the socket, the next read reconnects.
      const timer = setTimeout(() => this.fail(new Error(`no reply from Redis within ${timeoutMs} ms`)), timeoutMs);
      this.queue.push({
        decode,
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      sock.write(encodeCommand(args));
    });
  }

  private open(): Socket {
    const sock = connect(this.port, this.host);
    sock.setNoDelay(true);
    this.socket = sock;
    this.decoder.buf = Buffer.alloc(0);
    this.decoder.pos = 0;
    // Events of a socket already replaced (after an error) must not touch the new one.
    sock.on('data', (chunk: Buffer) => {
      if (this.socket === sock) this.onData(chunk);
    });
    sock.on('error', (err) => {
      if (this.socket === sock) this.fail(err);
    });
    sock.on('close', () => {
      if (this.socket === sock) this.fail(new Error('connection to Redis closed'));
    });
    // Handshake replies come first, in order; an error (bad password) fails the pending read.
    for (const cmd of this.handshake) {
      this.queue.push({
        decode: (d) => d.any(),
        resolve: () => undefined,
        reject: (e) => this.fail(e),
      });
      sock.write(encodeCommand(cmd));
    }
    return sock;
  }

  private onData(chunk: Buffer): void {
    const d = this.decoder;
    d.buf = d.pos < d.buf.length ? Buffer.concat([d.buf.subarray(d.pos), chunk]) : chunk;
    d.pos = 0;
    while (d.pos < d.buf.length && this.queue.length > 0) {
      const head = this.queue[0]!;
      const start = d.pos;
      let value: unknown;
      try {
        value = head.decode(d);
      } catch (err) {
        if (err instanceof RedisReplyError) {
          this.queue.shift();
          head.reject(err);
          continue;
        }
        this.fail(err as Error);
        return;
      }
      if (value === INCOMPLETE) {
        d.pos = start;
        return;
      }
      this.queue.shift();
      head.resolve(value);
    }
  }

  /** Reject everything in flight and drop the connection. */
  private fail(err: Error): void {
    const sock = this.socket;
    this.socket = undefined;
    sock?.destroy();
    const q = this.queue.splice(0);
    for (const p of q) p.reject(err);
  }
}
