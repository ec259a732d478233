import { OUTCOMES } from '../model/outcome.js';
import type { DurationSummary, RunReport } from '../model/report.js';
import { statusPhrase, type InvariantResult, type VerdictJson } from '../model/verdict.js';
import { invariantNotes, qualifiedPass, verdictTone, verdictWord } from '../verify/verdict-text.js';
import { busyHostWarnings } from './busy-host.js';
import { OUTCOME_STYLE, concurrencyChart, issuedChart, latencyChart, spectrumChart, throughputChart, type Chart } from './html-charts.js';
import { escapeHtml as e } from './html-escape.js';
import { fmt } from './html-format.js';
import { pageHead } from './html-style.js';
import { histogramStats, percentileSpectrum, type HistogramStats, type SpectrumPoint } from './histogram-codec.js';

type Status = { word: 'PASS' | 'PARTIAL' | 'FAIL' | 'INVALID'; tone: 'pass' | 'fail' | 'warn'; why: string };

function overallStatus(r: RunReport): Status {
  const failedThresholds = r.thresholds.filter((t) => !t.ok);
  if (!r.harness.valid) return { word: 'INVALID', tone: 'warn', why: `harness invalid: ${r.harness.reasons.join('; ') || 'see reasons'}` };
  if (r.verdict && !r.verdict.ok) {
    // 100: an invariant failed; anything else: the audit could not check (a store unreachable, nothing checked).
    return r.verdict.exitCode === 100 ? { word: 'FAIL', tone: 'fail', why: r.verdict.headline } : { word: 'INVALID', tone: 'warn', why: r.verdict.headline };
  }
  if (failedThresholds.length) {
    return { word: 'FAIL', tone: 'fail', why: `${failedThresholds.length} threshold(s) crossed: ${failedThresholds.map((t) => `${t.metric} ${t.expression}`).join(', ')}` };
  }
  // A qualified PASS (skipped, not exercised, PARTIAL) is amber, never green.
  if (r.verdict) return { word: r.verdict.partial ? 'PARTIAL' : 'PASS', tone: verdictTone(r.verdict) === 'pass' ? 'pass' : 'warn', why: r.verdict.headline };
  return { word: 'PASS', tone: 'pass', why: 'thresholds held; stores were not verified in this run (run with --verify)' };
}

/** Decode histograms without letting one bad histogram break the whole page. */
function safe<T>(f: () => T, fallback: T, errors: string[], what: string): T {
  try {
    return f();
  } catch (err) {
    errors.push(`${what}: ${(err as Error).message}`);
    return fallback;
  }
}

function card(label: string, value: string, sub?: string, tone?: string): string {
  return `<div class="card${tone ? ` ${tone}` : ''}"><div class="card-label">${e(label)}</div><div class="card-value">${e(value)}</div>${
    sub ? `<div class="card-sub">${e(sub)}</div>` : ''
  }</div>`;
}

/**
 * Issued against stock, with the figure the verdict's headline gives when the run was audited (what
 * the stores hold), else the 200s the run was told; the other one below it when they differ.
 */
function issuedCard(r: RunReport, stock: number): string {
  const audited = r.verdict?.issued;
  const issued = audited ?? r.outcomes.issued;
  const perTemplate = r.templates.map((t) => `template ${t.templateId}: ${t.stock}`).join(', ');
  let sub = audited === undefined ? `answered 200 · ${perTemplate}` : `in the stores · ${perTemplate}`;
  if (audited !== undefined && audited !== r.outcomes.issued) sub = `in the stores; ${fmt.int(r.outcomes.issued)} answered 200`;
  const tone = stock > 0 && Math.max(issued, r.outcomes.issued) > stock ? 'fail' : audited !== undefined && audited !== r.outcomes.issued ? 'warn' : undefined;
  return card('issued / stock', `${fmt.int(issued)} / ${fmt.int(stock)}`, sub, tone);
}

