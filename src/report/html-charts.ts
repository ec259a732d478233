import { OUTCOMES, type Outcome } from '../model/outcome.js';
import type { RunReport } from '../model/report.js';
import { escapeHtml } from './html-escape.js';
import { fmt } from './html-format.js';
import type { SpectrumPoint } from './histogram-codec.js';
import { PLOT, axes, brokenLinePath, emptyNote, linear, linePath, linearTicks, n, niceTicks, svg } from './html-svg.js';
import { LABEL_CHAR_PX, labelLanes } from './label-lanes.js';

/** Outcome colours: green for ok, warm for definite refusals, red for unknown (Jepsen's :info). */
export const OUTCOME_STYLE: Record<Outcome, { color: string; label: string }> = {
  issued: { color: '#2f9e5b', label: 'issued' },
  sold_out: { color: '#e3a21a', label: 'sold out' },
  duplicate: { color: '#4c78a8', label: 'duplicate' },
  not_found: { color: '#9d6bd1', label: 'not found' },
  rejected: { color: '#8a8f98', label: 'rejected' },
  unknown: { color: '#d1495b', label: 'unknown' },
};

/** A rendered chart: the SVG plus an HTML legend. */
export interface Chart {
  svg: string;
  legend: Array<{ color: string; label: string; dashed?: boolean }>;
  note?: string;
}

type Timeline = RunReport['timeline'];

/** Height of one row of fault labels (viewBox units): a little more than the 10.5 px text's line box, so rows never touch. */
const LABEL_ROW_PX = 13;

function timeDomain(timeline: Timeline, durationMs: number): number {
  return Math.max(1, durationMs / 1000, ...timeline.map((p) => p.t));
}

function timeAxis(maxT: number): { ticks: Array<{ value: number; label: string }>; scale: (v: number) => number; title: string } {
  const scale = linear(0, maxT, PLOT.x0, PLOT.x1);
  const ticks = niceTicks(0, maxT, 6)
    .filter((v) => v <= maxT + 1e-9)
    .map((value) => ({ value, label: `${fmt.tick(value)}s` }));
  return { ticks, scale, title: 'time since start (s)' };
}

/**
 * The run's faults as bands across the plot: the fault itself (red, at least 3 px wide so a kill
 * shows), then its recovery until issuance answered again (lighter), each with a label and a tooltip.
 */
function faultBands(report: RunReport, scale: (v: number) => number): string {
  const parts: string[] = [];
  const faults = report.faults ?? [];
  const text = (f: (typeof faults)[number]): string => (f.name !== undefined ? `${f.fault}:${f.name}` : f.fault);
  // Faults close together would print their labels on top of each other: one lane below another.
  const lanes = labelLanes(faults.map((f) => ({ x: scale(f.startMs / 1000) + 2, width: text(f).length * LABEL_CHAR_PX })));
  for (const [i, f] of faults.entries()) {
    const x0 = scale(f.startMs / 1000);
    const x1 = Math.max(x0 + 3, scale(f.endMs / 1000));
    const tip = `${f.spec}: ${f.requests} requests, ${f.unknown} unknown, p99 ${fmt.ms(f.p99Ms)}, recovered ${f.recoveryMs !== undefined ? `after ${fmt.ms(f.recoveryMs)}` : 'never'}${f.dataLost ? `; DATA LOST: ${f.dataLost}` : ''}`;
    parts.push(
      `<rect class="fault" x="${n(x0)}" y="${PLOT.y1}" width="${n(x1 - x0)}" height="${n(PLOT.y0 - PLOT.y1)}" fill="#d1453b" fill-opacity="0.18"><title>${escapeHtml(tip)}</title></rect>`,
    );
    if (f.recoveryMs !== undefined && f.recoveryMs > 0) {
      const r1 = scale((f.endMs + f.recoveryMs) / 1000);
      parts.push(`<rect class="fault-recovery" x="${n(x1)}" y="${PLOT.y1}" width="${n(Math.max(0.5, r1 - x1))}" height="${n(PLOT.y0 - PLOT.y1)}" fill="#d1453b" fill-opacity="0.07"><title>${escapeHtml(tip)}</title></rect>`);
    }
    parts.push(`<text class="tick fault-label" x="${n(x0 + 2)}" y="${PLOT.y1 + 10 + (lanes[i] ?? 0) * LABEL_ROW_PX}">${escapeHtml(text(f))}</text>`);
  }
  return parts.length ? `<g class="faults">${parts.join('')}</g>` : '';
}

