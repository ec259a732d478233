import { IncomingMessage, type ServerResponse } from 'node:http';
import type { RedisClient } from '../redis/client.js';
import type { TemplateKeys } from '../redis/keys.js';
import type { PersisterStats } from '../store/persister-options.js';
import type { CouponStore } from '../store/store.js';
import type { ErrorAnswer } from './error-map.js';
import type { IssueChannel, IssueContext } from './issue-channel.js';
import { Route, type RouteIndex, type ServerMetrics } from './metrics.js';
import { sendJsonWith } from './responses.js';
import type { SoldOutSnapshots } from './sold-out-snapshot.js';
import type { RestoreWatch } from './template-restore.js';

/**
 * One issue request in flight, whichever front received it: node:http ({@link AppRequest}) or the
 * fast front (one per connection, reused). The issue path only needs these fields and `respond`.
 */
export interface IssueExchange extends IssueContext {
  startedAt: number;
  app: AppCore | undefined;
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
  app: AppCore | undefined = undefined;
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

/** What an HTTP app needs: Redis clients, store, metrics and limits. */
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

/** What the routes share: the app's state, its dependencies and how answers are sent and counted. */
export interface AppCore {
  readonly deps: HttpAppDeps;
  readonly bodyLimit: number;
  /** issue requests waiting on Redis */
  inFlight: number;
  draining: boolean;
  /** metrics outcome index by outcome name ('issued', 'ok', 'created' and every error code) */
  readonly o: Readonly<Record<string, number>>;
  /** Answer with a contract error unless already answered or the client left, and count it under `route`. */
  answer(route: RouteIndex, x: IssueExchange, a: ErrorAnswer): void;
  recordAt(route: RouteIndex, x: IssueExchange, outcome: number): void;
  /** Count an async route while it runs, so a drain waits for it. */
  track(p: Promise<void>): Promise<void>;
  /** Body over the limit: answer 413 and drop the connection. */
  tooLarge(req: AppRequest): void;
  /** The issue body is complete (node:http front). */
  issueBody(req: AppRequest): void;
  /** The issue script answered (or Redis failed: `err`). */
  issueReply(x: IssueExchange, code: number, seq: number, issuedAtMs: number): void;
  issueError(x: IssueExchange, err: unknown): void;
}
