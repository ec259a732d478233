import type { PersisterStats } from '../store/persister-options.js';
import type { AppCore, AppRequest, IssueExchange } from './app-core.js';
import { RETRY_HEADERS, errMessage } from './error-map.js';
import { Route } from './metrics.js';
import { ApiCode } from '../model/outcome.js';

/** GET /healthz and GET /metrics: what operators and load balancers ask. */
export class OpsRoutes {
  /** the /healthz PING in flight (shared by concurrent checks) */
  private probe: Promise<boolean> | undefined;

  constructor(private readonly app: AppCore) {}

  /**
   * GET /healthz, from either front: Redis must answer a PING within the issue timeout. The PING
   * goes over ioredis, which reconnects on its own after Redis returns (sooner or later than the
   * issue pipeline): until it is ready, its state is the answer, not a PING that could not be sent
   * ("unresponsive" is for a Redis that is connected but does not answer).
   */
  healthz(x: IssueExchange): void {
    const { deps } = this.app;
    const issuing = (deps.pipeline ?? deps.redis).status;
    const redis = issuing === 'ready' ? deps.redis.status : issuing;
    if (redis !== 'ready' || this.app.draining) return this.healthzAnswer(x, redis);
    void this.app.track(this.redisAnswers().then((answers) => this.healthzAnswer(x, answers ? redis : 'unresponsive')));
  }

  /** GET /metrics: the Prometheus text. */
  async metrics(req: AppRequest): Promise<void> {
    const { metrics } = this.app.deps;
    try {
      const text = await metrics.render();
      const res = req.res!;
      if (res.writableEnded || res.destroyed) return;
      res.writeHead(200, ['Content-Type', metrics.contentType, 'Content-Length', String(Buffer.byteLength(text))]);
      res.end(text);
      this.app.recordAt(req.route, req, this.app.o.ok!);
    } catch (err) {
      this.app.answer(req.route, req, { status: 500, code: ApiCode.Internal, message: `metrics: ${errMessage(err)}` });
    }
  }

  private healthzAnswer(x: IssueExchange, redis: string): void {
    const { deps, draining } = this.app;
    if (redis === 'ready' && !draining) {
      // Issuance needs Redis only: a failing database degrades the server (200) but does not stop it.
      const persister = persisterHealth(deps.persisterStats?.());
      const status = persister.state === 'failing' ? 'degraded' : 'ok';
      // pid: which process answered (serve --workers runs several behind one port).
      const body = JSON.stringify({ status, redis, draining: false, inFlight: this.app.inFlight, persister, pid: process.pid });
      if (x.respond(200, body, undefined)) this.app.recordAt(Route.Healthz, x, this.app.o.ok!);
      return;
    }
    const message = draining
      ? 'server is draining'
      : redis === 'unresponsive'
        ? `Redis has not answered within ${deps.healthTimeoutMs} ms`
        : `Redis is not available (${redis})`;
    this.app.answer(Route.Healthz, x, { status: 503, code: ApiCode.ServiceUnavailable, message, headers: RETRY_HEADERS, extra: { redis, draining } });
  }

  /**
   * True when Redis answers a PING within the issue timeout: a stopped or hung Redis keeps its
   * socket open, so the connection state alone says "ready". Concurrent checks share one PING.
   */
  private redisAnswers(): Promise<boolean> {
    if (this.probe !== undefined) return this.probe;
    let timer: NodeJS.Timeout | undefined;
    const answered = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), this.app.deps.healthTimeoutMs);
      this.app.deps.redis.ping().then(
        () => resolve(true),
        () => resolve(false),
      );
    });
    return (this.probe = answered.finally(() => {
      clearTimeout(timer);
      this.probe = undefined;
    }));
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
