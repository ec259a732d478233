import { UsageError } from '../errors.js';
import type { ScenarioCheck } from '../model/scenario.js';
import { AnswerMatcher, type UnmatchedSample } from './answer-matcher.js';
import { compileRequest, type EnvMap } from './request-template.js';
import type { Dialect } from './types.js';

/** What report.json records about a dialect's answers that no rule matched. */
export interface UnmatchedReport {
  count: number;
  /** up to five: status and the head of the body */
  samples: UnmatchedSample[];
}

/** A run's dialect, ready for the engine: the compiled answers, and the default check it implies. */
export interface RunDialect {
  answers: AnswerMatcher | undefined;
  /** the check used when the scenario has none */
  defaultCheck: ScenarioCheck | undefined;
}

/**
 * Check a run's dialect before anything starts: `{env.NAME}` placeholders must name variables of
 * `env` (a usage error before the load otherwise), and the answers compile.
 */
export function prepareRunDialect(d: Dialect, env: EnvMap): RunDialect {
  if (d.request) compileRequest(d.request, 'localhost', env);
  if (!d.answers) return { answers: undefined, defaultCheck: undefined };
  let answers: AnswerMatcher;
  try {
    answers = new AnswerMatcher(d.answers);
  } catch (err) {
    throw new UsageError(`answers: ${(err as Error).message}`, 'E_DIALECT_INVALID');
  }
  return { answers, defaultCheck: { name: 'answer is issued, sold out or duplicate', outcome: ['issued', 'sold_out', 'duplicate'] } };
}

/** The unmatched answers of a run, for report.json (undefined without a dialect's answers). */
export function unmatchedReport(m: AnswerMatcher | undefined): UnmatchedReport | undefined {
  return m ? { count: m.unmatched, samples: [...m.samples] } : undefined;
}

/** One line naming the unmatched answers and their samples (summary, harness reason). */
export function describeUnmatched(u: UnmatchedReport): string {
  const samples = u.samples.map((s) => `${s.status} ${JSON.stringify(s.body.length > 80 ? `${s.body.slice(0, 80)}…` : s.body)}`).join(', ');
  return `${u.count.toLocaleString('en-US')} answer(s) matched no rule of "answers" (e.g. ${samples})`;
}
