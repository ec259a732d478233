import { couponIdOf } from '../model/coupon-id.js';
import { RESP_INCOMPLETE, type RespIncomplete, type RespReader } from '../redis/resp-reader.js';
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

const ARRAY = 42; /* * */

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

/**
 * An XREADGROUP reply straight from the bytes: null (nothing new) or streams of entries, an entry
 * of the issue script's fields (u, s, t, tpl) as a row without any string in between — where ioredis
 * builds a Buffer per field and nested arrays (most of the persister's CPU per entry).
 */
export function readStreams(r: RespReader): ReadStream[] | null | RespIncomplete {
  const n = r.header(ARRAY);
  if (n === RESP_INCOMPLETE) return n;
  if (n < 0) return null;
  const out: ReadStream[] = [];
  for (let s = 0; s < n; s++) {
    if (r.header(ARRAY) === RESP_INCOMPLETE) return RESP_INCOMPLETE; // *2
    const key = r.bulk('latin1');
    if (key === RESP_INCOMPLETE) return key;
    const count = r.header(ARRAY);
    if (count === RESP_INCOMPLETE) return count;
    const entries: ReadEntry[] = [];
    for (let i = 0; i < count; i++) {
      const e = readEntry(r);
      if (e === RESP_INCOMPLETE) return e;
      entries.push(e);
    }
    out.push({ key: key ?? '', entries });
  }
  return out;
}

/** The fields of one entry: straight to a row when they are u, s, t, tpl; strings otherwise. */
function readEntry(r: RespReader): ReadEntry | RespIncomplete {
  if (r.header(ARRAY) === RESP_INCOMPLETE) return RESP_INCOMPLETE; // *2
  const id = r.bulk('latin1');
  if (id === RESP_INCOMPLETE) return id;
  const n = r.header(ARRAY);
  if (n === RESP_INCOMPLETE) return n;
  if (n < 0) return { id: id ?? '', row: undefined, fields: null };
  const ranges: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = r.bulkRange();
    if (start === RESP_INCOMPLETE) return start;
    ranges.push(start, start < 0 ? -1 : r.bulkEnd);
  }
  const buf = r.buf;
  if (n === 8 && is(buf, ranges[0]!, ranges[1]!, 'u') && is(buf, ranges[4]!, ranges[5]!, 's') && is(buf, ranges[8]!, ranges[9]!, 't') && is(buf, ranges[12]!, ranges[13]!, 'tpl')) {
    const userId = posIntAt(buf, ranges[2]!, ranges[3]!);
    const seq = posIntAt(buf, ranges[6]!, ranges[7]!);
    const issuedAt = posIntAt(buf, ranges[10]!, ranges[11]!);
    const tpl = posIntAt(buf, ranges[14]!, ranges[15]!);
    if (userId > 0 && seq > 0 && issuedAt > 0 && tpl > 0) {
      return { id: id ?? '', row: { couponId: couponIdOf(tpl, seq), templateId: tpl, userId, seq, issuedAt }, fields: null };
    }
  }
  const fields: string[] = [];
  for (let i = 0; i < ranges.length; i += 2) fields.push(ranges[i]! < 0 ? '' : buf.toString('utf8', ranges[i], ranges[i + 1]));
  return { id: id ?? '', row: undefined, fields };
}

/** `name` equals the bytes at [start, end) of `buf`. */
function is(buf: Buffer, start: number, end: number, name: string): boolean {
  if (end - start !== name.length) return false;
  for (let i = 0; i < name.length; i++) if (buf[start + i] !== name.charCodeAt(i)) return false;
  return true;
}
