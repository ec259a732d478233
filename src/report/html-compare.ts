import { OUTCOMES } from '../model/outcome.js';
import type { RunReport } from '../model/report.js';
import type { CompareResult, MetricChange } from './compare.js';
import { OUTCOME_STYLE, type Chart } from './html-charts.js';
import { RUN_STYLE, p95Overlay, spectrumOverlay, throughputOverlay } from './html-compare-charts.js';
import { escapeHtml as e } from './html-escape.js';
import { fmt } from './html-format.js';
import { pageHead } from './html-style.js';
import { percentileSpectrum, type SpectrumPoint } from './histogram-codec.js';

function figure(title: string, chart: Chart, caption: string): string {
  const keys = chart.legend
    .map((l) => `<span class="key"><span class="swatch${l.dashed ? ' dashed' : ''}" style="--c:${e(l.color)}"></span>${e(l.label)}</span>`)
    .join('');
  return `<figure class="panel chart-panel"><figcaption><h3>${e(title)}</h3><p class="muted">${e(caption)}</p></figcaption>${chart.svg}<div class="legend">${keys}</div></figure>`;
}

function value(m: MetricChange, v: number): string {
  if (m.unit === 'ms') return fmt.ms(v);
  if (m.unit === '/s') return fmt.rate(v);
  if (m.unit === 'ratio') return fmt.pct(v);
  return fmt.int(v);
}