/** Responses per second, stacked by outcome. */
export function throughputChart(report: RunReport): Chart {
  const tl = report.timeline;
  const present = OUTCOMES.filter((o) => report.outcomes[o] > 0 || tl.some((p) => (p.counts[o] ?? 0) > 0));
  const legend = present.map((o) => OUTCOME_STYLE[o]);
  if (tl.length === 0) return { svg: svg('throughput', 'throughput by outcome', emptyNote('no timeline recorded')), legend };
  const maxT = timeDomain(tl, report.durationMs);
  const buckets = tl.map((p, i) => {
    const start = i === 0 ? Math.max(0, p.t - 1) : (tl[i - 1]?.t ?? 0);
    const width = Math.max(1e-3, p.t - start);
    const total = OUTCOMES.reduce((s, o) => s + (p.counts[o] ?? 0), 0);
    return { start, end: p.t, width, total, p };
  });
  const maxRate = Math.max(1, ...buckets.map((b) => b.total / b.width));
  const x = timeAxis(maxT);
  const yTicks = linearTicks(0, maxRate);
  const yMax = yTicks.at(-1)?.value ?? maxRate;
  const y = linear(0, yMax, PLOT.y0, PLOT.y1);
  const marks: string[] = [];
  for (const b of buckets) {
    const x0 = x.scale(b.start);
    const x1 = x.scale(b.end);
    const gap = Math.min(2, (x1 - x0) * 0.12);
    let acc = 0;
    for (const o of present) {
      const c = b.p.counts[o] ?? 0;
      if (c === 0) continue;
      const y0 = y(acc / b.width);
      acc += c;
      const y1 = y(acc / b.width);
      marks.push(
        `<rect class="mark" x="${n(x0 + gap / 2)}" y="${n(y1)}" width="${n(Math.max(0.5, x1 - x0 - gap))}" height="${n(Math.max(0.5, y0 - y1))}" fill="${OUTCOME_STYLE[o].color}">` +
          `<title>${escapeHtml(`${fmt.tick(b.end)}s: ${c} ${OUTCOME_STYLE[o].label}`)}</title></rect>`,
      );
    }
  }
  const body = axes(x, { ticks: yTicks, scale: y, title: 'responses / s' }) + faultBands(report, x.scale) + `<g class="marks">${marks.join('')}</g>`;
  return { svg: svg('throughput', 'responses per second, stacked by outcome', body), legend };
}

/** A timeline point that got at least one answer. */
function answered(p: Timeline[number]): boolean {
  return OUTCOMES.some((o) => (p.counts[o] ?? 0) > 0);
}

/**
 * Corrected latency percentiles per second. A second without answers (a killed server, a cut
 * network) has no latency: the lines break there instead of joining its neighbours.
 */
export function latencyChart(report: RunReport): Chart {
  const series = [
    { key: 'p50', label: 'p50', color: '#4c78a8', width: 2 },
    { key: 'p95', label: 'p95', color: '#e3a21a', width: 2 },
    { key: 'p99', label: 'p99', color: '#d1495b', width: 2.25 },
  ] as const;
  const legend = series.map((s) => ({ color: s.color, label: s.label }));
  const tl = report.timeline.filter(answered);
  if (tl.length === 0) return { svg: svg('latency', 'latency over time', emptyNote('no responses recorded')), legend };
  const maxT = timeDomain(report.timeline, report.durationMs);
  const x = timeAxis(maxT);
  const maxMs = Math.max(0.001, ...tl.map((p) => p.p99), ...tl.map((p) => p.p95));
  const yTicks = linearTicks(0, maxMs);
  const y = linear(0, yTicks.at(-1)?.value ?? maxMs, PLOT.y0, PLOT.y1);
  const marks: string[] = [];
  for (const s of series) {
    const pts = report.timeline.map((p): [number, number] | null => (answered(p) ? [x.scale(p.t), y(p[s.key])] : null));
    marks.push(`<path class="mark line" d="${brokenLinePath(pts)}" stroke="${s.color}" stroke-width="${s.width}" fill="none"/>`);
    if (tl.length <= 60) {
      for (const p of tl) {
        marks.push(
          `<circle class="dot" cx="${n(x.scale(p.t))}" cy="${n(y(p[s.key]))}" r="${tl.length < 3 ? 4 : 2.2}" fill="${s.color}"><title>${escapeHtml(`${fmt.tick(p.t)}s ${s.label}: ${fmt.ms(p[s.key])}`)}</title></circle>`,
        );
      }
    }
  }
  const gaps = report.timeline.filter((p) => !answered(p)).length;
  const body = axes(x, { ticks: yTicks, scale: y, title: 'latency (ms, corrected)' }) + faultBands(report, x.scale) + `<g class="marks">${marks.join('')}</g>`;
  const chart: Chart = { svg: svg('latency', 'latency p50, p95 and p99 over time', body), legend };
  if (gaps > 0) chart.note = `${gaps} second${gaps === 1 ? '' : 's'} without any answer: the lines break there.`;
  return chart;
}

