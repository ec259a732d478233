import { describe, expect, it } from 'vitest';
import { escapeXml, toJUnit } from '../../src/report/junit.js';
import { compareSuite, reportSuites, verdictSuite } from '../../src/report/junit-suites.js';
import { compareReports } from '../../src/report/compare.js';
import { parseMaxRegression } from '../../src/report/compare-gates.js';
import { makeReport, makeVerdict } from './report-fixture.js';

describe('toJUnit', () => {
  it('escapes XML and drops characters XML cannot carry', () => {
    expect(escapeXml(`a<b>&"c'\u0001`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;');
    const xml = toJUnit([{ name: 's<1>', cases: [{ name: 'x & y', classname: 'c', failure: { message: 'bad "thing" <here>' } }] }]);
    expect(xml).toContain('<testsuite name="s&lt;1&gt;" tests="1" failures="1"');
    expect(xml).toContain('<failure message="bad &quot;thing&quot; &lt;here&gt;" type="failure">');
    expect(xml).not.toMatch(/<here>/);
  });

  it('counts tests, failures and skips per suite and overall', () => {
    const xml = toJUnit(reportSuites(makeReport({ verdict: 'fail', thresholdFails: true })));
    // thresholds suite: harness + 2 thresholds (1 failing); invariants: 10 (1 fail, 1 skip)
    expect(xml).toMatch(/<testsuites name="coupon-bench" tests="13" failures="2" errors="0" skipped="1"/);
    expect(xml).toContain('<testcase name="no-duplicate-user" classname="coupon-bench.invariants"');
    expect(xml).toContain('- user 7 holds seq 3 and seq 9 &lt;template 1&gt;');
    expect(xml).toContain('<skipped message="held"/>');
  });

  it('reports SKIP invariants as skipped, never as passed', () => {
    const suite = verdictSuite(makeVerdict(true));
    const skipped = suite.cases.filter((c) => c.skipped !== undefined).map((c) => c.name);
    expect(skipped).toEqual(['unknown-bounded']);
  });

  it('an audit that checked nothing (97) fails the suite though no invariant failed', () => {
    const v = { ...makeVerdict(true), ok: false, exitCode: 97, headline: 'zero requests checked: 0 issued' };
    v.invariants = v.invariants.map((i) => ({ ...i, status: 'SKIP' as const }));
    const suite = verdictSuite(v);
    expect(suite.cases[0]).toMatchObject({ name: 'audit checked something', failure: { message: 'zero requests checked: 0 issued' } });
    expect(suite.cases.filter((c) => c.failure)).toHaveLength(1);
    expect(verdictSuite(makeVerdict(true)).cases.some((c) => c.failure)).toBe(false);
  });

  it('turns gated compare metrics into test cases that fail on regression', () => {
    const result = compareReports(makeReport(), makeReport({ latencyFactor: 1.2 }), parseMaxRegression(['p95=10%,rate=10%']));
    const suite = compareSuite(result);
    expect(suite.cases.map((c) => c.name)).toEqual(['rate max regression 10.0%', 'p95 max regression 10.0%']);
    expect(suite.cases[1]?.failure?.message).toMatch(/p95 regressed \d+\.\d%/);
    expect(suite.cases[0]?.failure).toBeUndefined();
  });
});
