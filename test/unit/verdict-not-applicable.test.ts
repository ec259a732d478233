import { describe, expect, it } from 'vitest';
import type { InvariantResult, VerdictJson } from '../../src/model/verdict.js';
import { INVARIANTS, notApplicablePhrase, notCheckedOf } from '../../src/model/verdict.js';
import { renderHtmlReport } from '../../src/report/html-report.js';
import { toJUnit } from '../../src/report/junit.js';
import { verdictSuite } from '../../src/report/junit-suites.js';
import { mergeResults } from '../../src/verify/merge-results.js';
import { formatVerdict } from '../../src/verify/verdict-table.js';
import { verdictWord } from '../../src/verify/verdict-text.js';
import { makeReport } from './report-fixture.js';

// N/A: an invariant that does not apply to the target. Never PASS, never a SKIP that --strict refuses.
const na = (name: InvariantResult['name']): InvariantResult => ({ name, status: 'N/A', counts: {}, examples: [], detail: "another team's service: no coupon-bench outbox to drain" });
const pass = (name: InvariantResult['name']): InvariantResult => ({ name, status: 'PASS', counts: {}, examples: [], detail: 'held' });

const verdict: VerdictJson = {
  ok: true,
  headline: 'exactly 10 issued to 10 distinct users; N/A: outbox-drained',
  templates: [5],
  invariants: INVARIANTS.map((n) => (n === 'outbox-drained' ? na(n) : pass(n))),
  notChecked: [],
  exitCode: 0,
};

describe('the N/A status', () => {
  it('is neither passed nor not checked: a plain PASS word, named in the headline phrase', () => {
    expect(notCheckedOf({ invariants: verdict.invariants })).toEqual([]);
    expect(verdictWord(verdict)).toBe('PASS');
    expect(notApplicablePhrase(verdict)).toBe('N/A: outbox-drained');
  });

  it('shows in the table, JUnit (as skipped, with its reason) and HTML', () => {
    const table = formatVerdict(verdict, { color: false });
    expect(table).toMatch(/outbox-drained\s+│ N\/A/);
    const xml = toJUnit([verdictSuite(verdict)]);
    expect(xml).toMatch(/<testcase[^>]*name="outbox-drained"[^>]*>[\s\S]*?<skipped message="N\/A: another team&apos;s service/);
    expect(xml).not.toMatch(/<failure/);
    const html = renderHtmlReport({ ...makeReport(), verdict });
    expect(html).toMatch(/<code>outbox-drained<\/code><\/th><td><span class="badge skip">N\/A<\/span>/);
  });

  it('merges across templates: PASS where it applied somewhere, N/A only where it applied nowhere, SKIP over N/A', () => {
    const skip: InvariantResult = { name: 'outbox-drained', status: 'SKIP', counts: {}, examples: [], detail: 'no --redis' };
    expect(mergeResults('outbox-drained', [{ templateId: 1, result: na('outbox-drained') }, { templateId: 2, result: pass('outbox-drained') }]).status).toBe('PASS');
    expect(mergeResults('outbox-drained', [{ templateId: 1, result: na('outbox-drained') }, { templateId: 2, result: na('outbox-drained') }]).status).toBe('N/A');
    expect(mergeResults('outbox-drained', [{ templateId: 1, result: na('outbox-drained') }, { templateId: 2, result: skip }]).status).toBe('SKIP');
  });
});
