import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bindTemplateQuery } from '../../src/verify/db-query.js';
import { formatHeadline } from '../../src/verify/headline.js';
import { mergeResults } from '../../src/verify/merge-results.js';
import { nothingCheckedReason } from '../../src/verify/nothing-checked.js';
import { readLedger } from '../../src/verify/read-ledger.js';
import { parseLedgerLine } from '../../src/verify/ledger-line.js';
import { formatVerdict } from '../../src/verify/verdict-table.js';
import type { Outcome } from '../../src/model/outcome.js';
import type { VerdictJson } from '../../src/model/verdict.js';

describe('bindTemplateQuery', () => {
  it('turns :template, $1 and ? into the engine placeholder, leaving quoted text alone', () => {
    const sql = "SELECT user_id, coupon_id FROM c WHERE tpl = :template AND note <> ':template?' AND x = $1";
    expect(bindTemplateQuery(sql, 7, 'question')).toEqual({
      sql: "SELECT user_id, coupon_id FROM c WHERE tpl = ? AND note <> ':template?' AND x = ?",
      params: [7, 7],
    });
    expect(bindTemplateQuery('SELECT a FROM b WHERE t = ?', 7, 'dollar')).toEqual({ sql: 'SELECT a FROM b WHERE t = $1', params: [7] });
    expect(bindTemplateQuery('SELECT a::int FROM b WHERE t = $1', 7, 'dollar').sql).toBe('SELECT a::int FROM b WHERE t = $1');
  });
  it('refuses a query without a placeholder', () => {
    expect(() => bindTemplateQuery('SELECT 1', 1, 'question')).toThrow(/placeholder/);
  });
});

describe('formatHeadline', () => {
  it('reads like the origin story', () => {
    const h = formatHeadline(
      { issued: 10, distinctUsers: 10, exact: true, bySource: { db: 10, redis: 10, told200: 10 }, outcomes: { issued: 10, sold_out: 9627, duplicate: 92, not_found: 0, rejected: 0, unknown: 0 } },
      [],
    );
    expect(h).toBe('exactly 10 issued to 10 distinct users; 9,719 refused: 9,627 sold out, 92 duplicate; 0 unknown');
  });
  it('names failed invariants', () => {
    const h = formatHeadline({ issued: 11, distinctUsers: 10, exact: false, bySource: { db: 11, redis: 12 } }, [
      { name: 'no-over-issue', status: 'FAIL', counts: {}, examples: [], detail: '' },
    ]);
    expect(h).toBe('11 issued to 10 distinct users (DB 11, Redis 12); FAILED: no-over-issue');
  });
});

describe('mergeResults', () => {
  it('FAIL wins, examples name the template, counts add', () => {
    const m = mergeResults('no-lost-ack', [
      { templateId: 1, result: { name: 'no-lost-ack', status: 'PASS', counts: { missing: 0 }, examples: [], detail: 'ok' } },
      { templateId: 2, result: { name: 'no-lost-ack', status: 'FAIL', counts: { missing: 2 }, examples: ['user 3'], detail: 'lost' } },
    ]);
    expect(m).toMatchObject({ status: 'FAIL', counts: { missing: 2 }, examples: ['template 2: user 3'] });
  });
  it('all SKIP stays SKIP; PASS + SKIP is PASS with a note', () => {
    const skip = { name: 'no-phantom' as const, status: 'SKIP' as const, counts: {}, examples: [], detail: 'acked' };
    expect(mergeResults('no-phantom', [{ templateId: 1, result: skip }, { templateId: 2, result: skip }]).status).toBe('SKIP');
    const m = mergeResults('no-phantom', [{ templateId: 1, result: { ...skip, status: 'PASS', detail: 'ok' } }, { templateId: 2, result: skip }]);
    expect(m.status).toBe('PASS');
    expect(m.detail).toContain('skipped for template 2');
  });
});

describe('readLedger', () => {
  it('streams records, infers full mode from refusals, counts malformed lines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'verify-ledger-'));
    const path = join(dir, 'ledger.ndjson');
    writeFileSync(
      path,
      [
        '{"o":"issued","tpl":1,"u":5,"st":200,"c":"1-1","seq":1,"ts":1,"lat":10}',
        '{"o":"issued","tpl":1,"u":5,"st":200,"c":"1-2","ts":2,"lat":10}',
        '{"o":"sold_out","tpl":1,"u":6,"st":400,"ts":3,"lat":10}',
        '{"o":"issued","tpl":2,"u":6,"st":200,"c":"2-1","ts":3,"lat":10}',
        'not json',
        '',
      ].join('\n'),
    );
    const fold = await readLedger(path, { only: new Set([1]) });
    expect(fold.records).toBe(4);
    expect(fold.malformed).toBe(1);
    expect([...fold.templates.keys()]).toEqual([1]);
    const t = fold.templates.get(1)!;
    expect(t.mode).toBe('full');
    expect(t.counts).toMatchObject({ issued: 2, sold_out: 1 });
    expect(t.extraIssued).toBe(1);
    expect(t.extraIssuedExamples[0]).toBe('user 5: told 200 twice (seq 1 and seq 2)');
  });
  it('a ledger of only acknowledgements is acked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'verify-ledger-'));
    const path = join(dir, 'ledger.ndjson');
    writeFileSync(path, '{"o":"issued","tpl":1,"u":5,"st":200,"c":"1-1","ts":1,"lat":10}\n');
    expect((await readLedger(path)).templates.get(1)!.mode).toBe('acked');
  });
});

