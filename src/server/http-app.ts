import { timingSafeEqual } from 'node:crypto';
import { IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { RedisClient } from '../redis/client.js';
import { couponIdOf } from '../model/coupon-id.js';
import { IssueCode } from '../redis/issue-result.js';
import { PERSISTER_GROUP, templateKeys, templatesIndexKey, type TemplateKeys } from '../redis/keys.js';
import type { PersisterStats } from '../store/persister-options.js';
import type { CouponStore } from '../store/store.js';
import { Route, type RouteIndex, type ServerMetrics } from './metrics.js';
import { ErrorCode, RETRY_AFTER_SECONDS, errorBody, rawErrorResponse, sendJsonWith } from './responses.js';
import type { IssueChannel, IssueContext } from './issue-pipeline.js';
import type { SoldOutSnapshots } from './sold-out-snapshot.js';
import { parseIdSegment, parseIssueBody } from './validate-issue.js';
import { restoreTemplate, type RestoreWatch } from './template-restore.js';
import { isJson } from './content-type.js';
import { closeAfterPending } from './client-error.js';
import { parseStrictObject } from './strict-json.js';

/** Path of the issue route (the hot path). */
export const ISSUE_PATH = '/api/coupons/issue';
const ADMIN_TEMPLATES = '/api/admin/templates/';
const TEMPLATES = '/api/templates/';

/**
 * One issue request in flight, whichever front received it: node:http ({@link AppRequest}) or the
 * fast front (one per connection, reused). The issue path only needs these fields and `respond`.
 */
export interface IssueExchange extends IssueContext {
  startedAt: number;
  app: HttpApp | undefined;
  /** Send a JSON answer; false (nothing sent) when already answered or the client is gone. */
  respond(status: number, body: string, headers: readonly string[] | undefined): boolean;
}

/** Request message with the fields the issue path needs, so body listeners are shared functions. */
export class AppRequest extends IncomingMessage implements IssueExchange {
  startedAt = 0;
  body = '';
  bodyBytes = 0;
  route: RouteIndex = Route.Unmatched;
  res: ServerResponse | undefined = undefined;
  app: HttpApp | undefined = undefined;
  userId = 0;
  templateId = 0;
  issueKeys: TemplateKeys | undefined = undefined;

  respond(status: number, body: string, headers: readonly string[] | undefined): boolean {
    const res = this.res!;
    if (res.writableEnded || res.destroyed) return false;
    sendJsonWith(res, status, body, headers);
    return true;
  }
}

/** What an {@link HttpApp} needs: Redis clients, store, metrics and limits. */
export interface HttpAppDeps {
  readonly redis: RedisClient;
  /** dedicated pipelined connection for the issue script (hot path); ioredis when absent */
  readonly pipeline?: IssueChannel<IssueExchange>;
  /** final state of sold-out templates (with the pipeline only); absent: every request asks Redis */
  readonly soldOut?: SoldOutSnapshots | undefined;
  readonly prefix: string;
  readonly store: CouponStore;
  readonly metrics: ServerMetrics;
  readonly adminToken?: string;
  /** issue requests waiting on Redis beyond which new ones get 503 */
  readonly maxInFlight: number;
  /** request body limit in bytes */
  readonly bodyLimit: number;
  /** ms within which Redis must answer /healthz's PING (the issue timeout) */
  readonly healthTimeoutMs: number;
  /** the outbox persister's live figures (absent: this server runs none) */
  readonly persisterStats?: () => PersisterStats;
  /**
   * Templates the database holds, and the pass that puts them back into a Redis that lost them:
   * such a template missing from Redis answers 503 (it is being restored), not 404.
   */
  readonly restores?: Pick<RestoreWatch, 'knows' | 'remember' | 'missing'>;
}

const RETRY_HEADERS = ['Retry-After', RETRY_AFTER_SECONDS];
const DRAIN_HEADERS = ['Retry-After', RETRY_AFTER_SECONDS, 'Connection', 'close'];
const CLOSE_HEADERS = ['Connection', 'close'];
const MAX_CACHED_TEMPLATES = 10_000;
/** Redis errors that mean "try again later" rather than a bug. */
const TRANSIENT_REPLY = /^(LOADING|BUSY|MASTERDOWN|READONLY|TRYAGAIN|CLUSTERDOWN|MOVED|ASK|NOSCRIPT)/;

/**
 * The HTTP application: routing, validation, the issue hot path and the admin/read routes.
 * The issue path avoids per-request allocations where it can: shared listener functions, a
 * hand-written validator, flat header arrays and a template-key cache.
 */
export class HttpApp {
  /** issue requests waiting on Redis */
  inFlight = 0;
  /** admin/read/metrics requests waiting on Redis or the store */
  slowPending = 0;
  draining = false;
  /** the /healthz PING in flight (shared by concurrent checks) */
  private probe: Promise<boolean> | undefined;
  private readonly keyCache = new Map<number, TemplateKeys>();
  private lastIsoMs = -1;
  private lastIso = '';
  private readonly o: Record<string, number>;
  private readonly adminTokenBuf: Buffer | undefined;
  readonly bodyLimit: number;

  constructor(private readonly deps: HttpAppDeps) {
    const m = deps.metrics;
    const outcomes = ['issued', 'ok', 'created', ...Object.values(ErrorCode)];
    this.o = Object.fromEntries(outcomes.map((x) => [x, m.outcome(x)]));
    this.bodyLimit = deps.bodyLimit;
    this.adminTokenBuf = deps.adminToken === undefined ? undefined : Buffer.from(deps.adminToken);
  }

  /** 'request' listener. */
  readonly handle = (rawReq: IncomingMessage, res: ServerResponse): void => {
    const req = rawReq as AppRequest;
    req.startedAt = performance.now();
    req.res = res;
    req.app = this;
    // HTTP/1.1 requires a Host (RFC 9112 3.2); node:http's own refusal has no body, so it is ours.
    if (req.httpVersionMinor === 1 && req.httpVersionMajor === 1 && req.headers.host === undefined) {
      return this.fail(req, 400, ErrorCode.MalformedRequest, 'HTTP/1.1 request without a Host header', CLOSE_HEADERS);
    }
    const url = req.url ?? '';
    if (url === ISSUE_PATH) this.issueRoute(req);
    else this.routeSlow(req, url);
  };

  /**
   * 'clientError' listener: malformed framing -> 400, headers never finished -> 408; then close.
   * The answers to the requests taken before the error go out first (see client-error.ts).
   */
  readonly clientError = (err: Error & { code?: string }, socket: Socket): void => {
    closeAfterPending(socket, err.code, () => {
      const timeout = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
      const status = timeout ? 408 : 400;
      const reason = timeout ? 'Request Timeout' : 'Bad Request';
      const code = timeout ? ErrorCode.RequestTimeout : ErrorCode.MalformedRequest;
      const message = timeout
        ? 'request headers or body not received in time'
        : err.code === 'HPE_HEADER_OVERFLOW'
          ? 'request headers too large'
          : `malformed HTTP request (${err.code ?? 'parse error'})`;
      this.deps.metrics.record(Route.Unmatched, this.o[code]!, 0);
      return rawErrorResponse(status, reason, code, message);
    });
  };

  // ---- issue hot path -------------------------------------------------------------------------

  private issueRoute(req: AppRequest): void {
    req.route = Route.Issue;
    if (req.method === 'POST') this.issueStart(req);
    else this.methodNotAllowed(req, 'POST');
  }

  private issueStart(req: AppRequest): void {
    if (this.draining) return this.fail(req, 503, ErrorCode.ServiceUnavailable, 'server is draining', DRAIN_HEADERS);
    if (!isJson(req.headers['content-type'])) {
      return this.fail(req, 415, ErrorCode.UnsupportedMediaType, 'Content-Type must be application/json');
    }
    const cl = req.headers['content-length'];
    if (cl !== undefined && Number(cl) > this.deps.bodyLimit) return this.tooLarge(req);
    req.on('data', onIssueData);
    req.on('end', onIssueEnd);
  }

  /** Body complete (node:http front): validate and run the script. */
  issueBody(req: AppRequest): void {
    this.issueText(req, req.body);
  }

  /** An issue request's body, from either front: validate and run the script. */
  issueText(x: IssueExchange, body: string): void {
    const parsed = parseIssueBody(body);
    if (typeof parsed === 'string') return this.reject(x, 400, ErrorCode.InvalidRequest, parsed);
    const client = this.deps.pipeline ?? this.deps.redis;
    if (client.status !== 'ready') {
      return this.reject(x, 503, ErrorCode.ServiceUnavailable, `Redis is not available (${client.status})`, RETRY_HEADERS);
    }
    x.userId = parsed.userId;
    x.templateId = parsed.templateId;
    const soldOut = this.deps.soldOut;
    if (soldOut !== undefined) {
      // A sold-out template's state is final: answer as the script would, without Redis.
      const holders = soldOut.holders(parsed.templateId, this.deps.pipeline!.generation, x.startedAt);
      if (holders !== undefined) {
        soldOut.answers++;
        const seq = holders.get(parsed.userId);
        return this.refuse(x, seq === undefined ? IssueCode.OutOfStock : IssueCode.AlreadyIssued, seq ?? 0);
      }
    }
    if (this.inFlight >= this.deps.maxInFlight) {
      return this.reject(x, 503, ErrorCode.ServiceUnavailable, 'server overloaded', RETRY_HEADERS);
    }
    const k = (x.issueKeys = this.keysOf(parsed.templateId));
    this.inFlight++;
    if (this.deps.pipeline) {
      this.deps.pipeline.issue(x);
    } else {
      this.deps.redis.issue(k.stock, k.seq, k.users, k.outbox, x.userId, x.templateId).then(
        (reply) => this.issueReply(x, reply[0], reply[1], reply[2]),
        (err: unknown) => this.issueError(x, err),
      );
    }
  }

  /** The issue script answered. */
  issueReply(x: IssueExchange, code: number, seq: number, issuedAtMs: number): void {
    this.inFlight--;
    const templateId = x.templateId;
    const soldOut = this.deps.soldOut;
    if (soldOut !== undefined) {
      if (code === IssueCode.OutOfStock) soldOut.soldOut(templateId, seq, this.deps.pipeline!.generation, performance.now());
      else if (code !== IssueCode.AlreadyIssued) soldOut.drop(templateId);
    }
    if (code === IssueCode.Issued) {
      const body =
        `{"couponId":"${couponIdOf(templateId, seq)}","userId":${x.userId},"templateId":${templateId},"seq":${seq},` +
        `"issuedAt":"${this.isoOf(issuedAtMs)}"}`;
      if (x.respond(200, body, undefined)) this.recordAt(Route.Issue, x, this.o.issued!);
    } else this.refuse(x, code, seq);
  }

  /** The script's (or a sold-out snapshot's) refusal, as its contract error. */
  private refuse(x: IssueExchange, code: number, seq: number): void {
    const templateId = x.templateId;
    if (code === IssueCode.AlreadyIssued) {
      this.reject(x, 400, ErrorCode.AlreadyIssued, 'this user already holds a coupon of this template', undefined, {
        couponId: couponIdOf(templateId, seq),
      });
    } else if (code === IssueCode.OutOfStock) {
      this.reject(x, 400, ErrorCode.OutOfStock, 'the template is sold out');
    } else if (code === IssueCode.TemplateNotFound) {
      const restores = this.deps.restores;
      if (restores?.knows(templateId)) {
        // Redis lost a template the database holds (restarted empty): it is put back, try again.
        restores.missing();
        this.reject(x, 503, ErrorCode.ServiceUnavailable, `template ${templateId} is being restored into Redis`, RETRY_HEADERS);
      } else this.reject(x, 404, ErrorCode.TemplateNotFound, `template ${templateId} does not exist`);
    } else {
      this.reject(x, 500, ErrorCode.Internal, `issue script returned unknown code ${String(code)}`);
    }
  }

  /** Redis failed or timed out: the client cannot know whether the coupon was issued. */
  issueError(x: IssueExchange, err: unknown): void {
    this.inFlight--;
    const msg = err instanceof Error ? err.message : String(err);
    // A ReplyError that is not transient is a bug (wrong key type, script error): 500. Anything
    // else (timeout, connection lost, not writable) means Redis is unavailable: 503. Either way the
    // client cannot know whether the coupon was issued.
    if (err instanceof Error && err.name === 'ReplyError' && !TRANSIENT_REPLY.test(msg)) {
      return this.reject(x, 500, ErrorCode.Internal, `Redis error: ${msg}`);
    }
    this.reject(x, 503, ErrorCode.ServiceUnavailable, `Redis is not available (${msg})`, RETRY_HEADERS);
  }

  /** Answer an issue request with a contract error (unless it was answered or its client left). */
  reject(x: IssueExchange, status: number, code: string, message: string, headers?: readonly string[], extra?: Record<string, unknown>): void {
    this.rejectAt(Route.Issue, x, status, code, message, headers, extra);
  }

  /** Answer with a contract error unless already answered or the client left, and count it under `route`. */
  private rejectAt(
    route: RouteIndex,
    x: IssueExchange,
    status: number,
    code: string,
    message: string,
    headers?: readonly string[],
    extra?: Record<string, unknown>,
  ): void {
    if (x.respond(status, errorBody(status, code, message, extra), headers)) this.recordAt(route, x, this.o[code] ?? this.o[ErrorCode.Internal]!);
  }

  private recordAt(route: RouteIndex, x: IssueExchange, outcome: number): void {
    this.deps.metrics.record(route, outcome, (performance.now() - x.startedAt) / 1000);
  }

  /** Body over the limit: answer 413 and drop the connection. */
  tooLarge(req: AppRequest): void {
    // Stop reading the body, answer, and close the connection: its remaining bytes are not read.
    req.removeListener('data', onIssueData);
    req.removeListener('end', onIssueEnd);
    req.pause();
    this.fail(req, 413, ErrorCode.PayloadTooLarge, `request body over ${this.deps.bodyLimit} bytes`, CLOSE_HEADERS);
    req.res!.once('finish', () => setTimeout(() => req.socket.destroy(), 200).unref());
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
      k = templateKeys(this.deps.prefix, templateId);
      if (this.keyCache.size < MAX_CACHED_TEMPLATES) this.keyCache.set(templateId, k);
    }
    return k;
  }

  // ---- responses ------------------------------------------------------------------------------

  private ok(req: AppRequest, status: number, body: string, outcome: number): void {
    if (req.respond(status, body, undefined)) this.recordAt(req.route, req, outcome);
  }

  private fail(req: AppRequest, status: number, code: string, message: string, headers?: readonly string[], extra?: Record<string, unknown>): void {
    this.rejectAt(req.route, req, status, code, message, headers, extra);
  }

  private methodNotAllowed(req: AppRequest, allow: string): void {
    this.fail(req, 405, ErrorCode.MethodNotAllowed, `method ${req.method ?? ''} not allowed; use ${allow}`, ['Allow', allow]);
  }

  // ---- other routes ---------------------------------------------------------------------------

  private routeSlow(req: AppRequest, url: string): void {
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const method = req.method ?? '';
    if (path === ISSUE_PATH) {
      this.issueRoute(req);
    } else if (path.startsWith(ADMIN_TEMPLATES)) {
      req.route = Route.AdminTemplate;
      if (method !== 'PUT') return this.methodNotAllowed(req, 'PUT');
      const id = parseIdSegment(path.slice(ADMIN_TEMPLATES.length));
      if (id === undefined) return this.fail(req, 400, ErrorCode.InvalidRequest, 'template id must be a positive safe integer');
      if (!this.authorized(req)) return this.fail(req, 401, ErrorCode.Unauthorized, 'admin token missing or wrong', ['WWW-Authenticate', 'Bearer']);
      if (this.draining) return this.fail(req, 503, ErrorCode.ServiceUnavailable, 'server is draining', DRAIN_HEADERS);
      if (!isJson(req.headers['content-type'])) {
        return this.fail(req, 415, ErrorCode.UnsupportedMediaType, 'Content-Type must be application/json');
      }
      this.readBody(req, (body) => void this.track(this.putTemplate(req, id, body)));
    } else if (path.startsWith(TEMPLATES)) {
      req.route = Route.GetTemplate;
      if (method !== 'GET') return this.methodNotAllowed(req, 'GET');
      const id = parseIdSegment(path.slice(TEMPLATES.length));
      if (id === undefined) return this.fail(req, 400, ErrorCode.InvalidRequest, 'template id must be a positive safe integer');
      void this.track(this.getTemplate(req, id));
    } else if (path === '/healthz') {
      req.route = Route.Healthz;
      if (method !== 'GET') return this.methodNotAllowed(req, 'GET');
      this.healthzTo(req);
    } else if (path === '/metrics') {
      req.route = Route.Metrics;
      if (method !== 'GET') return this.methodNotAllowed(req, 'GET');
      void this.track(this.metrics(req));
    } else {
      this.fail(req, 404, ErrorCode.NotFound, `no route ${method} ${path.slice(0, 200)}`);
    }
  }

  /** Count an async route while it runs, so a drain waits for it. */
  private async track(p: Promise<void>): Promise<void> {
    this.slowPending++;
    try {
      await p;
    } finally {
      this.slowPending--;
    }
  }

  private authorized(req: AppRequest): boolean {
    const want = this.adminTokenBuf;
    if (want === undefined) return true;
    const auth = req.headers.authorization;
    const given = auth?.startsWith('Bearer ') ? auth.slice(7) : req.headers['x-admin-token'];
    if (typeof given !== 'string') return false;
    const got = Buffer.from(given);
    return got.length === want.length && timingSafeEqual(got, want);
  }

  /** Read a small body (admin routes) with the same limit; calls back with the text. */
  private readBody(req: AppRequest, done: (body: string) => void): void {
    const cl = req.headers['content-length'];
    if (cl !== undefined && Number(cl) > this.deps.bodyLimit) return this.tooLarge(req);
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > this.deps.bodyLimit) {
        req.removeListener('data', onData);
        req.removeListener('end', onEnd);
        this.tooLarge(req);
        return;
      }
      chunks.push(c);
    };
    const onEnd = (): void => done(Buffer.concat(chunks).toString('utf8'));
    req.on('data', onData);
    req.on('end', onEnd);
  }

  private async putTemplate(req: AppRequest, templateId: number, text: string): Promise<void> {
    const parsed = parseTemplateBody(text);
    if (typeof parsed === 'string') return this.fail(req, 400, ErrorCode.InvalidRequest, parsed);
    const { stock } = parsed;
    const name = parsed.name ?? `template-${templateId}`;
    const { redis, store, prefix } = this.deps;
    if (redis.status !== 'ready') {
      return this.fail(req, 503, ErrorCode.ServiceUnavailable, `Redis is not available (${redis.status})`, RETRY_HEADERS);
    }
    try {
      // The database first: it outlives Redis. A template it holds keeps its stock, and Redis gets
      // back its persisted coupons before anything is created (see template-restore.ts).
      const known = await store.getTemplate(templateId);
      if (known !== undefined && known.stock !== stock) {
        return this.fail(req, 409, ErrorCode.TemplateConflict, `template ${templateId} exists with stock ${known.stock}`, undefined, {
          templateId,
          stock: known.stock,
        });
      }
      if (known !== undefined) await restoreTemplate(redis, store, prefix, known);
      const k = templateKeys(prefix, templateId);
      const [code, current, issued] = await redis.createTemplate(k.stock, k.seq, k.users, k.outbox, stock, PERSISTER_GROUP);
      // Created now: any state this server kept of an earlier template with this id is gone.
      if (code === 0) this.deps.soldOut?.drop(templateId);
      if (code === 2) {
        return this.fail(req, 409, ErrorCode.TemplateConflict, `template ${templateId} exists with stock ${current}`, undefined, {
          templateId,
          stock: current,
        });
      }
      // Index and DB row on every call (idempotent): a retry repairs a half-finished creation.
      await redis.sadd(templatesIndexKey(prefix), String(templateId));
      await store.upsertTemplate({ templateId, name, stock, createdAt: Date.now() });
      this.deps.restores?.remember(templateId);
      const row = await store.getTemplate(templateId);
      const body = JSON.stringify({ templateId, name: row?.name ?? name, stock, issued, created: code === 0 });
      this.ok(req, code === 0 ? 201 : 200, body, this.o[code === 0 ? 'created' : 'ok']!);
    } catch (err) {
      this.fail(req, 503, ErrorCode.ServiceUnavailable, `cannot create template: ${errMessage(err)}`, RETRY_HEADERS);
    }
  }

  private async getTemplate(req: AppRequest, templateId: number): Promise<void> {
    const { redis, store, prefix } = this.deps;
    if (redis.status !== 'ready') {
      return this.fail(req, 503, ErrorCode.ServiceUnavailable, `Redis is not available (${redis.status})`, RETRY_HEADERS);
    }
    try {
      const k = templateKeys(prefix, templateId);
      const [stockS, seqS] = await redis.mget(k.stock, k.seq);
      if (stockS === null || stockS === undefined) {
        return this.fail(req, 404, ErrorCode.TemplateNotFound, `template ${templateId} does not exist`);
      }
      const [row, persisted] = await Promise.all([store.getTemplate(templateId), store.countIssued(templateId)]);
      const body = JSON.stringify({
        templateId,
        name: row?.name ?? `template-${templateId}`,
        stock: Number(stockS),
        issued: Number(seqS ?? 0),
        persisted,
      });
      this.ok(req, 200, body, this.o.ok!);
    } catch (err) {
      this.fail(req, 503, ErrorCode.ServiceUnavailable, `cannot read template: ${errMessage(err)}`, RETRY_HEADERS);
    }
  }

  /** GET /healthz, from either front: Redis must answer a PING within the issue timeout. */
  healthzTo(x: IssueExchange): void {
    const redis = (this.deps.pipeline ?? this.deps.redis).status;
    if (redis !== 'ready' || this.draining) return this.healthzAnswer(x, redis);
    void this.track(this.redisAnswers().then((answers) => this.healthzAnswer(x, answers ? redis : 'unresponsive')));
  }

  private healthzAnswer(x: IssueExchange, redis: string): void {
    if (redis === 'ready' && !this.draining) {
      // Issuance needs Redis only: a failing database degrades the server (200) but does not stop it.
      const persister = persisterHealth(this.deps.persisterStats?.());
      const status = persister.state === 'failing' ? 'degraded' : 'ok';
      // pid: which process answered (serve --workers runs several behind one port).
      const body = JSON.stringify({ status, redis, draining: false, inFlight: this.inFlight, persister, pid: process.pid });
      if (x.respond(200, body, undefined)) this.recordAt(Route.Healthz, x, this.o.ok!);
      return;
    }
    const message = this.draining
      ? 'server is draining'
      : redis === 'unresponsive'
        ? `Redis has not answered within ${this.deps.healthTimeoutMs} ms`
        : `Redis is not available (${redis})`;
    this.rejectAt(Route.Healthz, x, 503, ErrorCode.ServiceUnavailable, message, RETRY_HEADERS, { redis, draining: this.draining });
  }

  /**
   * True when Redis answers a PING within the issue timeout: a stopped or hung Redis keeps its
   * socket open, so the connection state alone says "ready". Concurrent checks share one PING.
   */
  private redisAnswers(): Promise<boolean> {
    if (this.probe !== undefined) return this.probe;
    let timer: NodeJS.Timeout | undefined;
    const answered = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), this.deps.healthTimeoutMs);
      this.deps.redis.ping().then(
        () => resolve(true),
        () => resolve(false),
      );
    });
    return (this.probe = answered.finally(() => {
      clearTimeout(timer);
      this.probe = undefined;
    }));
  }

  private async metrics(req: AppRequest): Promise<void> {
    try {
      const text = await this.deps.metrics.render();
      const res = req.res!;
      if (res.writableEnded || res.destroyed) return;
      res.writeHead(200, ['Content-Type', this.deps.metrics.contentType, 'Content-Length', String(Buffer.byteLength(text))]);
      res.end(text);
      this.recordAt(req.route, req, this.o.ok!);
    } catch (err) {
      this.fail(req, 500, ErrorCode.Internal, `metrics: ${errMessage(err)}`);
    }
  }
}