function chartFigure(title: string, chart: Chart, caption: string): string {
  const legend = chart.legend
    .map((l) => `<span class="key"><span class="swatch${l.dashed ? ' dashed' : ''}" style="--c:${e(l.color)}"></span>${e(l.label)}</span>`)
    .join('');
  return `<figure class="panel chart-panel"><figcaption><h3>${e(title)}</h3><p class="muted">${e(caption)}</p></figcaption>${chart.svg}<div class="legend">${legend}</div>${
    chart.note ? `<p class="note">${e(chart.note)}</p>` : ''
  }</figure>`;
}

function kvTable(rows: Array<[string, unknown]>, cls = 'kv'): string {
  const body = rows
    .map(([k, v]) => {
      const text = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
      return `<tr><th scope="row">${e(k)}</th><td>${typeof v === 'object' && v !== null ? `<code>${e(text)}</code>` : e(text)}</td></tr>`;
    })
    .join('');
  return `<table class="${cls}"><tbody>${body}</tbody></table>`;
}

function outcomesTable(r: RunReport): string {
  const total = OUTCOMES.reduce((s, o) => s + (r.outcomes[o] ?? 0), 0);
  const rows = OUTCOMES.map((o) => {
    const c = r.outcomes[o] ?? 0;
    const share = total ? c / total : 0;
    return `<tr${c === 0 ? ' class="zero"' : ''}><th scope="row"><span class="swatch" style="--c:${OUTCOME_STYLE[o].color}"></span>${e(o)}</th><td class="num">${e(
      fmt.int(c),
    )}</td><td class="num">${e(fmt.pct(share))}</td><td class="bar-cell"><span class="bar" style="--w:${(share * 100).toFixed(2)}%;--c:${OUTCOME_STYLE[o].color}"></span></td></tr>`;
  }).join('');
  return `<table class="data"><thead><tr><th>outcome</th><th class="num">responses</th><th class="num">share</th><th></th></tr></thead><tbody>${rows}</tbody><tfoot><tr><th>total</th><td class="num">${e(
    fmt.int(total),
  )}</td><td></td><td></td></tr></tfoot></table>`;
}

function latencyTable(r: RunReport, corrected: HistogramStats | undefined, uncorrected: HistogramStats | undefined): string {
  // Rows are statistics so the table stays narrow enough for half a page.
  const c: DurationSummary = r.metrics.http_req_duration;
  const u: DurationSummary = r.metrics.http_req_duration_uncorrected;
  const rows: Array<[string, number | undefined, number | undefined]> = [
    ['avg', c.avg, u.avg],
    ['min', c.min, u.min],
    ['median', corrected?.p50 ?? c.med, uncorrected?.p50 ?? u.med],
    ['p90', corrected?.p90 ?? c['p(90)'], uncorrected?.p90 ?? u['p(90)']],
    ['p95', corrected?.p95 ?? c['p(95)'], uncorrected?.p95 ?? u['p(95)']],
    ['p99', corrected?.p99 ?? c['p(99)'], uncorrected?.p99 ?? u['p(99)']],
    ['p99.9', corrected?.p999, uncorrected?.p999],
    ['max', c.max, u.max],
  ];
  const body = rows
    .map(([name, a, b]) => `<tr><th scope="row">${e(name)}</th><td class="num">${e(fmt.ms(a))}</td><td class="num">${e(fmt.ms(b))}</td></tr>`)
    .join('');
  return `<table class="data"><thead><tr><th>http_req_duration</th><th class="num">corrected</th><th class="num">uncorrected</th></tr></thead><tbody>${body}</tbody></table>`;
}

function invariantRow(inv: InvariantResult): string {
  const tone = inv.status === 'PASS' ? (qualifiedPass(inv) ? 'skip' : 'pass') : inv.status === 'FAIL' ? 'fail' : 'skip';
  const counts = Object.entries(inv.counts)
    .map(([k, v]) => `<span class="count">${e(k)}&nbsp;<b>${e(fmt.int(v))}</b></span>`)
    .join(' ');
  const examples = inv.examples.length ? `<ul class="examples">${inv.examples.slice(0, 5).map((x) => `<li><code>${e(x)}</code></li>`).join('')}</ul>` : '';
  // The detail lines without the examples (listed below them): a qualified PASS says so first.
  const notes = invariantNotes({ ...inv, examples: [] }).map((l) => e(l)).join('<br>');
  return `<tr class="${tone}"><th scope="row"><code>${e(inv.name)}</code></th><td><span class="badge ${tone}">${e(statusPhrase({ ...inv, exercise: undefined }))}</span></td><td>${counts}</td><td>${notes}${examples}</td></tr>`;
}

