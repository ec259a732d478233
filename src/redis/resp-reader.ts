/**
 * The one RESP2 reply decoder of the project's hand-written Redis connections: a cursor over the
 * bytes read so far. Every method returns {@link RESP_INCOMPLETE} when the buffer ends first; the
 * caller then waits for more bytes and decodes the whole reply again from its start. Generic
 * replies come from {@link RespReader.any}; a caller that wants to skip the generic values (the
 * persister's XREADGROUP rows) builds on {@link RespReader.header} and {@link RespReader.bulkRange}.
 */

/** Incomplete reply in the read buffer. */
export const RESP_INCOMPLETE = Symbol('incomplete');
export type RespIncomplete = typeof RESP_INCOMPLETE;

/** An error reply of Redis (`-ERR ...`), named like ioredis's so callers judge both alike. */
export class RedisReplyError extends Error {
  override name = 'ReplyError';
}

/** One decoded RESP2 reply (bulk strings as UTF-8 text, error replies as {@link RedisReplyError}). */
export type RespReply = number | string | null | Error | RespReply[];

const EMPTY = Buffer.alloc(0);

export class RespReader {
  /** the bytes read and not yet consumed */
  buf: Buffer = EMPTY;
  /** where the next reply (or the next element of the one being decoded) starts */
  pos = 0;
  /** end (exclusive) of the last {@link bulkRange} */
  bulkEnd = -1;

  /** Take in a chunk of bytes: appended to what is left unconsumed, the cursor at its start. */
  append(chunk: Buffer): void {
    this.buf = this.pos < this.buf.length ? Buffer.concat([this.buf.subarray(this.pos), chunk]) : chunk;
    this.pos = 0;
  }

  /** Forget everything (a new connection). */
  reset(): void {
    this.buf = EMPTY;
    this.pos = 0;
  }

  /** Index just past the next CRLF from pos, or -1. */
  private lineEnd(): number {
    const i = this.buf.indexOf(13, this.pos + 1);
    return i < 0 || i + 1 >= this.buf.length ? -1 : i + 2;
  }

  /**
   * The integer after a `type` byte (array/bulk length, integer reply). Throws the reply as a
   * {@link RedisReplyError} on an error reply (the cursor then past it), an Error on any other type.
   */
  header(type: number): number | RespIncomplete {
    const end = this.lineEnd();
    if (end < 0) return RESP_INCOMPLETE;
    const t = this.buf[this.pos]!;
    if (t === 45 /* - */) {
      const msg = this.buf.toString('utf8', this.pos + 1, end - 2);
      this.pos = end;
      throw new RedisReplyError(msg);
    }
    if (t !== type) throw new Error(`unexpected RESP type ${String.fromCharCode(t)} (wanted ${String.fromCharCode(type)})`);
    const n = intAt(this.buf, this.pos + 1, end - 2);
    this.pos = end;
    return n;
  }

  /** A bulk string: its start in buf (its end in {@link bulkEnd}); -1 for the null bulk. */
  bulkRange(): number | RespIncomplete {
    const n = this.header(36 /* $ */);
    if (n === RESP_INCOMPLETE) return n;
    if (n < 0) return -1;
    const start = this.pos;
    if (start + n + 2 > this.buf.length) return RESP_INCOMPLETE;
    this.pos = start + n + 2;
    this.bulkEnd = start + n;
    return start;
  }

  /** A bulk string as text (null for the null bulk). */
  bulk(encoding: BufferEncoding): string | null | RespIncomplete {
    const start = this.bulkRange();
    if (start === RESP_INCOMPLETE) return start;
    return start < 0 ? null : this.buf.toString(encoding, start, this.bulkEnd);
  }

  /** Any reply, generically; error replies (also inside arrays) as values. Throws on bytes that are not RESP. */
  any(): RespReply | RespIncomplete {
    const end = this.lineEnd();
    if (end < 0) return RESP_INCOMPLETE;
    const buf = this.buf;
    const i = this.pos;
    switch (buf[i]) {
      case 58 /* : */:
        this.pos = end;
        return intAt(buf, i + 1, end - 2);
      case 43 /* + */:
        this.pos = end;
        return buf.toString('utf8', i + 1, end - 2);
      case 45 /* - */:
        this.pos = end;
        return new RedisReplyError(buf.toString('utf8', i + 1, end - 2));
      case 36 /* $ */:
        return this.bulk('utf8');
      case 42 /* * */: {
        const count = intAt(buf, i + 1, end - 2);
        this.pos = end;
        if (count < 0) return null;
        const arr: RespReply[] = [];
        for (let k = 0; k < count; k++) {
          const v = this.any();
          if (v === RESP_INCOMPLETE) return v;
          arr.push(v);
        }
        return arr;
      }
      default:
        throw new Error(`unexpected RESP type ${String.fromCharCode(buf[i]!)}`);
    }
  }
}

/** The decimal integer (optionally negative) in [from, to). */
function intAt(buf: Buffer, from: number, to: number): number {
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
