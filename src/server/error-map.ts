import { couponIdOf } from '../model/coupon-id.js';
import type { IssueOutcome } from '../redis/issue-result.js';
import { ApiCode } from '../model/outcome.js';
import { RETRY_AFTER_SECONDS } from './responses.js';

/**
 * The one map from what went wrong to the HTTP contract's answer (status, error code, message,
 * extra headers and body fields). Routes decide what happened; this file decides how it is said.
 */
export interface ErrorAnswer {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly headers?: readonly string[] | undefined;
  readonly extra?: Record<string, unknown> | undefined;
}

export const RETRY_HEADERS = ['Retry-After', RETRY_AFTER_SECONDS];
export const DRAIN_HEADERS = ['Retry-After', RETRY_AFTER_SECONDS, 'Connection', 'close'];
export const CLOSE_HEADERS = ['Connection', 'close'];

/** Redis errors that mean "try again later" rather than a bug. */
const TRANSIENT_REPLY = /^(LOADING|BUSY|MASTERDOWN|READONLY|TRYAGAIN|CLUSTERDOWN|MOVED|ASK|NOSCRIPT)/;

export const draining = (): ErrorAnswer => ({ status: 503, code: ApiCode.ServiceUnavailable, message: 'server is draining', headers: DRAIN_HEADERS });
export const overloaded = (): ErrorAnswer => ({ status: 503, code: ApiCode.ServiceUnavailable, message: 'server overloaded', headers: RETRY_HEADERS });
export const redisUnavailable = (status: string): ErrorAnswer => ({
  status: 503,
  code: ApiCode.ServiceUnavailable,
  message: `Redis is not available (${status})`,
  headers: RETRY_HEADERS,
});
export const notJson = (): ErrorAnswer => ({ status: 415, code: ApiCode.UnsupportedMediaType, message: 'Content-Type must be application/json' });
export const invalid = (message: string): ErrorAnswer => ({ status: 400, code: ApiCode.InvalidRequest, message });
export const badTemplateId = (): ErrorAnswer => invalid('template id must be a positive safe integer');
export const templateNotFound = (templateId: number): ErrorAnswer => ({
  status: 404,
  code: ApiCode.TemplateNotFound,
  message: `template ${templateId} does not exist`,
});
export const templateConflict = (templateId: number, stock: number): ErrorAnswer => ({
  status: 409,
  code: ApiCode.TemplateConflict,
  message: `template ${templateId} exists with stock ${stock}`,
  extra: { templateId, stock },
});
export const methodNotAllowed = (method: string, allow: string): ErrorAnswer => ({
  status: 405,
  code: ApiCode.MethodNotAllowed,
  message: `method ${method} not allowed; use ${allow}`,
  headers: ['Allow', allow],
});
export const unauthorized = (): ErrorAnswer => ({
  status: 401,
  code: ApiCode.Unauthorized,
  message: 'admin token missing or wrong',
  headers: ['WWW-Authenticate', 'Bearer'],
});
export const tooLarge = (limit: number): ErrorAnswer => ({
  status: 413,
  code: ApiCode.PayloadTooLarge,
  message: `request body over ${limit} bytes`,
  headers: CLOSE_HEADERS,
});
/** A store or Redis call of a slow route failed: try again later. */
export const slowRouteFailed = (what: string, err: unknown): ErrorAnswer => ({
  status: 503,
  code: ApiCode.ServiceUnavailable,
  message: `${what}: ${errMessage(err)}`,
  headers: RETRY_HEADERS,
});

/**
 * The issue script's refusal (or a sold-out snapshot's), as its contract error. `restoring`: the
 * template is missing from Redis but the database holds it (it is being put back).
 */
export function refusal(outcome: IssueOutcome | undefined, code: number, templateId: number, seq: number, restoring: boolean): ErrorAnswer {
  switch (outcome) {
    case 'already_issued':
      return { status: 400, code: ApiCode.AlreadyIssued, message: 'this user already holds a coupon of this template', extra: { couponId: couponIdOf(templateId, seq) } };
    case 'out_of_stock':
      return { status: 400, code: ApiCode.OutOfStock, message: 'the template is sold out' };
    case 'template_not_found':
      return restoring
        ? { status: 503, code: ApiCode.ServiceUnavailable, message: `template ${templateId} is being restored into Redis`, headers: RETRY_HEADERS }
        : templateNotFound(templateId);
    default:
      return { status: 500, code: ApiCode.Internal, message: `issue script returned unknown code ${String(code)}` };
  }
}

/**
 * Redis failed or timed out on an issue: the client cannot know whether the coupon was issued. A
 * ReplyError that is not transient is a bug (wrong key type, script error): 500. Anything else
 * (timeout, connection lost, not writable) means Redis is unavailable: 503.
 */
export function redisFailure(err: unknown): ErrorAnswer {
  const msg = errMessage(err);
  if (err instanceof Error && err.name === 'ReplyError' && !TRANSIENT_REPLY.test(msg)) {
    return { status: 500, code: ApiCode.Internal, message: `Redis error: ${msg}` };
  }
  return redisUnavailable(msg);
}

/** Malformed framing -> 400, headers never finished -> 408 (node:http's clientError codes). */
export function clientErrorAnswer(errCode: string | undefined): ErrorAnswer & { reason: string } {
  const timeout = errCode === 'ERR_HTTP_REQUEST_TIMEOUT';
  const message = timeout
    ? 'request headers or body not received in time'
    : errCode === 'HPE_HEADER_OVERFLOW'
      ? 'request headers too large'
      : `malformed HTTP request (${errCode ?? 'parse error'})`;
  return timeout
    ? { status: 408, reason: 'Request Timeout', code: ApiCode.RequestTimeout, message }
    : { status: 400, reason: 'Bad Request', code: ApiCode.MalformedRequest, message };
}

export function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