/** The persister's part of /healthz: whether rows reach the database, and how far behind it is. */
function persisterHealth(s: PersisterStats | undefined): Record<string, unknown> {
  if (s === undefined) return { state: 'off' };
  // A read loop failing on Redis round after round (a blip is one round) is failing too.
  const failing = s.failures > 0 || (s.redisFailures ?? 0) >= 2;
  return {
    state: failing ? 'failing' : 'ok',
    lag: s.lag,
    persisted: s.persisted,
    failures: s.failures,
    ...(s.redisFailures ? { redisFailures: s.redisFailures } : {}),
    ...(failing && s.lastError ? { lastError: s.lastError } : {}),
  };
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
/** Reply handler of the issue pipeline (one shared function; the exchange is the context). */
export function onPipelineReply(x: IssueExchange, err: Error | null, code: number, seq: number, issuedAtMs: number): void {
  if (err) x.app!.issueError(x, err);
  else x.app!.issueReply(x, code, seq, issuedAtMs);
}
function onIssueEnd(this: AppRequest): void {
  this.app!.issueBody(this);
}

/** Admin body: {"stock": <int >= 0>, "name"?: <string>}, read as strictly as the issue body. */
export function parseTemplateBody(text: string): { stock: number; name?: string } | string {
  const parsed = parseStrictObject(text);
  if (typeof parsed === 'string') return parsed;
  const o = parsed.value;
  for (const key of Object.keys(o)) if (key !== 'stock' && key !== 'name') return `unknown field "${key}"`;
  if (typeof o.stock !== 'number' || !Number.isSafeInteger(o.stock) || o.stock < 0) return '"stock" must be a safe integer >= 0';
  if (parsed.notPlainIntegers.has('stock')) return '"stock" must be written as a plain integer (no fraction or exponent)';
  if (o.name !== undefined && (typeof o.name !== 'string' || o.name.length === 0 || o.name.length > 200)) {
    return '"name" must be a string of 1..200 characters';
  }
  return o.name === undefined ? { stock: o.stock } : { stock: o.stock, name: o.name };
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

