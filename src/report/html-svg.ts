import { escapeHtml } from './html-escape.js';
import { fmt } from './html-format.js';

/** Plot geometry shared by every chart: a fixed viewBox that scales to the container width. */
export const CHART = { width: 560, height: 260, left: 52, right: 14, top: 14, bottom: 40 } as const;

/** Inner plot box in viewBox units. */
export const PLOT = {
  x0: CHART.left,
  x1: CHART.width - CHART.right,
  y0: CHART.height - CHART.bottom,
  y1: CHART.top,
};

/** Linear map from a domain to a range. */
export function linear(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const span = d1 - d0 || 1;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

/** About `count` round tick values covering [min, max] (1, 2, 5 × 10^k steps). */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0];
  if (max <= min) max = min + 1;
  const raw = (max - min) / count;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const norm = raw / mag;
  const step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
  const ticks: number[] = [];
  for (let v = Math.floor(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if ((ticks.at(-1) ?? 0) < max) ticks.push(Number(((ticks.at(-1) ?? 0) + step).toPrecision(12)));
  return ticks;
}

/** Two-decimal coordinates keep the markup small. */
export function n(v: number): string {
  return (Math.round(v * 100) / 100).toString();
}

/** One chart axis: ticks, the data-to-pixel scale and a title. */
export interface AxisSpec {
  /** tick positions in data units and their labels */
  ticks: Array<{ value: number; label: string }>;
  scale: (v: number) => number;
  title: string;
}

/** Horizontal grid lines with y labels, x tick labels, and both axis titles. */
export function axes(x: AxisSpec, y: AxisSpec): string {
  const parts: string[] = ['<g class="axes">'];
  for (const t of y.ticks) {
    const py = n(y.scale(t.value));
    parts.push(`<line class="grid" x1="${PLOT.x0}" x2="${PLOT.x1}" y1="${py}" y2="${py}"/>`);
    parts.push(`<text class="tick" x="${PLOT.x0 - 6}" y="${py}" text-anchor="end" dominant-baseline="middle">${escapeHtml(t.label)}</text>`);
  }
  for (const t of x.ticks) {
    const px = n(x.scale(t.value));
    parts.push(`<line class="tickmark" x1="${px}" x2="${px}" y1="${PLOT.y0}" y2="${PLOT.y0 + 4}"/>`);
    parts.push(`<text class="tick" x="${px}" y="${PLOT.y0 + 16}" text-anchor="middle">${escapeHtml(t.label)}</text>`);
  }
  parts.push(`<line class="axis" x1="${PLOT.x0}" x2="${PLOT.x1}" y1="${PLOT.y0}" y2="${PLOT.y0}"/>`);
  parts.push(`<line class="axis" x1="${PLOT.x0}" x2="${PLOT.x0}" y1="${PLOT.y0}" y2="${PLOT.y1}"/>`);
  parts.push(`<text class="axis-title" x="${n((PLOT.x0 + PLOT.x1) / 2)}" y="${CHART.height - 6}" text-anchor="middle">${escapeHtml(x.title)}</text>`);
  parts.push(
    `<text class="axis-title" transform="translate(12 ${n((PLOT.y0 + PLOT.y1) / 2)}) rotate(-90)" text-anchor="middle">${escapeHtml(y.title)}</text>`,
  );
  parts.push('</g>');
  return parts.join('');
}

/** Linear-axis ticks with default labels. */
export function linearTicks(min: number, max: number, count = 5): Array<{ value: number; label: string }> {
  return niceTicks(min, max, count).map((value) => ({ value, label: fmt.tick(value) }));
}

/** Path data through points (a polyline); `step` draws a staircase (value holds until the next point). */
export function linePath(points: Array<[number, number]>, step = false): string {
  let d = '';
  let prevY: number | undefined;
  for (const [i, [x, y]] of points.entries()) {
    if (i === 0) d += `M${n(x)} ${n(y)}`;
    else if (step && prevY !== undefined) d += `H${n(x)}V${n(y)}`;
    else d += `L${n(x)} ${n(y)}`;
    prevY = y;
  }
  return d;
}

/**
 * Path data through points with breaks: a `null` ends the current run of points and the next
 * point starts a new one (no line is drawn across it).
 */
export function brokenLinePath(points: ReadonlyArray<[number, number] | null>): string {
  const runs: Array<Array<[number, number]>> = [[]];
  for (const p of points) {
    if (p === null) runs.push([]);
    else runs.at(-1)?.push(p);
  }
  return runs.filter((r) => r.length > 0).map((r) => linePath(r)).join('');
}

/** The <svg> wrapper every chart uses; `name` becomes data-chart (tests count marks per chart). */
export function svg(name: string, label: string, body: string): string {
  return (
    `<svg class="chart" data-chart="${escapeHtml(name)}" viewBox="0 0 ${CHART.width} ${CHART.height}" ` +
    `preserveAspectRatio="xMidYMid meet" role="img" aria-label="${escapeHtml(label)}" xmlns="http://www.w3.org/2000/svg">${body}</svg>`
  );
}

/** Centered "no data" message for an empty chart. */
export function emptyNote(text: string): string {
  return `<text class="empty" x="${n((PLOT.x0 + PLOT.x1) / 2)}" y="${n((PLOT.y0 + PLOT.y1) / 2)}" text-anchor="middle">${escapeHtml(text)}</text>`;
}
