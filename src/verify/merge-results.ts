import type { InvariantName, InvariantResult } from '../model/verdict.js';
import { MAX_EXAMPLES } from './invariants/result.js';
import { mergeExercise } from './exercise.js';

/**
 * Fold one invariant's per-template results into one row: FAIL if any failed, PASS if any passed
 * and none failed, SKIP when some template was skipped and none judged, N/A only when the invariant
 * applies to no template. Counts add up; examples name the
 * template when there are several.
 */
export function mergeResults(name: InvariantName, perTemplate: ReadonlyArray<{ templateId: number; result: InvariantResult }>): InvariantResult {
  if (perTemplate.length === 1) return perTemplate[0]!.result;
  if (perTemplate.length === 0) return { name, status: 'SKIP', counts: {}, examples: [], detail: 'no template to judge' };
  const counts: Record<string, number> = {};
  const examples: string[] = [];
  for (const { templateId, result } of perTemplate) {
    for (const [k, v] of Object.entries(result.counts)) counts[k] = (counts[k] ?? 0) + v;
    for (const e of result.examples) if (examples.length < MAX_EXAMPLES) examples.push(`template ${templateId}: ${e}`);
  }
  const failed = perTemplate.filter((p) => p.result.status === 'FAIL');
  const passed = perTemplate.filter((p) => p.result.status === 'PASS');
  const skipped = perTemplate.filter((p) => p.result.status === 'SKIP');
  const label = (ps: typeof perTemplate): string => ps.map((p) => p.templateId).join(', ');
  const exercise = mergeExercise(perTemplate.map((p) => p.result));
  if (failed.length) {
    return { name, status: 'FAIL', counts, examples, detail: `${failed[0]!.result.detail} (template ${label(failed)})`, ...exercise };
  }
  if (passed.length) {
    const note = skipped.length ? `; skipped for template ${label(skipped)}: ${skipped[0]!.result.detail}` : '';
    return { name, status: 'PASS', counts, examples, detail: `${passed[0]!.result.detail} (template ${label(passed)})${note}`, ...exercise };
  }
  const first = skipped[0] ?? perTemplate[0]!;
  return { name, status: first.result.status, counts, examples, detail: first.result.detail };
}
