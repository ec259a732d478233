import { OUTCOMES, type Outcome } from '../model/outcome.js';

/** The fields of a ledger line the invariants use. */
export interface LedgerLine {
  o: Outcome;
  tpl: number;
  u: number;
  seq?: number;
  c?: string;
  /** epoch ms when the request was sent, and µs from send to answer (absent in hand-made ledgers) */
  ts?: number;
  lat?: number;
}

const OUTCOME_SET = new Set<string>(OUTCOMES);
const BACKSLASH = 92;

/** Non-negative integer right after `key`, ending at `,` `}` or space; undefined when absent; NaN when malformed. */
function intAfter(line: string, key: string): number | undefined {
  const k = line.indexOf(key);
  if (k < 0) return undefined;
  let i = k + key.length;
  let v = 0;
  const start = i;
  for (; i < line.length; i++) {
    const d = line.charCodeAt(i) - 48;
    if (d < 0 || d > 9) break;
    v = v * 10 + d;
  }
  const end = line.charCodeAt(i);
  if (i === start || i - start > 15 || (end !== 44 && end !== 125 && end !== 32)) return NaN;
  return v;
}

/** Finite number (fractional allowed) right after `key`; undefined when absent or malformed. */
function numAfter(line: string, key: string): number | undefined {
  const k = line.indexOf(key);
  if (k < 0) return undefined;
  const from = k + key.length;
  let to = from;
  for (; to < line.length; to++) {
    const ch = line.charCodeAt(to);
    if (ch === 44 || ch === 125) break;
  }
  const v = Number(line.slice(from, to));
  return to > from && Number.isFinite(v) ? v : undefined;
}

/** String right after `key` (which ends with the opening quote); undefined when absent. */
function strAfter(line: string, key: string): string | undefined {
  const k = line.indexOf(key);
  if (k < 0) return undefined;
  const from = k + key.length;
  const to = line.indexOf('"', from);
  return to < 0 ? undefined : line.slice(from, to);
}

/**
 * Parse one ledger line. A field scanner handles the writer's own lines (no escapes) about three
 * times faster than JSON.parse; anything unusual (escapes, odd numbers, missing fields) goes
 * through JSON.parse. Returns undefined for a line that is not a ledger record.
 */
export function parseLedgerLine(line: string): LedgerLine | undefined {
  if (line.indexOf(String.fromCharCode(BACKSLASH)) < 0 && line.charCodeAt(0) === 123) {
    const o = strAfter(line, '"o":"');
    const u = intAfter(line, '"u":');
    const tpl = intAfter(line, '"tpl":');
    const seq = intAfter(line, '"seq":');
    if (o !== undefined && OUTCOME_SET.has(o) && u !== undefined && !Number.isNaN(u) && tpl !== undefined && !Number.isNaN(tpl) && !Number.isNaN(seq)) {
      const rec: LedgerLine = { o: o as Outcome, tpl, u };
      if (seq !== undefined) rec.seq = seq;
      const c = strAfter(line, '"c":"');
      if (c !== undefined) rec.c = c;
      const ts = numAfter(line, '"ts":');
      const lat = numAfter(line, '"lat":');
      if (ts !== undefined && lat !== undefined) [rec.ts, rec.lat] = [ts, lat];
      return rec;
    }
  }
  let r: unknown;
  try {
    r = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof r !== 'object' || r === null) return undefined;
  const x = r as Record<string, unknown>;
  if (typeof x.o !== 'string' || !OUTCOME_SET.has(x.o) || !Number.isSafeInteger(x.u) || !Number.isSafeInteger(x.tpl)) return undefined;
  const rec: LedgerLine = { o: x.o as Outcome, tpl: x.tpl as number, u: x.u as number };
  if (Number.isSafeInteger(x.seq)) rec.seq = x.seq as number;
  if (typeof x.c === 'string') rec.c = x.c;
  if (Number.isFinite(x.ts) && Number.isFinite(x.lat)) [rec.ts, rec.lat] = [x.ts as number, x.lat as number];
  return rec;
}
