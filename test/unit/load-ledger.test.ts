import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LedgerWriter } from '../../src/load/ledger-writer.js';
import { readLedger } from '../../src/load/ledger-reader.js';
import { Recorder } from '../../src/load/recorder.js';
import type { LedgerRecord } from '../../src/model/ledger-record.js';
import { jsonStringField } from '../../src/load/body-extract.js';

describe('ledger', () => {
  it('round-trips records through NDJSON (many flushes)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-ledger-'));
    try {
      const path = join(dir, 'ledger.ndjson');
      const w = new LedgerWriter(path);
      const recs: LedgerRecord[] = [];
      for (let i = 0; i < 20_000; i++) {
        const r: LedgerRecord = { o: i % 7 === 0 ? 'unknown' : 'issued', tpl: 1 + (i % 3), u: i + 1, st: i % 7 === 0 ? 0 : 200, ts: 1700000000000.123 + i, lat: 100 + i };
        if (r.o === 'issued') Object.assign(r, { c: `${r.tpl}-${i}`, seq: i });
        else r.err = 'ECONNRESET';
        recs.push(r);
        w.write(r);
      }
      await w.close();
      expect(w.records).toBe(20_000);
      const back: LedgerRecord[] = [];
      for await (const r of readLedger(path)) back.push(r);
      expect(back).toEqual(recs);
      expect(readFileSync(path, 'utf8').endsWith('\n')).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('acked mode records issued and unknown only; full records every request', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-ledger-'));
    try {
      for (const full of [false, true]) {
        const path = join(dir, `l-${full}.ndjson`);
        const w = new LedgerWriter(path);
        const r = new Recorder([], w, full);
        r.start(0);
        r.record('issued', 200, 1, 1, 0, 0, 1, '1-1', 1, undefined);
        r.record('sold_out', 400, 1, 2, 0, 0, 1, undefined, undefined, undefined);
        r.record('duplicate', 400, 1, 1, 0, 0, 1, '1-1', undefined, undefined);
        r.record('unknown', 0, 1, 3, 0, 0, 1, undefined, undefined, 'ECONNRESET');
        await w.close();
        const got: LedgerRecord[] = [];
        for await (const x of readLedger(path)) got.push(x);
        expect(got.map((x) => x.o)).toEqual(full ? ['issued', 'sold_out', 'duplicate', 'unknown'] : ['issued', 'unknown']);
        expect(got[0]).toMatchObject({ o: 'issued', tpl: 1, u: 1, st: 200, c: '1-1', seq: 1, lat: 1000 });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('extracts body fields without a full parse', () => {
    const ok = '{"couponId":"1-7","userId":3,"templateId":1,"seq":7,"issuedAt":1}';
    expect(jsonStringField(ok, 'couponId')).toBe('1-7');
    expect(jsonStringField('{"code": "COUPON_OUT_OF_STOCK","message":"x"}', 'code')).toBe('COUPON_OUT_OF_STOCK');
    expect(jsonStringField('{"message":"x"}', 'code')).toBeUndefined();
  });
});
