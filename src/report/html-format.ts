/** Number formatting shared by the HTML report's tables and chart axes (and the terminal summary's byte counts). */
export const fmt = {
  /** milliseconds with precision that suits the magnitude */
  ms(v: number | null | undefined): string {
    if (v === null || v === undefined || !Number.isFinite(v)) return '–';
    const a = Math.abs(v);
    const digits = a === 0 ? 0 : a < 1 ? 3 : a < 10 ? 2 : a < 100 ? 1 : 0;
    return `${v.toFixed(digits)} ms`;
  },
  /** axis label: short, no unit */
  tick(v: number): string {
    const a = Math.abs(v);
    if (a >= 1e6) return `${trim(v / 1e6)}M`;
    if (a >= 1e4) return `${trim(v / 1e3)}k`;
    if (a === 0 || a >= 100) return String(Math.round(v));
    return trim(v);
  },
  int(v: number | null | undefined): string {
    if (v === null || v === undefined || !Number.isFinite(v)) return '–';
    return Math.round(v).toLocaleString('en-US');
  },
  rate(v: number | null | undefined): string {
    if (v === null || v === undefined || !Number.isFinite(v)) return '–';
    return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)}/s`;
  },
  pct(v: number): string {
    return `${(v * 100).toFixed(v === 0 || v === 1 ? 0 : v < 0.01 ? 2 : 1)}%`;
  },
  bytes(v: number | undefined): string {
    if (v === undefined || !Number.isFinite(v)) return '–';
    const units = ['B', 'kB', 'MB', 'GB'];
    let x = v;
    let i = 0;
    while (x >= 1000 && i < units.length - 1) {
      x /= 1000;
      i++;
    }
    return `${i === 0 ? x : x.toFixed(1)} ${units[i]}`;
  },
  seconds(ms: number): string {
    return ms < 10_000 ? `${(ms / 1000).toFixed(2)} s` : `${(ms / 1000).toFixed(1)} s`;
  },
};

function trim(v: number): string {
  return Number(v.toPrecision(3)).toString();
}