describe('formatVerdict', () => {
  const v: VerdictJson = {
    ok: false,
    headline: '11 issued; FAILED: no-over-issue',
    templates: [1],
    exitCode: 100,
    invariants: [
      { name: 'no-over-issue', status: 'FAIL', counts: { stock: 10, dbRows: 11 }, examples: ['DB: 11 rows > stock 10'], detail: 'more coupons than the stock' },
      { name: 'no-phantom', status: 'SKIP', counts: {}, examples: [], detail: 'acked ledger' },
    ],
  };
  it('prints status, counts and examples without colour codes when asked', () => {
    const out = formatVerdict(v, { color: false });
    expect(out.includes('\u001b[')).toBe(false);
    expect(out).toContain('FAIL  11 issued; FAILED: no-over-issue');
    expect(out).toMatch(/no-over-issue\s*│\s*FAIL/);
    expect(out).toContain('dbRows=11');
    expect(out).toContain('• DB: 11 rows > stock 10');
    expect(out).toMatch(/no-phantom\s*│\s*SKIP/);
  });
  it('colours on a TTY', () => {
    expect(formatVerdict(v, { color: true }).includes('\u001b[')).toBe(true);
  });
});

describe('parseLedgerLine', () => {
  it('the fast path reads the writer\'s lines like JSON.parse does', () => {
    const line = '{"o":"issued","tpl":3,"u":1234567,"st":200,"c":"3-17","seq":17,"ts":1732700000000.123,"lat":812}';
    expect(parseLedgerLine(line)).toEqual({ o: 'issued', tpl: 3, u: 1234567, seq: 17, c: '3-17', ts: 1732700000000.123, lat: 812 });
    expect(parseLedgerLine('{"o":"unknown","tpl":1,"u":5,"st":0,"ts":1,"lat":3,"err":"UND_ERR_HEADERS_TIMEOUT"}')).toEqual({ o: 'unknown', tpl: 1, u: 5, ts: 1, lat: 3 });
  });
  it('falls back to JSON.parse for other key orders, spaces and escapes, and rejects non-records', () => {
    expect(parseLedgerLine('{ "u": 5, "tpl": 1, "o": "sold_out", "st": 400 }')).toEqual({ o: 'sold_out', tpl: 1, u: 5 });
    expect(parseLedgerLine('{"o":"issued","tpl":1,"u":5,"c":"1-\\u0032","seq":2}')).toEqual({ o: 'issued', tpl: 1, u: 5, c: '1-2', seq: 2 });
    expect(parseLedgerLine('{"o":"issued","tpl":1,"u":5.5}')).toBeUndefined();
    expect(parseLedgerLine('{"o":"maybe","tpl":1,"u":5}')).toBeUndefined();
    expect(parseLedgerLine('[1,2]')).toBeUndefined();
    expect(parseLedgerLine('{"o":"issued"')).toBeUndefined();
  });
});

describe('nothingCheckedReason', () => {
  const counts = (o: Partial<Record<Outcome, number>>): Record<Outcome, number> => ({ issued: 0, sold_out: 0, duplicate: 0, not_found: 0, rejected: 0, unknown: 0, ...o });
  it('a run whose own harness was invalid checked nothing verify can pass on', () => {
    const invalid = { harness: { valid: false, reasons: ['zero requests checked: no request got an HTTP answer'] }, metrics: { http_reqs: { count: 900 } } };
    expect(nothingCheckedReason(invalid, { records: 900 })).toBe('harness invalid (zero requests checked: no request got an HTTP answer)');
    expect(nothingCheckedReason({ harness: { valid: true, reasons: [], answered: 0 } }, { records: 3 })).toBe('zero requests checked: no request got an HTTP answer');
    expect(nothingCheckedReason({ harness: { valid: true, reasons: [], answered: 5 }, metrics: { http_reqs: { count: 5 } } }, { records: 0 })).toBeUndefined();
  });
  it('without a report, the ledger decides', () => {
    expect(nothingCheckedReason(undefined, { records: 0, mode: 'full' })).toBe('zero requests checked');
    // an empty acked ledger may follow thousands of refusals (stock 0): say so, and what to pass
    expect(nothingCheckedReason(undefined, { records: 0, mode: 'acked' })).toMatch(/^zero requests checked \(the ledger holds no record; .*pass the run's --report/);
    expect(nothingCheckedReason(undefined, { records: 4 })).toBeUndefined();
    expect(nothingCheckedReason(undefined, undefined)).toBeUndefined();
  });
  it('answers none of which came from issuance checked nothing: report counters, or a full ledger', () => {
    const notFound = counts({ not_found: 1000 });
    expect(nothingCheckedReason({ outcomes: notFound, metrics: { http_reqs: { count: 1000 } } }, undefined)).toMatch(/^zero requests checked: every answer was not_found .*was the template created \(--setup\)\?$/);
    expect(nothingCheckedReason(undefined, { records: 1000, mode: 'full', counts: notFound })).toMatch(/every answer was not_found/);
    // an acked ledger holds no refusals: its counts cannot say
    expect(nothingCheckedReason(undefined, { records: 3, mode: 'acked', counts: counts({ unknown: 3 }) })).toBeUndefined();
    expect(nothingCheckedReason({ outcomes: counts({ not_found: 990, sold_out: 10 }) }, undefined)).toBeUndefined();
  });
});
