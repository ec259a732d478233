import type { RunReport, ThresholdResult } from '../model/report.js';
import { notCheckedOf, notExercisedOf, statusPhrase, type InvariantResult, type VerdictJson } from '../model/verdict.js';
import type { CompareResult, MetricChange } from './compare.js';
import type { JUnitCase, JUnitSuite } from './junit.js';

/** Thresholds as test cases: one per metric expression. */
export function thresholdsSuite(thresholds: readonly ThresholdResult[], opts: { scenario?: string; timestamp?: string } = {}): JUnitSuite {
  const suite: JUnitSuite = {
    name: `thresholds${opts.scenario ? ` (${opts.scenario})` : ''}`,
    cases: thresholds.map((t): JUnitCase => {
      const c: JUnitCase = { name: `${t.metric}: ${t.expression}`, classname: 'coupon-bench.thresholds', systemOut: `actual: ${t.actual ?? 'n/a'}` };
      if (!t.ok) c.failure = { message: `${t.metric} ${t.expression} crossed (actual ${t.actual ?? 'n/a'})`, type: 'threshold' };
      return c;
    }),
  };
  if (opts.timestamp) suite.timestamp = opts.timestamp;
  return suite;
}

function invariantCase(inv: InvariantResult): JUnitCase {
  const counts = Object.entries(inv.counts)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const c: JUnitCase = { name: inv.name, classname: 'coupon-bench.invariants', systemOut: `${inv.detail}${counts ? `\n${counts}` : ''}` };
  if (inv.status === 'FAIL') {
    c.failure = { message: inv.detail, type: 'invariant', details: [inv.detail, counts, ...inv.examples.map((x) => `- ${x}`)].filter(Boolean).join('\n') };
  } else if (inv.status === 'SKIP') {
    c.skipped = inv.detail;
  } else if (inv.status === 'N/A') {
    c.skipped = `N/A: ${inv.detail}`;
  } else if (inv.status === 'PASS' && (inv.exercised === false || inv.exercised === null)) {
    // A pass this run could not have failed is not shown as a pass.
    c.skipped = `${statusPhrase(inv)}: ${inv.detail}`;
  }
  return c;
}

/**
 * Invariants as test cases; SKIP invariants, and PASSes that were not exercised (or whose exercise
 * is unknown), are reported as skipped, never as passed. An audit that checked nothing (97) or could
 * not run fails the suite with one more case, though no invariant did.
 */
export function verdictSuite(verdict: VerdictJson): JUnitSuite {
  const cases = verdict.invariants.map(invariantCase);
  if (verdict.exitCode !== 0 && verdict.exitCode !== 100) {
    cases.unshift({ name: 'audit checked something', classname: 'coupon-bench.invariants', failure: { message: verdict.headline, type: 'harness' } });
  }
  return {
    name: 'invariants',
    properties: {
      headline: verdict.headline,
      templates: verdict.templates.join(','),
      exitCode: String(verdict.exitCode),
      notChecked: notCheckedOf(verdict).join(','),
      notExercised: notExercisedOf(verdict).join(','),
      ...(verdict.partial ? { partial: `${verdict.partial.judged} of ${verdict.partial.of} judged; complete with: ${verdict.partial.command}` } : {}),
    },
    cases,
  };
}

/** A run report's checks: harness validity, thresholds, and the verdict when the run was verified. */
export function reportSuites(report: RunReport): JUnitSuite[] {
  const run = thresholdsSuite(report.thresholds, { scenario: report.scenario.name, timestamp: report.startedAt });
  run.name = `run ${report.scenario.name}: harness and thresholds`;
  run.timeSec = report.durationMs / 1000;
  const harness: JUnitCase = { name: 'harness valid', classname: 'coupon-bench.harness' };
  if (!report.harness.valid) harness.failure = { message: report.harness.reasons.join('; ') || 'harness invalid', type: 'harness' };
  run.cases.unshift(harness);
  return report.verdict ? [run, verdictSuite(report.verdict)] : [run];
}

function gateCase(m: MetricChange): JUnitCase {
  const change = m.change === null ? 'from 0' : `${(m.change * 100).toFixed(1)}%`;
  const limit = `${((m.limit ?? 0) * 100).toFixed(1)}%`;
  const c: JUnitCase = {
    name: `${m.metric} max regression ${limit}`,
    classname: 'coupon-bench.compare',
    systemOut: `base ${m.base} new ${m.next} change ${change} (${m.better} is better)`,
  };
  if (m.regressed) c.failure = { message: `${m.metric} regressed ${change} (${m.base} -> ${m.next}), limit ${limit}`, type: 'regression' };
  return c;
}

/**
 * Compare results as test cases: gated metrics pass or fail, ungated ones are informational. A run
 * that cannot be compared (97) fails the suite with one more case, even when no metric is gated.
 */
export function compareSuite(result: CompareResult): JUnitSuite {
  const cases = result.metrics.filter((m) => m.limit !== undefined).map(gateCase);
  if (result.untrusted.length > 0) {
    cases.unshift({ name: 'runs comparable', classname: 'coupon-bench.compare', failure: { message: result.untrusted.join('; '), type: 'harness' } });
  }
  return { name: `compare ${result.base.runId} -> ${result.next.runId}`, cases };
}