function metricsTable(result: CompareResult): string {
  const rows = result.metrics
    .map((m) => {
      const change = m.change === null ? (m.next > m.base ? '+∞' : '−∞') : `${m.change > 0 ? '+' : ''}${(m.change * 100).toFixed(1)}%`;
      const tone = m.regressed ? 'fail' : m.worse ? 'warn' : '';
      let word = m.worse ? 'worse' : m.base === m.next ? 'same' : 'better';
      if (m.limit !== undefined) word = result.untrusted.length > 0 ? 'not comparable' : m.regressed ? '✗ regressed' : '✓ ok';
      return `<tr class="${tone}"><th scope="row"><code>${e(m.metric)}</code> <span class="muted small">${m.better === 'lower' ? '↓' : '↑'} better</span></th><td class="num">${e(value(m, m.base))}</td><td class="num">${e(value(m, m.next))}</td><td class="num">${e(change)}</td><td class="num">${e(m.limit === undefined ? '–' : `${(m.limit * 100).toFixed(0)}%`)}</td><td>${e(word)}</td></tr>`;
    })
    .join('');
  return `<table class="data"><thead><tr><th>metric</th><th class="num">base</th><th class="num">new</th><th class="num">change</th><th class="num">max regression</th><th>result</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** Outcomes of both runs side by side: counts, shares and a bar per run. */
function outcomesTable(base: RunReport, next: RunReport): string {
  const total = (r: RunReport): number => OUTCOMES.reduce((s, o) => s + (r.outcomes[o] ?? 0), 0);
  const [tb, tn] = [total(base), total(next)];
  const bar = (share: number, run: keyof typeof RUN_STYLE): string =>
    `<span class="bar" data-run="${run}" style="--w:${(share * 100).toFixed(2)}%;--c:${RUN_STYLE[run].color}"></span>`;
  const rows = OUTCOMES.map((o) => {
    const [b, n] = [base.outcomes[o] ?? 0, next.outcomes[o] ?? 0];
    const [sb, sn] = [tb ? b / tb : 0, tn ? n / tn : 0];
    return `<tr${b === 0 && n === 0 ? ' class="zero"' : ''}><th scope="row"><span class="swatch" style="--c:${OUTCOME_STYLE[o].color}"></span>${e(o)}</th><td class="num">${e(fmt.int(b))} <span class="muted small">${e(fmt.pct(sb))}</span></td><td class="num">${e(fmt.int(n))} <span class="muted small">${e(fmt.pct(sn))}</span></td><td class="bar-cell">${bar(sb, 'base')}${bar(sn, 'next')}</td></tr>`;
  }).join('');
  return `<table class="data outcomes-compare"><thead><tr><th>outcome</th><th class="num">base</th><th class="num">new</th><th>share (base, new)</th></tr></thead><tbody>${rows}</tbody><tfoot><tr><th>total</th><td class="num">${e(fmt.int(tb))}</td><td class="num">${e(fmt.int(tn))}</td><td></td></tr></tfoot></table>`;
}

function spectrum(r: RunReport, problems: string[], which: string): SpectrumPoint[] {
  try {
    return percentileSpectrum(r.histograms.corrected, undefined, undefined, r.metrics.http_req_duration);
  } catch (err) {
    problems.push(`${which} histogram: ${(err as Error).message}`);
    return [];
  }
}

/**
 * `compare --html`: one self-contained page overlaying two runs (latency percentiles, throughput
 * and p95 over time, outcomes) with the metric table, the regressions and every warning.
 */
export function renderCompareHtml(base: RunReport, next: RunReport, result: CompareResult): string {
  const problems: string[] = [];
  const word = result.untrusted.length > 0 ? 'NOT COMPARABLE' : result.regressions.length > 0 ? 'REGRESSED' : 'OK';
  const tone = result.untrusted.length > 0 ? 'warn' : result.regressions.length > 0 ? 'fail' : 'pass';
  const why = result.untrusted.length > 0 ? result.untrusted.join('; ') : result.regressions.length > 0 ? `regressed: ${result.regressions.join(', ')}` : 'no gated metric regressed';
  const specB = spectrum(base, problems, 'base');
  const specN = spectrum(next, problems, 'new');
  const charts = [
    figure('Latency percentiles', spectrumOverlay(specB, specN), 'Corrected latency across the percentile spectrum; the tail stretches to the right.'),
    figure('p95 over time', p95Overlay(base, next), 'p95 of each second; a second without answers breaks the line.'),
    figure('Throughput over time', throughputOverlay(base, next), 'Responses completed each second, every outcome.'),
  ].join('');
  const notes = [...result.warnings, ...problems];
  const run = (label: string, r: RunReport, key: keyof typeof RUN_STYLE): string =>
    `<p class="meta"><span class="swatch" style="--c:${RUN_STYLE[key].color}"></span><b>${e(label)}</b> <code>${e(r.runId)}</code> · ${e(r.scenario.name)} · ${e(String(r.scenario['executor'] ?? '?'))} · ${e(fmt.int(r.metrics.http_reqs.count))} requests · ${e(r.startedAt)}</p>`;
  return `${pageHead(`coupon-bench compare · ${base.runId} → ${next.runId} · ${word}`)}
<header class="top ${tone}">
  <div class="title">
    <p class="eyebrow">coupon-bench compare</p>
    <h1>${e(base.scenario.name === next.scenario.name ? base.scenario.name : `${base.scenario.name} → ${next.scenario.name}`)}</h1>
    ${run('base', base, 'base')}
    ${run('new', next, 'next')}
  </div>
  <div class="status"><span class="status-word">${e(word)}</span><span class="status-why">${e(why)}</span></div>
</header>
${notes.length ? `<div class="panel warn-box compare-warnings"><b>Warnings:</b><ul>${notes.map((w) => `<li>${e(w)}</li>`).join('')}</ul></div>` : ''}
<section class="charts">${charts}<div class="panel"><h2>Outcomes</h2>${outcomesTable(base, next)}</div></section>
<section class="panel"><h2>Metrics</h2>${metricsTable(result)}<p class="muted small">Percentiles come from the full HDR histograms of each run. Exit code of this comparison: ${e(result.exitCode)}.</p></section>
<footer class="muted small">Generated by coupon-bench · self-contained: no scripts, no network.</footer>
</main>
</body>
</html>
`;
}
