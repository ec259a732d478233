import { couponIdOf } from '../model/coupon-id.js';
import type { IssuedRow } from './store.js';
import { posIntAt, type ReadEntry } from './stream-reply.js';

/**
 * One raw stream entry as Buffers: [id, [field, value, ...]] (fields null when the entry was
 * deleted). Replies are read with callBuffer: no per-field string conversion on the hot path.
 */
export type RawEntry = [Buffer, Buffer[] | null];

/** An entry that cannot be written, and why. */
export interface FailedEntry {
  id: string;
  fields: string[];
  reason: string;
}

/** Result of parsing one entry. */
export type Parsed = { id: string; row: IssuedRow } | FailedEntry;

const posInt = (v: string | undefined): number | undefined => {
  if (v === undefined || !/^[0-9]{1,16}$/.test(v)) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
};

/** Parse one outbox entry (fields u, s, t, tpl written by lua/issue-4.lua). Pure; exported for tests. */
export function parseOutboxEntry(templateId: number, id: string, fields: readonly string[]): Parsed {
  let u: string | undefined, s: string | undefined, t: string | undefined, tp: string | undefined;
  if (fields.length === 8 && fields[0] === 'u' && fields[2] === 's' && fields[4] === 't' && fields[6] === 'tpl') {
    [, u, , s, , t, , tp] = fields;
  } else {
    const f = new Map<string, string>();
    for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i]!, fields[i + 1]!);
    [u, s, t, tp] = [f.get('u'), f.get('s'), f.get('t'), f.get('tpl')];
  }
  const userId = posInt(u);
  const seq = posInt(s);
  const issuedAt = posInt(t);
  const tpl = posInt(tp);
  if (userId === undefined || seq === undefined || issuedAt === undefined || tpl === undefined) {
    return { id, fields: [...fields], reason: 'malformed entry: u, s, t, tpl must be positive integers' };
  }
  if (tpl !== templateId) return { id, fields: [...fields], reason: `entry names template ${tpl} but sits in template ${templateId}'s outbox` };
  return { id, row: { couponId: couponIdOf(tpl, seq), templateId: tpl, userId, seq, issuedAt } };
}

/** Same rule as posInt (1..16 decimal digits, safe, > 0) read straight from the reply bytes; -1 if not. */
function posIntBuf(b: Buffer | undefined): number {
  return b === undefined ? -1 : posIntAt(b, 0, b.length);
}

/**
 * Fast path of parseOutboxEntry on Buffers, for the field order lua/issue-4.lua writes: no
 * intermediate strings. Returns undefined for anything else (the caller falls back to the string parser).
 */
export function parseOutboxBuffers(templateId: number, fields: readonly Buffer[]): IssuedRow | undefined {
  if (fields.length !== 8) return undefined;
  const f0 = fields[0]!, f2 = fields[2]!, f4 = fields[4]!, f6 = fields[6]!;
  // 'u' 's' 't' 'tpl' compared by bytes, without decoding.
  if (f0.length !== 1 || f0[0] !== 0x75 || f2.length !== 1 || f2[0] !== 0x73 || f4.length !== 1 || f4[0] !== 0x74) return undefined;
  if (f6.length !== 3 || f6[0] !== 0x74 || f6[1] !== 0x70 || f6[2] !== 0x6c) return undefined;
  const userId = posIntBuf(fields[1]);
  const seq = posIntBuf(fields[3]);
  const issuedAt = posIntBuf(fields[5]);
  const tpl = posIntBuf(fields[7]);
  if (userId < 0 || seq < 0 || issuedAt < 0 || tpl !== templateId) return undefined;
  return { couponId: couponIdOf(tpl, seq), templateId: tpl, userId, seq, issuedAt };
}

/** ioredis Buffer entries -> ReadEntry (rows parsed from the bytes where possible). */
export function toReadEntries(templateId: number, raw: readonly RawEntry[]): ReadEntry[] {
  return raw.map(([id, fields]) => {
    const row = fields === null ? undefined : parseOutboxBuffers(templateId, fields);
    return { id: id.toString('latin1'), row, fields: fields === null || row !== undefined ? null : fields.map((f) => f.toString()) };
  });
}

/** Fields of a row in the outbox's own format, for dead-letter entries. */
export function rowFields(r: IssuedRow): string[] {
  return ['u', String(r.userId), 's', String(r.seq), 't', String(r.issuedAt), 'tpl', String(r.templateId)];
}
