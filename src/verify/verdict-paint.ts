import type { ChalkInstance } from 'chalk';
import type { InvariantResult, VerdictJson } from '../model/verdict.js';
import { trailerParts, verdictTone } from './verdict-text.js';
import { wrapCommand, wrapHanging } from './wrap-text.js';

/** Colour of a status cell. */
export function statusPaint(c: ChalkInstance, i: InvariantResult): (s: string) => string {
  if (i.status === 'FAIL') return (s) => c.red.bold(s);
  if (i.status === 'PASS') return i.exercised === false || i.exercised === null ? (s) => c.yellow(s) : (s) => c.green(s);
  // Does not apply to this target: neither a pass nor a gap.
  if (i.status === 'N/A') return (s) => c.dim(s);
  return (s) => c.yellow(s);
}

/** Colour of the verdict word. */
export function wordPaint(c: ChalkInstance, v: VerdictJson): (s: string) => string {
  const tone = verdictTone(v);
  return tone === 'pass' ? (s) => c.bold.green(s) : tone === 'fail' ? (s) => c.bold.red(s) : (s) => c.bold.yellow(s);
}

/** The lines after the table or list, wrapped to `width` when `wrap`. */
export function trailerLines(v: VerdictJson, c: ChalkInstance, width: number, wrap: boolean): string[] {
  const t = trailerParts(v);
  const fit = (s: string): string[] => (wrap ? wrapHanging(s, width, 2) : [s]);
  const lines = t.notes.flatMap(fit).map((l) => c.yellow(l));
  if (t.command) lines.push(...(wrap ? wrapCommand(t.command, width - 2).map((l) => `  ${l}`) : [`  ${t.command}`]));
  lines.push(...t.sources.flatMap(fit).map((l) => c.dim(l)), ...fit(t.footer).map((l) => c.dim(l)));
  return lines;
}
