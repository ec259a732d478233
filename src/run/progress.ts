import { redactUrl } from '../shared/redact-url.js';
import type { RunEvent, RunTick } from './run-input.js';

/** Shown for a figure not known yet (rate and p95 before the run's first full second). */
export const UNKNOWN = '–';

/** What a signal does to the run, in one line (`stopping`: the load is being cut short). */
export function interruptNotice(signal: string, stopping: boolean): string {
  return stopping
    ? `${signal}: stopping the load (in-flight requests finish), then writing the report marked interrupted; a second ${signal} quits at once`
    : `${signal}: the load had finished; finishing the audit (a second ${signal} quits at once)`;
}

/** Cells of the progress bar on a terminal. */
const BAR_CELLS = 20;

/** `[██████░░░░]` for the share of the planned time gone (empty without a plan). */
export function progressBar(elapsedMs: number, plannedMs: number | undefined, cells = BAR_CELLS): string {
  if (plannedMs === undefined || plannedMs <= 0) return '';
  const full = Math.max(0, Math.min(cells, Math.round((elapsedMs / plannedMs) * cells)));
  return `[${'█'.repeat(full)}${'░'.repeat(cells - full)}]`;
}

/**
 * `/7s` after the elapsed seconds; `/7s+` once a chaos run goes on past its planned end (a fault not
 * begun or not recovered yet, docs/faults.md); `s` when no duration is planned.
 */
function plannedText(t: RunTick): string {
  if (t.plannedMs === undefined) return 's';
  return `/${(t.plannedMs / 1000).toFixed(0)}s${t.elapsedMs > t.plannedMs + 500 ? '+' : ''}`;
}

/**
 * The terminal's progress line: a bar with elapsed/total, VUs (closed model) or requests in flight
 * (arrival rate), the last second's rate and p95, issued, errors; cut to the terminal's width so
 * redrawing it in place never wraps.
 */
export function ttyProgressLine(t: RunTick, columns?: number): string {
  const el = (t.elapsedMs / 1000).toFixed(0);
  const of = plannedText(t);
  const bar = progressBar(t.elapsedMs, t.plannedMs);
  const load = t.vus !== undefined ? `VUs ${t.vus}` : `in flight ${t.inFlight}`;
  const p95 = t.p95 !== undefined ? `${t.p95.toFixed(2)}ms` : UNKNOWN;
  const persisted = t.persisted ? `  persisted ${t.persisted.persisted}/${t.persisted.issued}` : '';
  const line = `${bar ? `${bar} ` : ''}${el}${of}  ${load}  ${t.rate ?? UNKNOWN}/s  p95 ${p95}  issued ${t.issued}  errors ${t.errors}${t.dropped ? `  dropped ${t.dropped}` : ''}${persisted}`;
  return columns !== undefined && columns > 1 && line.length >= columns ? `${line.slice(0, columns - 2)}…` : line;
}

/**
 * Live progress for `run` and `demo`, written to a stream (stderr): on a TTY one line (a bar) redrawn
 * every second; when piped, a plain line every `pipedEverySec` seconds. Against the bundled server
 * the line ends with `persisted X/Y (lag Z)`: rows in the database of coupons issued in Redis.
 * Figures not known yet (the first second's rate and p95) show as `–`, never as 0. `announce:
 * false` leaves out the serving/start lines (the demo says those its own way).
 */
export function createProgressPrinter(out: NodeJS.WriteStream, opts: { tty: boolean; pipedEverySec?: number; announce?: boolean }): (e: RunEvent) => void {
  const every = opts.pipedEverySec ?? 5;
  const announce = opts.announce ?? true;
  let lastPlain = 0;
  let drawn = false;
  const line = (t: RunTick): string => {
    const el = (t.elapsedMs / 1000).toFixed(0);
    const of = plannedText(t);
    const persisted = t.persisted ? `  persisted ${t.persisted.persisted}/${t.persisted.issued} (lag ${t.persisted.lag})` : '';
    const p95 = t.p95 !== undefined ? `${t.p95.toFixed(2)}ms` : UNKNOWN;
    return `running ${el}${of}  reqs ${t.total}  ${t.rate ?? UNKNOWN}/s  p95 ${p95}  issued ${t.issued}  errors ${t.errors}${t.dropped ? `  dropped ${t.dropped}` : ''}${persisted}`;
  };
  return (e) => {
    if (e.type === 'server') {
      if (!announce) return;
      const { redis, db, prefix } = e.stores;
      out.write(`serving on ${e.url} (redis ${redactUrl(redis ?? '?')}, db ${redactUrl(db ?? '?')}, prefix ${prefix ?? '?'})\n`);
    }
    else if (e.type === 'start') {
      if (announce) out.write(`run ${e.runId}: ${e.scenario.name} (${e.scenario.executor}) -> ${e.target}\n`);
    } else if (e.type === 'tick') {
      if (opts.tty) {
        out.write(`\r\x1b[2K${ttyProgressLine(e.tick, out.columns)}`);
        drawn = true;
      } else if (e.tick.elapsedMs / 1000 - lastPlain >= every - 0.5) {
        lastPlain = e.tick.elapsedMs / 1000;
        out.write(`${line(e.tick)}\n`);
      }
    } else if (e.type === 'interrupt') {
      out.write(`${drawn ? '\r\x1b[2K' : ''}${interruptNotice(e.signal, e.stopping)}\n`);
      drawn = false;
    } else if (e.type === 'fault') {
      const at = (e.atMs / 1000).toFixed(1);
      const what = e.phase === 'begin' ? `fault ${e.label} begins at ${at}s` : `fault ${e.label} lifted at ${at}s${e.detail ? `: ${e.detail}` : ''}${e.dataLost ? ` — DATA LOST: ${e.dataLost}` : ''}`;
      out.write(`${drawn ? '\r\x1b[2K' : ''}${what}\n`);
      drawn = false;
    } else if (e.type === 'done' && drawn) {
      out.write('\r\x1b[2K');
      drawn = false;
    }
  };
}
