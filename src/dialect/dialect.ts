import { UsageError } from '../errors.js';
import { AnswerMatcher } from './answer-matcher.js';
import { compileRequest } from './request-template.js';
import type { Dialect } from './types.js';

/** Every variable is "set" while a dialect is only checked: missing ones are refused when the run compiles it. */
const ANY_ENV = new Proxy({}, { get: () => 'x' }) as Record<string, string>;

/**
 * What the schema cannot say about a dialect: placeholders that exist, status classes, JSON
 * Pointers, header names. Throws UsageError (E_DIALECT_INVALID) naming the field.
 */
export function checkDialect(d: Dialect, source: string): void {
  try {
    if (d.answers) new AnswerMatcher(d.answers);
    if (d.request) compileRequest(d.request, 'localhost', ANY_ENV);
  } catch (err) {
    throw new UsageError(`${source}: ${(err as Error).message}`, 'E_DIALECT_INVALID');
  }
}

/**
 * The dialect a run speaks: the bundled contract by default, the scenario's own `request` and
 * `answers` over it, a `--dialect` file over both (each half on its own).
 */
export function applyDialect<S extends Dialect>(scenario: S, file: Dialect | undefined): S {
  if (!file) return scenario;
  return { ...scenario, ...(file.request ? { request: file.request } : {}), ...(file.answers ? { answers: file.answers } : {}) };
}
