import type { Outcome } from '../model/outcome.js';
import { parsePointer, readPointer, type JsonPointer } from './json-pointer.js';
import type { DialectAnswer } from './types.js';

/** How many unmatched answers are kept as samples. */
const SAMPLES = 5;
/** How much of an unmatched body a sample keeps. */
const BODY_HEAD = 200;

/** An answer no rule matched: its status and the head of its body. */
export interface UnmatchedSample {
  status: number;
  body: string;
}

/** What one answer means: the outcome the ledger records, the coupon id, and why when it is not plain. */
export interface MatchedAnswer {
  outcome: Outcome;
  couponId: string | undefined;
  /** `ACCEPTED` (a 202 or queue: recorded as unknown), `UNMATCHED_<status>` for an answer no rule matched */
  err: string | undefined;
}

interface CompiledRule {
  statuses: Uint8Array;
  body: Array<[JsonPointer, unknown]>;
  outcome: Outcome;
  accepted: boolean;
  couponId: JsonPointer | undefined;
}

/** The codes a rule's `status` names: one, a list, or a class ("4xx"). */
function statusSet(status: DialectAnswer['status'], where: string): Uint8Array {
  const set = new Uint8Array(600);
  const add = (s: number | string): void => {
    if (typeof s === 'number') {
      if (!Number.isInteger(s) || s < 100 || s > 599) throw new Error(`${where}.status: ${s} is not an HTTP status (100-599)`);
      set[s] = 1;
      return;
    }
    const m = /^([1-5])xx$/i.exec(s);
    if (!m) throw new Error(`${where}.status: "${s}" is neither a code nor a class such as "4xx"`);
    const from = Number(m[1]) * 100;
    set.fill(1, from, from + 100);
  };
  if (Array.isArray(status)) status.forEach(add);
  else add(status);
  return set;
}

/** Deep equality of two JSON values. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * A scenario's `answers`, compiled: the first rule whose status (and body, when it names JSON
 * Pointers) matches decides the outcome. An answer no rule matches is `unknown` when it is a 5xx,
 * else `rejected`, and is counted as unmatched with up to five samples. `accepted` (asynchronous
 * issuance: a 202 or a queue) acknowledges no coupon: it is recorded as `unknown` (err ACCEPTED),
 * so the audit allows a coupon for it and never expects one.
 */
export class AnswerMatcher {
  private readonly rules: CompiledRule[];
  /** whether any rule reads the body (else it is never parsed) */
  private readonly readsBody: boolean[] = [];
  unmatched = 0;
  readonly samples: UnmatchedSample[] = [];

  constructor(answers: readonly DialectAnswer[]) {
    this.rules = answers.map((a, i) => {
      const where = `answers[${i}]`;
      const parse = (p: string, field: string): JsonPointer => {
        try {
          return parsePointer(p);
        } catch (err) {
          throw new Error(`${where}.${field}: ${(err as Error).message}`);
        }
      };
      const rule: CompiledRule = {
        statuses: statusSet(a.status, where),
        body: Object.entries(a.body ?? {}).map(([p, v]) => [parse(p, `body`), v]),
        outcome: a.outcome === 'accepted' ? 'unknown' : a.outcome,
        accepted: a.outcome === 'accepted',
        couponId: a.couponId !== undefined ? parse(a.couponId, 'couponId') : undefined,
      };
      this.readsBody.push(rule.body.length > 0 || rule.couponId !== undefined);
      return rule;
    });
  }

  /** Classify one answer (`status` 0: none came). `body` may be a view of a shared buffer: it is read now. */
  match(status: number, body: Buffer | undefined): MatchedAnswer {
    if (status === 0) return { outcome: 'unknown', couponId: undefined, err: undefined };
    let doc: unknown;
    let parsed = false;
    for (let i = 0; i < this.rules.length; i++) {
      const r = this.rules[i] as CompiledRule;
      if (r.statuses[status] !== 1) continue;
      if (this.readsBody[i] === true && !parsed) {
        parsed = true;
        doc = parseBody(body);
      }
      if (!r.body.every(([p, v]) => sameJson(readPointer(doc, p), v))) continue;
      let couponId: string | undefined;
      if (r.couponId !== undefined) {
        const c = readPointer(doc, r.couponId);
        if (typeof c === 'string' || typeof c === 'number') couponId = String(c);
      }
      return { outcome: r.outcome, couponId, err: r.accepted ? 'ACCEPTED' : undefined };
    }
    this.unmatched++;
    if (this.samples.length < SAMPLES) this.samples.push({ status, body: body === undefined ? '' : body.toString('utf8', 0, Math.min(body.length, BODY_HEAD)) });
    return { outcome: status >= 500 ? 'unknown' : 'rejected', couponId: undefined, err: `UNMATCHED_${status}` };
  }
}

function parseBody(body: Buffer | undefined): unknown {
  if (body === undefined || body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}
