import type { ChalkInstance } from 'chalk';
import type { VerdictJson } from '../model/verdict.js';
import { statusPaint, trailerLines, wordPaint } from './verdict-paint.js';
import { formatCounts, invariantNotes, qualifiedPass, verdictWord } from './verdict-text.js';
import { wrapHanging, wrapText } from './wrap-text.js';

/** Indent of an invariant's lines under its status. */
const INDENT = 6;

/**
 * The verdict as a list for narrow terminals: per invariant its status and name on one line, then
 * the detail, counts and examples indented under it, every line within `width`. The same content
 * as the table, nothing left out.
 */
export function formatCompactVerdict(v: VerdictJson, c: ChalkInstance, width: number): string {
  const word = verdictWord(v);
  const head = wrapHanging(`${word}  ${v.headline}`, width, 2);
  head[0] = head[0]!.replace(word, wordPaint(c, v)(word));
  const lines = [...head, ''];
  const pad = ' '.repeat(INDENT);
  const inner = width - INDENT;
  for (const i of v.invariants) {
    const status = qualifiedPass(i) ? 'PASS*' : i.status;
    const first = wrapText(i.name, width - INDENT);
    lines.push(`${statusPaint(c, i)(status.padEnd(INDENT))}${first[0] ?? ''}`, ...first.slice(1).map((l) => pad + l));
    const body = [...invariantNotes(i), formatCounts(i.counts)].filter((l) => l.length > 0);
    for (const l of body) lines.push(...wrapHanging(l, inner, 2).map((w) => pad + w));
  }
  lines.push('', ...trailerLines(v, c, width, true));
  return lines.join('\n');
}
