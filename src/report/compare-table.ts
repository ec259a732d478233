import chalk, { Chalk } from 'chalk';
import Table from 'cli-table3';
import type { CompareResult, MetricChange } from './compare.js';

function value(m: MetricChange, v: number): string {
  switch (m.unit) {
    case 'ms':
      return `${v < 10 ? v.toFixed(3) : v.toFixed(2)} ms`;
    case '/s':
      return `${v.toFixed(1)}/s`;
    case 'ratio':
      return `${(v * 100).toFixed(2)}%`;
    case 'count':
      return String(v);
  }
}

function pct(x: number): string {
  return `${x > 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
}

/** The compare table (cli-table3); colour only when asked (i.e. on a TTY). */
export function formatCompareTable(result: CompareResult, opts: { color: boolean }): string {
  const c = opts.color ? chalk : new Chalk({ level: 0 });
  const table = new Table({
    head: ['metric', 'base', 'new', 'change', 'max regression', 'result'],
    colAligns: ['left', 'right', 'right', 'right', 'right', 'left'],
    style: { head: opts.color ? ['cyan'] : [], border: opts.color ? ['grey'] : [] },
    // no rule between rows: 13 metrics stay on one screen
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const m of result.metrics) {
    const changeText = m.change === null ? (m.next > m.base ? '+∞' : '−∞') : pct(m.change);
    const tint = m.worse ? c.red : m.base === m.next ? (s: string) => s : c.green;
    const arrow = m.better === 'lower' ? '↓ better' : '↑ better';
    let verdict: string;
    if (m.limit === undefined) verdict = c.dim(m.worse ? 'worse' : m.base === m.next ? 'same' : 'better');
    else if (result.untrusted.length > 0) verdict = c.yellow('– not comparable');
    else if (m.regressed) verdict = c.red.bold('✗ REGRESSED');
    else verdict = c.green('✓ ok');
    table.push([
      `${m.metric} ${c.dim(`(${arrow})`)}`,
      value(m, m.base),
      value(m, m.next),
      tint(changeText),
      m.limit === undefined ? c.dim('–') : `${(m.limit * 100).toFixed(m.limit * 100 < 1 ? 2 : 0)}%`,
      verdict,
    ]);
  }
  const lines = [`compare  base ${result.base.runId} (${result.base.requests} reqs)  →  new ${result.next.runId} (${result.next.requests} reqs)`, table.toString()];
  for (const w of result.warnings) lines.push(c.yellow(`warning: ${w}`));
  if (result.untrusted.length > 0) lines.push(c.yellow.bold(`✗ nothing to compare (exit 97): ${result.untrusted.join('; ')}`));
  else if (!result.metrics.some((m) => m.limit !== undefined)) lines.push(c.dim('no metric gated (pass --max-regression 10% or p95=5%,rate=10% to gate)'));
  else if (result.ok) lines.push(c.green('✓ no gated metric regressed beyond its limit'));
  else lines.push(c.red.bold(`✗ regressed beyond the limit: ${result.regressions.join(', ')}`));
  return lines.join('\n');
}
