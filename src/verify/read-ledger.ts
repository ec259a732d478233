import { createReadStream } from 'node:fs';
import { CouponBenchError, UsageError } from '../errors.js';
import { parseCouponId } from '../model/coupon-id.js';
import { OUTCOME_INDEX, isDefiniteFailure, type Outcome } from '../model/outcome.js';
import { parseLedgerLine, type LedgerLine } from './ledger-line.js';
import { outcomeBit, type LedgerSnapshot } from './snapshot.js';
import { MAX_EXAMPLES } from './invariants/result.js';
import { couponLabel } from './coupon-label.js';
import { RepeatTiming } from './repeat-timing.js';

/** The ledger folded per template. */
export interface LedgerFold {
  /** per template id */
  templates: Map<number, LedgerSnapshot>;
  /** every record read, all templates */
  records: number;
  /** lines that were not a ledger record */
  malformed: number;
  /** true when some record is a definite failure (the file is a 'full' ledger) */
  hasRefusals: boolean;
}

const ISSUED_BIT = outcomeBit(OUTCOME_INDEX.issued);

function emptyCounts(): Record<Outcome, number> {
  return { issued: 0, sold_out: 0, duplicate: 0, not_found: 0, rejected: 0, unknown: 0 };
}

function newSnapshot(mode: 'full' | 'acked', timed = true): LedgerSnapshot {
  return {
    mode,
    records: 0,
    counts: emptyCounts(),
    outcomesByUser: new Map(),
    issuedSeq: new Map(),
    extraIssued: 0,
    extraIssuedExamples: [],
    ...(timed ? { timing: new RepeatTiming() } : {}),
  };
}

/**
 * Fold one record into its template's snapshot (exported for unit tests). With `opaqueIds` (a
 * foreign service) the coupon id is kept as given and a seq comes only from the answer's own seq.
 */
export function foldRecord(snap: LedgerSnapshot, r: LedgerLine, opaqueIds = false): void {
  snap.records++;
  snap.counts[r.o]++;
  const idx = OUTCOME_INDEX[r.o];
  const bits = snap.outcomesByUser.get(r.u) ?? 0;
  snap.outcomesByUser.set(r.u, bits | outcomeBit(idx));
  snap.timing?.add(r.u, r.o === 'issued', r.ts, r.lat);
  if (r.o !== 'issued') return;
  const seq = r.seq ?? (r.c !== undefined && !opaqueIds ? parseCouponId(r.c)?.seq : undefined) ?? 0;
  const coupon = opaqueIds ? r.c : undefined;
  if (bits & ISSUED_BIT) {
    snap.extraIssued++;
    const at = snap.extraIssuedExamples.findIndex((e) => e.startsWith(`user ${r.u}: `));
    const first = couponLabel(snap.issuedSeq.get(r.u), snap.issuedCoupon?.get(r.u));
    // One example per user: a third 200 to the same user updates its example.
    if (at >= 0) snap.extraIssuedExamples[at] = `user ${r.u}: told 200 again (${first}, …, ${couponLabel(seq, coupon)})`;
    else if (snap.extraIssuedExamples.length < MAX_EXAMPLES) snap.extraIssuedExamples.push(`user ${r.u}: told 200 twice (${first} and ${couponLabel(seq, coupon)})`);
    return;
  }
  snap.issuedSeq.set(r.u, seq);
  if (coupon !== undefined) (snap.issuedCoupon ??= new Map()).set(r.u, coupon);
}

/**
 * Read `ledger.ndjson` line by line (streamed in 1 MiB chunks: memory grows with distinct users, not
 * with the file). `only` limits the templates kept; `mode` is the report's ledger mode when known,
 * otherwise it is inferred (a file holding any refusal is 'full'); `opaqueIds` keeps coupon ids as
 * given (a foreign service's ids are not `<template>-<seq>`).
 */
export async function readLedger(path: string, opts: { only?: ReadonlySet<number>; mode?: 'full' | 'acked'; opaqueIds?: boolean } = {}): Promise<LedgerFold> {
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 });
  const opened = new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (err) => reject(new UsageError(`ledger ${path}: ${err.message}`, 'E_LEDGER')));
  });
  await opened;
  const fold: LedgerFold = { templates: new Map(), records: 0, malformed: 0, hasRefusals: false };
  const onLine = (line: string): void => {
    if (line.length === 0 || (line.length === 1 && line === '\r')) return;
    const r = parseLedgerLine(line);
    if (!r) {
      fold.malformed++;
      return;
    }
    fold.records++;
    if (isDefiniteFailure(r.o)) fold.hasRefusals = true;
    if (opts.only && !opts.only.has(r.tpl)) return;
    let snap = fold.templates.get(r.tpl);
    // An acked ledger holds no repeated requests: when the report says so, no timing is kept.
    if (!snap) fold.templates.set(r.tpl, (snap = newSnapshot(opts.mode ?? 'acked', opts.mode !== 'acked')));
    foldRecord(snap, r, opts.opaqueIds);
  };
  // Split chunks by hand: a line at a time like readline, without its per-line event overhead.
  let rest = '';
  for await (const chunk of stream as AsyncIterable<string>) {
    const text = rest.length ? rest + chunk : chunk;
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      onLine(text.slice(start, nl));
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  onLine(rest);
  if (fold.records === 0 && fold.malformed > 0) {
    throw new CouponBenchError('E_LEDGER', `ledger ${path}: no valid record in ${fold.malformed} line(s)`);
  }
  const mode = opts.mode ?? (fold.hasRefusals ? 'full' : 'acked');
  for (const s of fold.templates.values()) s.mode = mode;
  return fold;
}

/** An empty snapshot for a template the ledger never mentions. */
export function emptyLedgerSnapshot(mode: 'full' | 'acked'): LedgerSnapshot {
  return newSnapshot(mode);
}
