/** Normalised options of `coupon-bench serve` and of the in-process server used by run/demo/tests. */
export interface ServeOptions {
  /** address to bind; 127.0.0.1 by default */
  host: string;
  /** port; 0 picks a free one */
  port: number;
  /** Redis URL; undefined starts a private redis-server */
  redisUrl?: string;
  /** database URL (sqlite:<path> | postgres://… | mysql://…) */
  dbUrl: string;
  /** Redis key prefix */
  prefix: string;
  /** token required on admin routes; required when host is not loopback */
  adminToken?: string;
  /** run the outbox persister in this process (default true) */
  persister?: boolean;
}

/** A running server, started in-process. */
export interface RunningServer {
  /** base URL, e.g. http://127.0.0.1:8080 */
  readonly url: string;
  readonly port: number;
  readonly redisUrl: string;
  readonly dbUrl: string;
  readonly prefix: string;
  /** true when this server started its own redis-server */
  readonly managedRedis: boolean;
  /** Stop accepting, drain in-flight requests, stop the persister, close stores (and a managed Redis). */
  stop(): Promise<void>;
}
