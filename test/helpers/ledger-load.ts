import { Pool } from 'undici';
import { LedgerWriter } from '../../src/load/ledger-writer.js';
import type { LedgerRecord } from '../../src/model/ledger-record.js';
import { classifyResponse, type Outcome } from '../../src/model/outcome.js';
import { Prng } from '../../src/load/prng.js';

/** A bounded concurrent load for verify's tests: N requests, C at a time, random users 1..U. */
export interface LedgerLoadOptions {
  url: string;
  templateId: number;
  /** user ids are drawn uniformly from 1..users */
  users: number;
  requests: number;
  concurrency: number;
  ledgerPath: string;
  /** stop early after this many ms (default 20 s) */
  deadlineMs?: number;
  seed?: number;
}

/** Fire the load, write a full ledger (every answer) in LedgerRecord format, return counts per outcome. */
export async function driveLedgerLoad(o: LedgerLoadOptions): Promise<Record<Outcome, number>> {
  const pool = new Pool(o.url, { connections: o.concurrency, headersTimeout: 3000, bodyTimeout: 3000 });
  const ledger = new LedgerWriter(o.ledgerPath);
  const counts: Record<Outcome, number> = { issued: 0, sold_out: 0, duplicate: 0, not_found: 0, rejected: 0, unknown: 0 };
  const gen = new Prng(o.seed ?? 42);
  const rand = (): number => gen.next();
  const deadline = Date.now() + (o.deadlineMs ?? 20_000);
  let next = 0;
  const one = async (): Promise<void> => {
    const u = 1 + Math.floor(rand() * o.users);
    const ts = performance.timeOrigin + performance.now();
    const t0 = performance.now();
    const rec: LedgerRecord = { o: 'unknown', tpl: o.templateId, u, st: 0, ts, lat: 0 };
    try {
      const res = await pool.request({
        method: 'POST',
        path: '/api/coupons/issue',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userId: u, templateId: o.templateId }),
      });
      const text = await res.body.text();
      let body: { code?: string; couponId?: string; seq?: number } = {};
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        // not JSON: classified by status alone
      }
      rec.st = res.statusCode;
      rec.o = classifyResponse(res.statusCode, body.code);
      if (body.couponId !== undefined) rec.c = body.couponId;
      if (typeof body.seq === 'number') rec.seq = body.seq;
      if (rec.o === 'unknown') rec.err = `HTTP_${res.statusCode}`;
    } catch (err) {
      rec.err = (err as { code?: string }).code ?? 'ERR';
    }
    rec.lat = Math.round((performance.now() - t0) * 1000);
    counts[rec.o]++;
    ledger.write(rec);
  };
  const worker = async (): Promise<void> => {
    while (next < o.requests && Date.now() < deadline) {
      next++;
      await one();
    }
  };
  try {
    await Promise.all(Array.from({ length: o.concurrency }, worker));
  } finally {
    await ledger.close();
    await pool.close();
  }
  return counts;
}
