import Table from 'cli-table3';
import { Chalk, type ChalkInstance } from 'chalk';
import type { VerdictJson } from '../model/verdict.js';
import { terminalWidth } from '../shared/terminal-width.js';
import { formatCompactVerdict } from './verdict-compact.js';
import { statusPaint, trailerLines, wordPaint } from './verdict-paint.js';
import { formatCounts, invariantNotes, statusCell, verdictWord } from './verdict-text.js';
import { wrapHanging, wrapText } from './wrap-text.js';

/** Below this width the verdict is a list, not a table. */
export const COMPACT_BELOW = 100;
/** The table never grows wider than this, however wide the terminal. */
const MAX_TABLE_WIDTH = 140;
const NAME_COL = 19;
const STATUS_COL = 11;
const COUNTS_COL = 24;

/** Options of {@link formatVerdict}: colour, and the width (default: COLUMNS, the terminal, else 120 when piped). */
export interface VerdictFormat {
  color: boolean;
  width?: number;
  /** wrap the headline and notes too (default: when the width came from the terminal or COLUMNS) */
  wrapAll?: boolean;
}

/** Colour each line of a wrapped cell on its own, so the table measures plain widths. */
function paintLines(lines: string[], paint: (s: string) => string): string {
  return lines.map(paint).join('\n');
}

function formatTable(v: VerdictJson, c: ChalkInstance, width: number, wrap: boolean, color: boolean): string {
  const total = Math.min(width, MAX_TABLE_WIDTH);
  // Four columns and five borders; padding (one space each side) is inside each width.
  const detailCol = total - 5 - NAME_COL - STATUS_COL - COUNTS_COL;
  const table = new Table({
    head: ['invariant', 'status', 'counts', 'detail / examples'],
    // cli-table3 colours its borders and head by default; plain output stays plain.
    style: color ? { head: ['cyan'] } : { head: [], border: [] },
    // Cells arrive wrapped to their width: nothing is ever cut off with an ellipsis.
    wordWrap: false,
    colWidths: [NAME_COL, STATUS_COL, COUNTS_COL, detailCol],
  });
  for (const i of v.invariants) {
    const paint = statusPaint(c, i);
    table.push([
      wrapText(i.name, NAME_COL - 2).join('\n'),
      paintLines(wrapText(statusCell(i), STATUS_COL - 2), paint),
      wrapText(formatCounts(i.counts), COUNTS_COL - 2).join('\n'),
      invariantNotes(i)
        .flatMap((l) => wrapText(l, detailCol - 2))
        .join('\n'),
    ]);
  }
  const head = `${wordPaint(c, v)(verdictWord(v))}  ${v.headline}`;
  const headLines = wrap ? wrapHanging(`${verdictWord(v)}  ${v.headline}`, width, 2) : [head];
  if (wrap) headLines[0] = headLines[0]!.replace(verdictWord(v), wordPaint(c, v)(verdictWord(v)));
  return [...headLines, table.toString(), ...trailerLines(v, c, width, wrap)].join('\n');
}

/**
 * The verdict for a terminal: a table (invariant, status, counts, detail and examples) under a
 * headline, fitted to the width by wrapping the detail column; below {@link COMPACT_BELOW} columns
 * a list of the same content. Nothing is cut off at any width.
 */
export function formatVerdict(v: VerdictJson, opts: VerdictFormat): string {
  const term = opts.width === undefined ? terminalWidth() : { width: opts.width, fromTerminal: true };
  const wrap = opts.wrapAll ?? term.fromTerminal;
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  if (term.width < COMPACT_BELOW) return formatCompactVerdict(v, c, term.width);
  return formatTable(v, c, term.width, wrap, opts.color);
}
