import { describe, expect, it } from 'vitest';
import { INVARIANTS, type InvariantResult, type VerdictJson } from '../../src/model/verdict.js';
import { formatVerdict } from '../../src/verify/verdict-table.js';
import { wrapCommand, wrapText } from '../../src/verify/wrap-text.js';

const LONG_WORD = `user_${'x'.repeat(140)}`;

/** A verdict with everything that makes lines long: counts, examples, a word wider than any column. */
function bigVerdict(): VerdictJson {
  const invariants: InvariantResult[] = INVARIANTS.map((name, i) => ({
    name,
    status: i === 0 ? 'FAIL' : i === 3 ? 'SKIP' : 'PASS',
    counts: { stock: 10_000, redisIssued: 10_001 + i, dbRows: 9_999, ledgerIssued: 10_000, refusedUsers: 9_627 },
    examples: i === 0 ? ['DB: 10,001 rows > stock 10,000', `user 123456789: told 200 twice (seq 1 and 2) ${LONG_WORD}`, 'Redis: seq counter 10,003 but 10,001 holders (2 issued to a holder)'] : [],
    detail: `${name}: a detail long enough to need wrapping in a narrow terminal, naming prefix "cbdemo-abc123" and database sqlite:/tmp/coupon-bench-demo-XXXXXX/coupons.sqlite`,
    ...(i === 1 ? { exercised: false, exercise: { count: 0, of: 'users who asked again while stock remained', why: 'no user asked twice before sell-out' } } : {}),
    ...(i === 2 ? { exercised: true, exercise: { count: 9_627, of: 'requests told sold out (demand beyond the stock)' } } : {}),
  }));
  return {
    ok: false,
    headline: 'exactly 10,000 issued to 10,000 distinct users; 9,719 refused: 9,627 sold out, 92 duplicate; 0 unknown; FAILED: no-over-issue',
    templates: [1, 2],
    invariants,
    exitCode: 100,
    sources: { report: '/home/someone/projects/shop/reports/2026-12-06T19-40-00-seed-k6/report.json', redis: 'redis://:***@127.0.0.1:6379 prefix cb' },
  };
}

const plain = (s: string): string => s.replace(/\s+/g, '');

describe('formatVerdict at any width', () => {
  for (const width of [60, 80, 99, 100, 120, 160]) {
    it(`${width} columns: no line is wider, and nothing is cut off`, () => {
      const v = bigVerdict();
      const out = formatVerdict(v, { color: false, width });
      for (const line of out.split('\n')) expect(line.length, line).toBeLessThanOrEqual(width);
      expect(out).not.toContain('…');
      // Every count, example and detail is there (wrapped: compare without the white space and borders).
      const flat = plain(out.replace(/[│┌┐└┘├┤┬┴┼─]/g, ''));
      for (const i of v.invariants) {
        for (const [k, n] of Object.entries(i.counts)) expect(flat).toContain(`${k}=${n.toLocaleString('en-US')}`);
        if (width < 100) {
          for (const e of i.examples) expect(flat).toContain(plain(`• ${e}`));
          expect(flat).toContain(plain(i.detail));
        }
      }
      expect(flat).toContain(plain(v.headline));
      if (width < 100) expect(flat).toContain(plain('PASS, not exercised (no user asked twice before sell-out)'));
    });
  }
  it('colour codes do not count against the width', () => {
    for (const width of [80, 120]) {
      const out = formatVerdict(bigVerdict(), { color: true, width });
      expect(out).toContain('\u001b[');
      // eslint-disable-next-line no-control-regex
      for (const line of out.replace(/\u001b\[[0-9;]*m/g, '').split('\n')) expect(line.length, line).toBeLessThanOrEqual(width);
    }
  });
  it('the table wraps the detail column: each cell holds its whole text', () => {
    const v = bigVerdict();
    const out = formatVerdict(v, { color: false, width: 100 });
    const detail = out
      .split('\n')
      .filter((l) => l.startsWith('│'))
      .map((l) => l.split('│')[4] ?? '')
      .join('');
    for (const e of v.invariants[0]!.examples) expect(plain(detail)).toContain(plain(`• ${e}`));
    expect(plain(detail)).toContain(plain(v.invariants[5]!.detail));
    expect(plain(detail)).toContain(plain('PASS, not exercised (no user asked twice before sell-out)'));
  });
  it('below 100 columns it is a list: status and name on one line, the rest indented', () => {
    const out = formatVerdict(bigVerdict(), { color: false, width: 80 });
    expect(out).not.toContain('│');
    expect(out).toMatch(/^FAIL {2}no-over-issue$/m);
    expect(out).toMatch(/^PASS\* no-duplicate-user\n {6}PASS, not exercised \(no user asked twice before sell-out\)$/m);
  });
  it('piped without COLUMNS: a 120-column table, the headline on one line for grep', () => {
    const v = bigVerdict();
    const out = formatVerdict(v, { color: false, width: 120, wrapAll: false });
    expect(out.split('\n')[0]).toBe(`FAIL  ${v.headline}`);
    for (const line of out.split('\n').filter((l) => /^[│┌├└]/.test(l))) expect(line.length).toBeLessThanOrEqual(120);
  });
});

describe('wrapping helpers', () => {
  it('wrapText breaks at spaces and inside a word only when it alone is too wide', () => {
    expect(wrapText('aaa bbb ccc', 7)).toEqual(['aaa bbb', 'ccc']);
    expect(wrapText('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
    expect(wrapText('a\nb', 10)).toEqual(['a', 'b']);
  });
  it('wrapCommand keeps a quoted argument whole and continues lines with a backslash', () => {
    const lines = wrapCommand("coupon-bench verify --ledger l.ndjson --db-query 'SELECT user_id, coupon_id FROM c WHERE t = :template' --template 1:10", 50);
    expect(lines.join('\n')).toContain("'SELECT user_id, coupon_id FROM c WHERE t = :template'");
    for (const l of lines.slice(0, -1)) expect(l.endsWith(' \\')).toBe(true);
    expect(lines.map((l) => l.replace(/ \\$/, '').trim()).join(' ')).toBe("coupon-bench verify --ledger l.ndjson --db-query 'SELECT user_id, coupon_id FROM c WHERE t = :template' --template 1:10");
  });
});