/** VUs and requests in flight per second (the most seen in each second). */
export function concurrencyChart(report: RunReport): Chart {
  const tl = report.timeline;
  const hasVus = tl.some((p) => p.vus !== undefined);
  const series: Array<{ key: 'vus' | 'inFlight'; label: string; color: string; width: number; dash: string }> = [
    ...(hasVus ? [{ key: 'vus' as const, label: 'VUs active', color: '#4c78a8', width: 2, dash: '' }] : []),
    { key: 'inFlight', label: 'requests in flight', color: '#2f9e5b', width: 2, dash: hasVus ? ' stroke-dasharray="5 3"' : '' },
  ];
  const legend = series.map((s) => ({ color: s.color, label: s.label, ...(s.dash ? { dashed: true } : {}) }));
  const values = tl.flatMap((p) => [p.vus, p.inFlight]).filter((v): v is number => v !== undefined);
  if (values.length === 0) return { svg: svg('concurrency', 'VUs and requests in flight', emptyNote('not recorded in this report')), legend };
  const x = timeAxis(timeDomain(tl, report.durationMs));
  const yTicks = linearTicks(0, Math.max(1, ...values));
  const y = linear(0, yTicks.at(-1)?.value ?? 1, PLOT.y0, PLOT.y1);
  const marks = series.map((s) => {
    const pts = tl.map((p): [number, number] | null => (p[s.key] !== undefined ? [x.scale(p.t), y(p[s.key] ?? 0)] : null));
    return `<path class="mark line" data-series="${s.key}" d="${brokenLinePath(pts)}" stroke="${s.color}" stroke-width="${s.width}"${s.dash} fill="none"/>`;
  });
  const body = axes(x, { ticks: yTicks, scale: y, title: hasVus ? 'VUs / in flight' : 'requests in flight' }) + faultBands(report, x.scale) + `<g class="marks">${marks.join('')}</g>`;
  return { svg: svg('concurrency', 'VUs and requests in flight over time', body), legend };
}

/** Coupons issued so far against the stock, with the sold-out moment marked. */
export function issuedChart(report: RunReport): Chart {
  const stock = report.templates.reduce((s, t) => s + t.stock, 0);
  const legend = [
    { color: OUTCOME_STYLE.issued.color, label: 'issued so far' },
    { color: '#555b66', label: `stock (${fmt.int(stock)})`, dashed: true },
  ];
  const tl = report.timeline;
  if (tl.length === 0) return { svg: svg('issued', 'issued against stock', emptyNote('no timeline recorded')), legend };
  const maxT = timeDomain(tl, report.durationMs);
  const x = timeAxis(maxT);
  const maxIssued = Math.max(0, ...tl.map((p) => p.issuedTotal));
  const yTicks = linearTicks(0, Math.max(1, stock, maxIssued) * 1.08);
  const y = linear(0, yTicks.at(-1)?.value ?? 1, PLOT.y0, PLOT.y1);
  const pts: Array<[number, number]> = [[x.scale(0), y(0)], ...tl.map((p): [number, number] => [x.scale(p.t), y(p.issuedTotal)])];
  const last = tl.at(-1);
  if (last && last.t < maxT) pts.push([x.scale(maxT), y(last.issuedTotal)]);
  const marks: string[] = [];
  const line = linePath(pts, true);
  marks.push(`<path class="mark area" d="${line}V${n(PLOT.y0)}H${n(PLOT.x0)}Z" fill="${OUTCOME_STYLE.issued.color}" fill-opacity="0.14" stroke="none"/>`);
  marks.push(`<path class="mark line" d="${line}" stroke="${OUTCOME_STYLE.issued.color}" stroke-width="2.5" fill="none"/>`);
  let note: string | undefined;
  if (stock > 0) {
    const sy = n(y(stock));
    marks.push(`<line class="stock" x1="${PLOT.x0}" x2="${PLOT.x1}" y1="${sy}" y2="${sy}" stroke="#555b66" stroke-width="1.5" stroke-dasharray="6 4"/>`);
    const soldOut = tl.find((p) => p.issuedTotal >= stock);
    if (soldOut) {
      const sx = x.scale(soldOut.t);
      const anchor = sx > (PLOT.x0 + PLOT.x1) / 2 ? 'end' : 'start';
      const dx = anchor === 'end' ? -6 : 6;
      marks.push(`<line class="soldout" x1="${n(sx)}" x2="${n(sx)}" y1="${n(PLOT.y0)}" y2="${n(PLOT.y1)}" stroke="#d1495b" stroke-width="1.5" stroke-dasharray="3 3"/>`);
      marks.push(`<circle class="mark soldout-dot" cx="${n(sx)}" cy="${sy}" r="4.5" fill="#d1495b"><title>${escapeHtml(`sold out by ${fmt.tick(soldOut.t)}s`)}</title></circle>`);
      marks.push(`<text class="label soldout-label" x="${n(sx + dx)}" y="${n(PLOT.y1 + 12)}" text-anchor="${anchor}">${escapeHtml(`sold out by ${fmt.tick(soldOut.t)}s`)}</text>`);
      note = `Stock of ${fmt.int(stock)} was gone within the first ${fmt.tick(soldOut.t)} s (per-second resolution).`;
    } else {
      note = `Stock was not exhausted: ${fmt.int(maxIssued)} of ${fmt.int(stock)} issued.`;
    }
  }
  const body = axes(x, { ticks: yTicks, scale: y, title: 'coupons issued' }) + `<g class="marks">${marks.join('')}</g>`;
  const chart: Chart = { svg: svg('issued', 'coupons issued against stock over time', body), legend };
  if (note !== undefined) chart.note = note;
  return chart;
}

