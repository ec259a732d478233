import { OUTCOMES } from '../model/outcome.js';
import type { RunReport } from '../model/report.js';
import type { Chart } from './html-charts.js';
import { tailX } from './html-charts.js';
import type { SpectrumPoint } from './histogram-codec.js';
import { fmt } from './html-format.js';
import { PLOT, axes, brokenLinePath, emptyNote, linear, linearTicks, niceTicks, svg, type AxisSpec } from './html-svg.js';

/** The two runs' colours on every overlay: the base muted blue, the new run orange. */
export const RUN_STYLE = {
  base: { color: '#4c78a8', label: 'base' },
  next: { color: '#e8702a', label: 'new' },
} as const;

/** One run's line on an overlay: data points (null breaks the line) and how it is drawn. */
interface OverlaySeries {
  run: keyof typeof RUN_STYLE;
  points: Array<[number, number] | null>;
  dashed?: boolean;
}

function overlay(name: string, label: string, x: Omit<AxisSpec, 'scale'> & { max: number }, yTitle: string, series: OverlaySeries[]): string {
  const values = series.flatMap((s) => s.points).filter((p): p is [number, number] => p !== null);
  if (values.length === 0) return svg(name, label, emptyNote('no data in either run'));
  const xs = linear(0, x.max, PLOT.x0, PLOT.x1);
  const yTicks = linearTicks(0, Math.max(0.001, ...values.map((p) => p[1])));
  const ys = linear(0, yTicks.at(-1)?.value ?? 1, PLOT.y0, PLOT.y1);
  const marks = series.map((s) => {
    const d = brokenLinePath(s.points.map((p) => (p === null ? null : [xs(p[0]), ys(p[1])])));
    const style = RUN_STYLE[s.run];
    return `<path class="mark line" data-run="${s.run}" d="${d}" stroke="${style.color}" stroke-width="${s.run === 'base' ? 2.5 : 2}"${s.dashed ? ' stroke-dasharray="6 4"' : ''} fill="none"/>`;
  });
  return svg(name, label, axes({ ...x, scale: xs }, { ticks: yTicks, scale: ys, title: yTitle }) + `<g class="marks">${marks.join('')}</g>`);
}

function timeAxis(maxT: number): Omit<AxisSpec, 'scale'> & { max: number } {
  const ticks = niceTicks(0, maxT, 6)
    .filter((v) => v <= maxT + 1e-9)
    .map((value) => ({ value, label: `${fmt.tick(value)}s` }));
  return { ticks, title: 'time since each run started (s)', max: maxT };
}

function answers(p: RunReport['timeline'][number]): number {
  return OUTCOMES.reduce((s, o) => s + (p.counts[o] ?? 0), 0);
}

const legend: Chart['legend'] = [
  { color: RUN_STYLE.base.color, label: 'base run' },
  { color: RUN_STYLE.next.color, label: 'new run' },
];

/** Responses per second of both runs over their own time since start. */
export function throughputOverlay(base: RunReport, next: RunReport): Chart {
  const maxT = Math.max(1, ...[base, next].flatMap((r) => [r.durationMs / 1000, ...r.timeline.map((p) => p.t)]));
  const line = (r: RunReport): Array<[number, number]> => r.timeline.map((p) => [p.t, answers(p)]);
  return { svg: overlay('compare-throughput', 'responses per second, both runs', timeAxis(maxT), 'responses / s', [{ run: 'base', points: line(base) }, { run: 'next', points: line(next) }]), legend };
}

/** p95 per second of both runs; a second without answers breaks its line. */
export function p95Overlay(base: RunReport, next: RunReport): Chart {
  const maxT = Math.max(1, ...[base, next].flatMap((r) => [r.durationMs / 1000, ...r.timeline.map((p) => p.t)]));
  const line = (r: RunReport): Array<[number, number] | null> => r.timeline.map((p) => (answers(p) > 0 ? [p.t, p.p95] : null));
  return { svg: overlay('compare-p95', 'p95 latency per second, both runs', timeAxis(maxT), 'p95 (ms, corrected)', [{ run: 'base', points: line(base) }, { run: 'next', points: line(next) }]), legend };
}

/** Both runs' corrected percentile spectra on the 1/(1-p) log axis. */
export function spectrumOverlay(base: SpectrumPoint[], next: SpectrumPoint[]): Chart {
  const all = [...base, ...next];
  const decades = Math.ceil(Math.max(2, ...all.map((p) => tailX(p.percentile)).filter(Number.isFinite)));
  const ticks = Array.from({ length: decades + 1 }, (_, i) => ({
    value: i,
    label: i === 0 ? '0%' : `${(100 - 100 / Math.pow(10, i)).toFixed(Math.max(0, i - 2))}%`,
  }));
  const pts = (s: SpectrumPoint[]): Array<[number, number]> => s.filter((p) => Number.isFinite(tailX(p.percentile))).map((p) => [tailX(p.percentile), p.valueMs]);
  const x = { ticks, title: 'percentile (log scale of 1/(1−p))', max: decades };
  return {
    svg: overlay('compare-spectrum', 'latency percentile spectrum, both runs', x, 'latency (ms, corrected)', [{ run: 'base', points: pts(base) }, { run: 'next', points: pts(next), dashed: true }]),
    legend: [legend[0]!, { ...legend[1]!, dashed: true }],
  };
}
