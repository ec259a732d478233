import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { ADMIN_TEMPLATES, AdminRoutes, TEMPLATES } from './admin-routes.js';
import type { AppCore, AppRequest, HttpAppDeps, IssueExchange } from './app-core.js';
import { closeAfterPending } from './client-error.js';
import { CLOSE_HEADERS, clientErrorAnswer, methodNotAllowed, tooLarge, type ErrorAnswer } from './error-map.js';
import { ISSUE_PATH, IssueRoute, stopIssueBody } from './issue-route.js';
import { Route, type RouteIndex } from './metrics.js';
import { OpsRoutes } from './ops-routes.js';
import { ApiCode } from '../model/outcome.js';
import { errorBody, rawErrorResponse } from './responses.js';

/**
 * The HTTP application: routing, and how answers are sent and counted. The routes live by job in
 * issue-route.ts (the hot path), admin-routes.ts and ops-routes.ts; error-map.ts says how every
 * error is answered.
 */
export class HttpApp implements AppCore {
  /** issue requests waiting on Redis */
  inFlight = 0;
  /** admin/read/metrics requests waiting on Redis or the store */
  slowPending = 0;
  draining = false;
  readonly o: Record<string, number>;
  readonly bodyLimit: number;
  private readonly issue: IssueRoute;
  private readonly admin: AdminRoutes;
  private readonly ops: OpsRoutes;

  constructor(readonly deps: HttpAppDeps) {
    const m = deps.metrics;
    const outcomes = ['issued', 'ok', 'created', ...Object.values(ApiCode)];
    this.o = Object.fromEntries(outcomes.map((x) => [x, m.outcome(x)]));
    this.bodyLimit = deps.bodyLimit;
    this.issue = new IssueRoute(this);
    this.admin = new AdminRoutes(this);
    this.ops = new OpsRoutes(this);
  }

  /** 'request' listener. */
  readonly handle = (rawReq: IncomingMessage, res: ServerResponse): void => {
    const req = rawReq as AppRequest;
    req.startedAt = performance.now();
    req.res = res;
    req.app = this;
    // HTTP/1.1 requires a Host (RFC 9112 3.2); node:http's own refusal has no body, so it is ours.
    if (req.httpVersionMinor === 1 && req.httpVersionMajor === 1 && req.headers.host === undefined) {
      return this.answer(req.route, req, {
        status: 400,
        code: ApiCode.MalformedRequest,
        message: 'HTTP/1.1 request without a Host header',
        headers: CLOSE_HEADERS,
      });
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
      const a = clientErrorAnswer(err.code);
      this.deps.metrics.record(Route.Unmatched, this.o[a.code]!, 0);
      return rawErrorResponse(a.status, a.reason, a.code, a.message);
    });
  };

  /** An issue request's body, from either front: validate and run the script. */
  issueText(x: IssueExchange, body: string): void {
    this.issue.text(x, body);
  }

  /** Body complete (node:http front). */
  issueBody(req: AppRequest): void {
    this.issue.text(req, req.body);
  }

  issueReply(x: IssueExchange, code: number, seq: number, issuedAtMs: number): void {
    this.issue.reply(x, code, seq, issuedAtMs);
  }

  issueError(x: IssueExchange, err: unknown): void {
    this.issue.error(x, err);
  }

  /** GET /healthz, from either front. */
  healthzTo(x: IssueExchange): void {
    this.ops.healthz(x);
  }

  answer(route: RouteIndex, x: IssueExchange, a: ErrorAnswer): void {
    if (x.respond(a.status, errorBody(a.status, a.code, a.message, a.extra), a.headers)) {
      this.recordAt(route, x, this.o[a.code] ?? this.o[ApiCode.Internal]!);
    }
  }

  recordAt(route: RouteIndex, x: IssueExchange, outcome: number): void {
    this.deps.metrics.record(route, outcome, (performance.now() - x.startedAt) / 1000);
  }

  /** Body over the limit: answer 413 and drop the connection. */
  tooLarge(req: AppRequest): void {
    // Stop reading the body, answer, and close the connection: its remaining bytes are not read.
    stopIssueBody(req);
    req.pause();
    this.answer(req.route, req, tooLarge(this.deps.bodyLimit));
    req.res!.once('finish', () => setTimeout(() => req.socket.destroy(), 200).unref());
  }

  async track(p: Promise<void>): Promise<void> {
    this.slowPending++;
    try {
      await p;
    } finally {
      this.slowPending--;
    }
  }

  private issueRoute(req: AppRequest): void {
    req.route = Route.Issue;
    if (req.method === 'POST') this.issue.start(req);
    else this.methodNotAllowed(req, 'POST');
  }

  private methodNotAllowed(req: AppRequest, allow: string): void {
    this.answer(req.route, req, methodNotAllowed(req.method ?? '', allow));
  }

  private routeSlow(req: AppRequest, url: string): void {
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const method = req.method ?? '';
    if (path === ISSUE_PATH) {
      this.issueRoute(req);
    } else if (path.startsWith(ADMIN_TEMPLATES)) {
      req.route = Route.AdminTemplate;
      if (method !== 'PUT') return this.methodNotAllowed(req, 'PUT');
      this.admin.put(req, path.slice(ADMIN_TEMPLATES.length));
    } else if (path.startsWith(TEMPLATES)) {
      req.route = Route.GetTemplate;
      if (method !== 'GET') return this.methodNotAllowed(req, 'GET');
      this.admin.get(req, path.slice(TEMPLATES.length));
    } else if (path === '/healthz') {
      req.route = Route.Healthz;
      if (method !== 'GET') return this.methodNotAllowed(req, 'GET');
      this.ops.healthz(req);
    } else if (path === '/metrics') {
      req.route = Route.Metrics;
      if (method !== 'GET') return this.methodNotAllowed(req, 'GET');
      void this.track(this.ops.metrics(req));
    } else {
      this.answer(req.route, req, { status: 404, code: ApiCode.NotFound, message: `no route ${method} ${path.slice(0, 200)}` });
    }
  }
}