/** x position of a percentile on the 1/(1-p) log axis. */
export function tailX(percentile: number): number {
  const q = 1 - percentile / 100;
  return q <= 0 ? Infinity : Math.log10(1 / q);
}

/** HDR percentile spectrum on a log axis: corrected against uncorrected latency. */
export function spectrumChart(corrected: SpectrumPoint[], uncorrected: SpectrumPoint[]): Chart {
  const legend = [
    { color: '#d1495b', label: 'corrected (from intended send time)' },
    { color: '#4c78a8', label: 'uncorrected (from actual send)', dashed: true },
  ];
  const all = [...corrected, ...uncorrected];
  if (all.length === 0) return { svg: svg('spectrum', 'latency percentile spectrum', emptyNote('empty histograms')), legend };
  const maxX = Math.max(2, ...all.map((p) => tailX(p.percentile)).filter(Number.isFinite));
  const decades = Math.ceil(maxX);
  const x = linear(0, decades, PLOT.x0, PLOT.x1);
  const xTicks = Array.from({ length: decades + 1 }, (_, i) => ({
    value: i,
    label: i === 0 ? '0%' : `${(100 - 100 / Math.pow(10, i)).toFixed(Math.max(0, i - 2))}%`,
  }));
  const maxMs = Math.max(0.001, ...all.map((p) => p.valueMs));
  const yTicks = linearTicks(0, maxMs);
  const y = linear(0, yTicks.at(-1)?.value ?? maxMs, PLOT.y0, PLOT.y1);
  const path = (pts: SpectrumPoint[]): string => linePath(pts.map((p): [number, number] => [x(tailX(p.percentile)), y(p.valueMs)]));
  const marks: string[] = [];
  // Corrected first and wider, uncorrected dashed on top: when they coincide both stay visible.
  if (corrected.length) {
    marks.push(`<path class="mark line" d="${path(corrected)}" stroke="#d1495b" stroke-width="3" fill="none"/>`);
  }
  if (uncorrected.length) {
    marks.push(`<path class="mark line" d="${path(uncorrected)}" stroke="#4c78a8" stroke-width="1.75" stroke-dasharray="6 4" fill="none"/>`);
  }
  const body = axes({ ticks: xTicks, scale: x, title: 'percentile (log scale of 1/(1−p))' }, { ticks: yTicks, scale: y, title: 'latency (ms)' }) +
    `<g class="marks">${marks.join('')}</g>`;
  const chart: Chart = { svg: svg('spectrum', 'HDR latency percentile spectrum', body), legend };
  const same = corrected.length === uncorrected.length && corrected.every((p, i) => p.valueMs === uncorrected[i]?.valueMs);
  if (same) chart.note = 'The curves coincide: no request was sent later than intended, so there was no coordinated omission to correct.';
  else {
    const c99 = corrected.find((p) => p.percentile >= 99)?.valueMs;
    const u99 = uncorrected.find((p) => p.percentile >= 99)?.valueMs;
    if (c99 !== undefined && u99 !== undefined && u99 > 0 && c99 / u99 >= 1.2) {
      chart.note = `Around p99 the corrected latency is ${(c99 / u99).toFixed(1)}× the uncorrected: requests waited to be sent (coordinated omission).`;
    }
  }
  return chart;
}
