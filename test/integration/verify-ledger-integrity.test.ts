// A ledger that is not the whole record the run wrote (torn lines, records missing) is never
// audited to a PASS or a FAIL: exit 97, LEDGER INCOMPLETE, with what is wrong.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LedgerRecord } from '../../src/model/ledger-record.js';
import { ledgerIntegrityProblem } from '../../src/verify/ledger-integrity.js';
import { verdictWord } from '../../src/verify/verdict-text.js';
import { verify } from '../../src/verify/verify.js';

const rec = (o: LedgerRecord['o'], u: number, seq?: number): string =>
  JSON.stringify({ o, tpl: 1, u, st: o === 'issued' ? 200 : 400, ts: 1, lat: 900, ...(seq ? { seq, c: `1-${seq}` } : {}) });
// stock 2: users 1 and 2 issued, 3 sold out, 1 again duplicate
const LINES = [rec('issued', 1, 1), rec('issued', 2, 2), rec('sold_out', 3), rec('duplicate', 1)];

describe('verify: an incomplete ledger', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cb-ledger-integrity-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string): string => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const report = (ledgerFile: string, records: number): string =>
    write(`${ledgerFile}.report.json`, JSON.stringify({
      runId: 'r',
      templates: [{ templateId: 1, stock: 2 }],
      ledger: { file: ledgerFile, records, mode: 'full' },
      metrics: { http_reqs: { count: records, rate: 1 } },
      outcomes: { issued: 2, sold_out: 1, duplicate: 1, not_found: 0, rejected: 0, unknown: 0 },
    }));

  it('names torn lines and a record count the report disagrees with', () => {
    expect(ledgerIntegrityProblem('l', { records: 4, malformed: 0 }, { records: 4 })).toBeUndefined();
    expect(ledgerIntegrityProblem('l', { records: 4, malformed: 0 }, undefined)).toBeUndefined();
    expect(ledgerIntegrityProblem('l', { records: 3, malformed: 1 }, { records: 4 })).toBe(
      "l: 1 line(s) are not ledger records (a torn or edited file); it holds 3 record(s) where the run's report says it wrote 4",
    );
  });

  it('the whole ledger passes; a torn one (cut mid-record, garbage) is 97 LEDGER INCOMPLETE', async () => {
    const whole = write('whole.ndjson', LINES.join('\n') + '\n');
    const ok = await verify({ ledgerPath: whole, templateIds: [1], stocks: { 1: 2 } });
    expect(ok.exitCode).toBe(0);
    expect(ok.ledgerIncomplete).toBeUndefined();

    const torn = write('torn.ndjson', `${LINES.slice(0, 3).join('\n')}\n${LINES[3]!.slice(0, 20)}\n\u0000\u0001garbage\n`);
    const v = await verify({ ledgerPath: torn, templateIds: [1], stocks: { 1: 2 } });
    expect(v.exitCode).toBe(97);
    expect(v.ok).toBe(false);
    expect(v.ledgerIncomplete).toBe(true);
    expect(verdictWord(v)).toBe('LEDGER INCOMPLETE');
    expect(v.headline).toMatch(/torn\.ndjson: 2 line\(s\) are not ledger records/);
  });

  it('valid lines but fewer than the report says it wrote: 97, even where an invariant would fail', async () => {
    // only the sold-out answer survives: user 1 and 2's coupons would look unexplained
    write('cut.ndjson', `${LINES[2]}\n`);
    const v = await verify({ reportPath: report('cut.ndjson', 4) });
    expect(v.exitCode).toBe(97);
    expect(v.ledgerIncomplete).toBe(true);
    expect(v.headline).toMatch(/holds 1 record\(s\) where the run's report says it wrote 4/);
    write('whole2.ndjson', LINES.join('\n') + '\n');
    expect((await verify({ reportPath: report('whole2.ndjson', 4) })).ledgerIncomplete).toBeUndefined();
  });
});