function verdictSection(v: VerdictJson | undefined): string {
  if (!v) {
    return `<section class="panel"><h2>Verdict</h2><p class="muted">This run was not verified: no invariants were checked. Run <code>coupon-bench verify</code> (or <code>run --verify</code>) to audit Redis, the database and the ledger.</p></section>`;
  }
  const rows = v.invariants.map(invariantRow).join('');
  const tone = verdictTone(v);
  const complete = v.partial
    ? `<p class="muted">${v.partial.gone?.length ? `Stores the report names are gone: ${e(v.partial.gone.join(', '))}. ` : ''}Complete the audit with <code>${e(v.partial.command)}</code></p>`
    : '';
  return `<section class="panel"><h2>Verdict <span class="badge ${tone === 'warn' ? 'skip' : tone}">${e(verdictWord(v))}</span> <span class="muted small">exit ${e(
    v.exitCode,
  )} · templates ${e(v.templates.join(', ') || '–')}</span></h2><p class="headline">${e(v.headline)}</p><table class="data verdict"><thead><tr><th>invariant</th><th>status</th><th>counts</th><th>detail</th></tr></thead><tbody>${rows}</tbody></table>${complete}</section>`;
}

/** The faults injected during the load: one row each, the same figures as the summary's table. */
function faultsSection(r: RunReport): string {
  if (!r.faults || r.faults.length === 0) return '';
  const rows = r.faults
    .map(
      (f) =>
        `<tr class="${f.dataLost ? 'fail' : 'pass'}"><th scope="row"><code>${e(f.spec)}</code></th><td class="num">${e(`${(f.startMs / 1000).toFixed(2)} s – ${(f.endMs / 1000).toFixed(2)} s`)}</td><td class="num">${e(f.requests)}</td><td class="num">${e(f.unknown)}</td><td class="num">${e(`${(f.errorRate * 100).toFixed(1)}%`)}</td><td class="num">${e(f.requests > 0 ? fmt.ms(f.p99Ms) : '–')}</td><td class="num">${e(f.recoveryMs !== undefined ? fmt.ms(f.recoveryMs) : 'never')}</td><td>${e(f.detail ?? '')}${f.hook && f.hook.output ? ` <pre class="hook-output">${e(f.hook.output)}</pre>` : ''}${f.dataLost ? ` <span class="badge fail">data lost</span> ${e(f.dataLost)}` : ''}</td></tr>`,
    )
    .join('');
  return `<section class="panel"><h2>Faults</h2><p class="muted">Red bands on the throughput chart; the lighter band after each is the time until issuance answered again.</p><table class="data"><thead><tr><th>fault</th><th class="num">from – to</th><th class="num">requests</th><th class="num">unknown</th><th class="num">error rate</th><th class="num">p99</th><th class="num">recovered after</th><th>what happened</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function thresholdsSection(r: RunReport): string {
  if (r.thresholds.length === 0) return `<section class="panel"><h2>Thresholds</h2><p class="muted">No thresholds were declared.</p></section>`;
  const rows = r.thresholds
    .map(
      (t) =>
        `<tr class="${t.ok ? 'pass' : 'fail'}"><th scope="row"><code>${e(t.metric)}</code></th><td><code>${e(t.expression)}</code></td><td class="num">${e(
          t.actual === null ? '–' : Number(t.actual.toPrecision(6)),
        )}</td><td><span class="badge ${t.ok ? 'pass' : 'fail'}">${t.ok ? '✓ ok' : '✗ crossed'}</span></td></tr>`,
    )
    .join('');
  return `<section class="panel"><h2>Thresholds</h2><table class="data"><thead><tr><th>metric</th><th>expression</th><th class="num">actual</th><th>result</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

/**
 * Render a run report as one self-contained HTML page: inline CSS and SVG, no scripts, no network
 * (a Content-Security-Policy forbids any fetch), printable.
 */
export function renderHtmlReport(report: RunReport): string {
  const r = report;
  const problems: string[] = [];
  // The summaries keep each histogram's exact min and max (encoding keeps only their buckets).
  const exactC = r.metrics.http_req_duration;
  const exactU = r.metrics.http_req_duration_uncorrected;
  const corrected = safe(() => histogramStats(r.histograms.corrected, 'corrected histogram', exactC), undefined, problems, 'corrected histogram');
  const uncorrected = safe(() => histogramStats(r.histograms.uncorrected, 'uncorrected histogram', exactU), undefined, problems, 'uncorrected histogram');
  const specC = safe<SpectrumPoint[]>(() => percentileSpectrum(r.histograms.corrected, undefined, undefined, exactC), [], problems, 'corrected spectrum');
  const specU = safe<SpectrumPoint[]>(() => percentileSpectrum(r.histograms.uncorrected, undefined, undefined, exactU), [], problems, 'uncorrected spectrum');
  const status = overallStatus(r);
  const stock = r.templates.reduce((s, t) => s + t.stock, 0);
  const m = r.metrics;
  const p95 = corrected?.p95 ?? m.http_req_duration['p(95)'];
  const p99 = corrected?.p99 ?? m.http_req_duration['p(99)'];
  const title = `coupon-bench · ${r.scenario.name} · ${status.word}`;

  const cards = [
    card('requests', fmt.int(m.http_reqs.count), `${fmt.rate(m.http_reqs.rate)} over ${fmt.seconds(r.durationMs)}`),
    issuedCard(r, stock),
    card('p95 latency', fmt.ms(p95), `p99 ${fmt.ms(p99)} · corrected`),
    card('unknown', fmt.int(r.outcomes.unknown), 'timeouts, errors, 5xx', r.outcomes.unknown > 0 ? 'warn' : undefined),
    card('dropped iterations', fmt.int(m.dropped_iterations.count), `${fmt.int(m.vus.max)} VUs max`, m.dropped_iterations.count > 0 ? 'warn' : undefined),
    card('checks', fmt.pct(m.checks.rate), `${fmt.int(m.checks.passes)} passed · ${fmt.int(m.checks.fails)} failed`, m.checks.fails > 0 ? 'warn' : undefined),
  ].join('');

  const charts = [
    chartFigure('Throughput by outcome', throughputChart(r), 'Responses completed each second, stacked by outcome class.'),
    chartFigure('Latency over time', latencyChart(r), 'p50 / p95 / p99 per second, corrected for coordinated omission.'),
    chartFigure('Issued against stock', issuedChart(r), 'Coupons acknowledged so far; the dashed line is the stock.'),
    chartFigure('VUs and in flight', concurrencyChart(r), 'The most VUs active and requests awaiting an answer in each second.'),
    chartFigure('Latency percentile spectrum', spectrumChart(specC, specU), 'HDR histogram, all responses; the tail stretches to the right.'),
  ].join('');

  const env = r.environment;
  const scenarioRows = Object.entries(r.scenario)
    .filter(([k, v]) => !k.startsWith('$') && v !== undefined)
    .map(([k, v]): [string, unknown] => [k, v]);
  const runRows: Array<[string, unknown]> = [
    ['run id', r.runId],
    ['target', r.target],
    ['started', r.startedAt],
    ['ended', r.endedAt],
    ['duration', fmt.seconds(r.durationMs)],
    ['iterations', `${fmt.int(m.iterations.count)} (${fmt.rate(m.iterations.rate)})`],
    ['VUs', `${m.vus.min}–${m.vus.max}`],
    ['ledger', `${r.ledger.file} (${fmt.int(r.ledger.records)} records, ${r.ledger.mode})`],
    ['harness', r.harness.valid ? 'valid' : `INVALID: ${r.harness.reasons.join('; ')}`],
    ['run exit code', r.exitCode],
  ];
  if (m.data_sent !== undefined || m.data_received !== undefined) runRows.push(['data sent / received', `${fmt.bytes(m.data_sent)} / ${fmt.bytes(m.data_received)}`]);
  if (m.http_connections) {
    const why = Object.entries(m.http_connections.errors ?? {}).map(([code, n]) => `${code} ${n}`).join(', ');
    runRows.push(['connections opened / failed', `${m.http_connections.count} / ${m.http_connections.failed}${why ? ` (${why})` : ''}`]);
  }
  if (r.burst) runRows.push(['burst', `${fmt.int(r.burst.requests)} requests sent within ${fmt.ms(r.burst.sendSpreadUs / 1000)}`]);
  if (r.stores) runRows.push(['stores', [r.stores.redis, r.stores.db, r.stores.prefix && `prefix ${r.stores.prefix}`].filter(Boolean).join(' · ')]);
  const envRows: Array<[string, unknown]> = [
    ['tool', `${r.tool.name} ${r.tool.version}`],
    ['node', env.node],
    ['platform', `${env.platform} ${env.arch}`],
    ['cpu', `${env.cpus} × ${env.cpuModel}`],
    ['memory', `${fmt.int(env.totalMemMb)} MB`],
    ['host', env.hostname],
    ['load average', env.loadavg.map((l) => l.toFixed(2)).join(' ')],
  ];
  const host = r.harness.host;
  if (host) envRows.push(['CPU during the run', `${host.busyPercent}% busy · ${host.stealPercent}% stolen by the hypervisor${host.loadAvg1 !== undefined ? ` · load ${host.loadAvg1.toFixed(2)} at the end` : ''}`]);
  if (r.harness.eventLoopDelayP99Ms !== undefined) envRows.push(['event-loop delay p99', fmt.ms(r.harness.eventLoopDelayP99Ms)]);
  const busy = busyHostWarnings(r);

  return `${pageHead(title, `${r.tool.name} ${r.tool.version}`)}
<header class="top ${status.tone}">
  <div class="title">
    <p class="eyebrow">coupon-bench report</p>
    <h1>${e(r.scenario.name)}</h1>
    <p class="meta">${e(r.target)} · ${e(r.startedAt)} · ${e(fmt.seconds(r.durationMs))} · run <code>${e(r.runId)}</code></p>
  </div>
  <div class="status"><span class="status-word">${e(status.word)}</span><span class="status-why">${e(status.why)}</span></div>
</header>
${busy.length ? `<div class="panel warn-box busy-host"><b>Busy host:</b> ${e(busy.join('; '))}. The latencies include the machine's other work; compare runs measured on a quiet machine.</div>` : ''}
${problems.length ? `<div class="panel warn-box"><b>Some data could not be read:</b><ul>${problems.map((p) => `<li>${e(p)}</li>`).join('')}</ul></div>` : ''}
<section class="cards">${cards}</section>
<section class="charts">${charts}</section>
<section class="two">
  <div class="panel"><h2>Outcomes</h2>${outcomesTable(r)}</div>
  <div class="panel"><h2>Latency</h2>${latencyTable(r, corrected, uncorrected)}<p class="muted small">Corrected latency is measured from each request's intended send time, so a stalled generator cannot hide slow responses (coordinated omission). Percentiles come from the full HDR histograms.</p></div>
</section>
${verdictSection(r.verdict)}
${faultsSection(r) + thresholdsSection(r)}
<section class="two">
  <div class="panel"><h2>Scenario</h2>${kvTable(scenarioRows)}</div>
  <div class="panel"><h2>Run</h2>${kvTable(runRows)}<h2>Environment</h2>${kvTable(envRows)}</div>
</section>
<footer class="muted small">Generated by ${e(r.tool.name)} ${e(r.tool.version)} · self-contained: no scripts, no network.</footer>
</main>
</body>
</html>
`;
}
