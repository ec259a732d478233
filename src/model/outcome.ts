/**
 * Outcome classes (contract), after Jepsen's :ok / :fail / :info.
 * `issued` is ok; `sold_out`, `duplicate`, `not_found`, `rejected` are definite failures;
 * `unknown` (timeout, connection error, 5xx) may or may not have taken effect.
 */
export const OUTCOMES = ['issued', 'sold_out', 'duplicate', 'not_found', 'rejected', 'unknown'] as const;
/** One of {@link OUTCOMES}. */
export type Outcome = (typeof OUTCOMES)[number];

/** Numeric index of each outcome, for compact per-outcome arrays on the hot path. */
export const OUTCOME_INDEX: Readonly<Record<Outcome, number>> = {
  issued: 0,
  sold_out: 1,
  duplicate: 2,
  not_found: 3,
  rejected: 4,
  unknown: 5,
};

/** Error codes of the HTTP API (contract). */
export const ApiCode = {
  OutOfStock: 'COUPON_OUT_OF_STOCK',
  AlreadyIssued: 'COUPON_ALREADY_ISSUED',
  TemplateNotFound: 'COUPON_TEMPLATE_NOT_FOUND',
  TemplateConflict: 'COUPON_TEMPLATE_CONFLICT',
  InvalidRequest: 'INVALID_REQUEST',
  PayloadTooLarge: 'PAYLOAD_TOO_LARGE',
  UnsupportedMediaType: 'UNSUPPORTED_MEDIA_TYPE',
  NotFound: 'NOT_FOUND',
  MethodNotAllowed: 'METHOD_NOT_ALLOWED',
  Unauthorized: 'UNAUTHORIZED',
  MalformedRequest: 'MALFORMED_REQUEST',
  RequestTimeout: 'REQUEST_TIMEOUT',
  ServiceUnavailable: 'SERVICE_UNAVAILABLE',
  Internal: 'INTERNAL_ERROR',
} as const;
/** One of the {@link ApiCode} values. */
export type ApiCode = (typeof ApiCode)[keyof typeof ApiCode];

/**
 * Classify one HTTP answer. `code` is the body's `code` field when the body was JSON, else undefined.
 * `status` 0 means no answer at all (timeout, connection error).
 */
export function classifyResponse(status: number, code: string | undefined): Outcome {
  if (status === 200 || status === 201) return 'issued';
  if (status === 0 || status >= 500) return 'unknown';
  if (code === ApiCode.OutOfStock) return 'sold_out';
  if (code === ApiCode.AlreadyIssued) return 'duplicate';
  if (code === ApiCode.TemplateNotFound) return 'not_found';
  if (status === 408 || status === 429) return 'unknown';
  return 'rejected';
}

/** True for outcomes that prove the request did not issue a coupon. */
export function isDefiniteFailure(outcome: Outcome): boolean {
  return outcome !== 'issued' && outcome !== 'unknown';
}
