/**
 * A service's dialect: how to ask it for a coupon (`request`) and how to read what it answers
 * (`answers`), as written in a scenario or a `--dialect` file (scenarios/scenario.schema.json).
 */

/** The issue request, with placeholders `{userId}`, `{templateId}`, `{requestId}`, `{env.NAME}`. */
export interface DialectRequest {
  /** HTTP method (default POST) */
  method?: string;
  /** path and query, e.g. `/v1/campaigns/{templateId}/claims` */
  path: string;
  headers?: Record<string, string>;
  /** a JSON value (sent as JSON) or a string (sent as is, with `contentType`) */
  body?: unknown;
  /** content type of a string body (default application/x-www-form-urlencoded); a JSON body is application/json */
  contentType?: string;
}

/** What an answer means, as the ledger and the audit count it. */
export type AnswerOutcome = 'issued' | 'duplicate' | 'sold_out' | 'not_found' | 'rejected' | 'unknown' | 'accepted';

/** One rule of `answers`: the first rule whose status and body match decides the outcome. */
export interface DialectAnswer {
  /** a code (201), a list ([400, 422]) or a class ("4xx") */
  status: number | number[] | string;
  /** JSON Pointer -> the value that must be there, e.g. {"/error/code": "SOLD_OUT"} */
  body?: Record<string, unknown>;
  outcome: AnswerOutcome;
  /** JSON Pointer to the coupon id in the body (issued, duplicate), e.g. "/data/claimId" */
  couponId?: string;
}

/** The two halves of a dialect; either may be missing (then the bundled contract's stays). */
export interface Dialect {
  request?: DialectRequest;
  answers?: DialectAnswer[];
}
