import { performance } from 'node:perf_hooks';
import { couponIdOf } from '../model/coupon-id.js';
import { issueOutcome, type IssueOutcome } from '../redis/issue-result.js';
import { templateKeys, type TemplateKeys } from '../redis/keys.js';
import type { AppCore, AppRequest, IssueExchange } from './app-core.js';
import { isJson } from './content-type.js';
import { draining, invalid, notJson, overloaded, redisFailure, redisUnavailable, refusal, type ErrorAnswer } from './error-map.js';
import { Route } from './metrics.js';
import { parseIssueBody } from './validate-issue.js';

/** Path of the issue route (the hot path). */
export const ISSUE_PATH = '/api/coupons/issue';
const MAX_CACHED_TEMPLATES = 10_000;

/**
 * POST /api/coupons/issue, the hot path: validate, run the issue script (through the pipeline, or
 * ioredis), answer. It avoids per-request allocations where it can: shared listener functions, a
 * hand-written validator, flat header arrays and a template-key cache.
 */
export class IssueRoute {
  private readonly keyCache = new Map<number, TemplateKeys>();
  private lastIsoMs = -1;
  private lastIso = '';

  constructor(private readonly app: AppCore) {}

  /** Headers read (node:http front): check them and take the body. */
  start(req: AppRequest): void {
    if (this.app.draining) return this.app.answer(req.route, req, draining());
    if (!isJson(req.headers['content-type'])) return this.app.answer(req.route, req, notJson());
    const cl = req.headers['content-length'];
    if (cl !== undefined && Number(cl) > this.app.bodyLimit) return this.app.tooLarge(req);
    req.on('data', onIssueData);
    req.on('end', onIssueEnd);
  }

  /** An issue request's body, from either front: validate and run the script. */
  text(x: IssueExchange, body: string): void {
    const { deps } = this.app;
    const parsed = parseIssueBody(body);
    if (typeof parsed === 'string') return this.reject(x, invalid(parsed));
    const client = deps.pipeline ?? deps.redis;
    if (client.status !== 'ready') return this.reject(x, redisUnavailable(client.status));
    x.userId = parsed.userId;
    x.templateId = parsed.templateId;
    const soldOut = deps.soldOut;
    if (soldOut !== undefined) {
      // A sold-out template's state is final: answer as the script would, without Redis.
      const holders = soldOut.holders(parsed.templateId, deps.pipeline!.generation, x.startedAt);
      if (holders !== undefined) {
        soldOut.answers++;
        const seq = holders.get(parsed.userId);
        return this.refuse(x, seq === undefined ? 'out_of_stock' : 'already_issued', 0, seq ?? 0);
      }
    }
    if (this.app.inFlight >= deps.maxInFlight) return this.reject(x, overloaded());
    const k = (x.issueKeys = this.keysOf(parsed.templateId));
    this.app.inFlight++;
    if (deps.pipeline) {
      deps.pipeline.issue(x);
    } else {
      deps.redis.issue(k.stock, k.seq, k.users, k.outbox, x.userId, x.templateId).then(
        (reply) => this.reply(x, reply[0], reply[1], reply[2]),
        (err: unknown) => this.error(x, err),
      );
    }
  }

  /** The issue script answered. */
  reply(x: IssueExchange, code: number, seq: number, issuedAtMs: number): void {
    this.app.inFlight--;
    const templateId = x.templateId;
    const outcome = issueOutcome(code);
    const soldOut = this.app.deps.soldOut;
    if (soldOut !== undefined) {
      if (outcome === 'out_of_stock') soldOut.soldOut(templateId, seq, this.app.deps.pipeline!.generation, performance.now());
      else if (outcome !== 'already_issued') soldOut.drop(templateId);
    }
    if (outcome === 'issued') {
      const body =
        `{"couponId":"${couponIdOf(templateId, seq)}","userId":${x.userId},"templateId":${templateId},"seq":${seq},` +
        `"issuedAt":"${this.isoOf(issuedAtMs)}"}`;
      if (x.respond(200, body, undefined)) this.app.recordAt(Route.Issue, x, this.app.o.issued!);
    } else this.refuse(x, outcome, code, seq);
  }

  /** Redis failed or timed out: the client cannot know whether the coupon was issued. */
  error(x: IssueExchange, err: unknown): void {
    this.app.inFlight--;
    this.reject(x, redisFailure(err));
  }

  /** Answer an issue request with a contract error (unless it was answered or its client left). */
  reject(x: IssueExchange, a: ErrorAnswer): void {
    this.app.answer(Route.Issue, x, a);
  }

  /** The script's (or a sold-out snapshot's) refusal, as its contract error. */
  private refuse(x: IssueExchange, outcome: IssueOutcome | undefined, code: number, seq: number): void {
    const templateId = x.templateId;
    const restores = this.app.deps.restores;
    // Redis lost a template the database holds (restarted empty): it is put back, try again.
    const restoring = outcome === 'template_not_found' && restores?.knows(templateId) === true;
    if (restoring) restores!.missing();
    this.reject(x, refusal(outcome, code, templateId, seq, restoring));
  }

  /** ISO time of a Redis ms timestamp; replies in one batch share their ms, so cache the last one. */
  private isoOf(ms: number): string {
    if (ms !== this.lastIsoMs) {
      this.lastIsoMs = ms;
      this.lastIso = new Date(ms).toISOString();
    }
    return this.lastIso;
  }

  private keysOf(templateId: number): TemplateKeys {
    let k = this.keyCache.get(templateId);
    if (k === undefined) {
      k = templateKeys(this.app.deps.prefix, templateId);
      if (this.keyCache.size < MAX_CACHED_TEMPLATES) this.keyCache.set(templateId, k);
    }
    return k;
  }
}

// Shared listeners: `this` is the request, so no closure is allocated per request.
function onIssueData(this: AppRequest, chunk: Buffer): void {
  this.bodyBytes += chunk.length;
  if (this.bodyBytes > this.app!.bodyLimit) {
    this.app!.tooLarge(this);
    return;
  }
  this.body += chunk.toString('utf8');
}
function onIssueEnd(this: AppRequest): void {
  this.app!.issueBody(this);
}
/** Stop taking an issue body (it went over the limit). */
export function stopIssueBody(req: AppRequest): void {
  req.removeListener('data', onIssueData);
  req.removeListener('end', onIssueEnd);
}

/** Reply handler of the issue pipeline (one shared function; the exchange is the context). */
export function onPipelineReply(x: IssueExchange, err: Error | null, code: number, seq: number, issuedAtMs: number): void {
  if (err) x.app!.issueError(x, err);
  else x.app!.issueReply(x, code, seq, issuedAtMs);
}
