import { Registry } from 'prom-client';
import type { PersisterStats } from '../store/persister-options.js';

/** Routes as metric labels; the index is what the hot path records. */
export const ROUTES = ['issue', 'admin_template', 'get_template', 'healthz', 'metrics', 'unmatched'] as const;
/** Index into {@link ROUTES}. */
export type RouteIndex = number;
/** Route indexes by name, for the hot path. */
export const Route = { Issue: 0, AdminTemplate: 1, GetTemplate: 2, Healthz: 3, Metrics: 4, Unmatched: 5 } as const;

/** Latency bucket upper bounds in seconds. */
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** Extra figures read at scrape time (never on the hot path). */
export interface ScrapeSources {
  /** outbox entries not yet persisted (XLEN over templates); undefined when Redis is down */
  outboxLag(): Promise<number | undefined>;
  /** the outbox persister's live figures; undefined when this server runs none */
  persister(): PersisterStats | undefined;
  redisUp(): boolean;
  inFlight(): number;
  /** issue requests answered from a sold-out snapshot; undefined when snapshots are off */
  snapshotAnswers?: (() => number) | undefined;
}

interface MetricValue {
  labels?: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/**
 * Request counters and latency histograms kept in plain typed arrays (a few ns per request);
 * prom-client only formats them when /metrics is scraped.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  private readonly outcomeIndex = new Map<string, number>();
  private readonly outcomes: string[] = [];
  /** counts[route][outcome] */
  private readonly counts: number[][] = ROUTES.map(() => []);
  /** per route: bucket counts (+1 for +Inf); the count is their total */
  private readonly buckets = ROUTES.map(() => new Float64Array(BUCKETS.length + 1));
  private readonly sums = new Float64Array(ROUTES.length);

  constructor(private readonly sources: ScrapeSources) {
    this.register('coupon_bench_http_requests_total', 'HTTP requests by route and outcome', 'counter', () => this.requestValues());
    this.register('coupon_bench_http_request_duration_seconds', 'HTTP request latency by route', 'histogram', () => this.histogramValues());
    this.register('coupon_bench_outbox_lag', 'outbox entries issued but not yet persisted', 'gauge', async () => {
      const lag = await this.sources.outboxLag();
      return lag === undefined ? [] : [{ value: lag }];
    });
    this.register('coupon_bench_persisted_total', 'coupons persisted to the database by this process', 'counter', () => {
      const s = this.sources.persister();
      return s === undefined ? [] : [{ value: s.persisted }];
    });
    // A database outage shows here (and as a growing outbox lag) while issuance goes on.
    this.register('coupon_bench_persister_failures', 'consecutive failed database writes of the persister (0 when healthy)', 'gauge', () => {
      const s = this.sources.persister();
      return s === undefined ? [] : [{ value: s.failures }];
    });
    this.register('coupon_bench_redis_up', '1 when the Redis connection is ready', 'gauge', () => [{ value: this.sources.redisUp() ? 1 : 0 }]);
    this.register('coupon_bench_sold_out_snapshot_answers_total', 'issue requests for sold-out templates answered without Redis', 'counter', () => {
      const n = this.sources.snapshotAnswers?.();
      return n === undefined ? [] : [{ value: n }];
    });
    this.register('coupon_bench_http_in_flight', 'issue requests waiting on Redis', 'gauge', () => [{ value: this.sources.inFlight() }]);
  }

  /** Interned outcome id for a label value (do this once, outside the hot path). */
  outcome(label: string): number {
    let i = this.outcomeIndex.get(label);
    if (i === undefined) {
      i = this.outcomes.length;
      this.outcomes.push(label);
      this.outcomeIndex.set(label, i);
    }
    return i;
  }

  /** Count one finished request and its latency. */
  record(route: RouteIndex, outcome: number, seconds: number): void {
    const row = this.counts[route]!;
    row[outcome] = (row[outcome] ?? 0) + 1;
    const b = this.buckets[route]!;
    let i = 0;
    while (i < BUCKETS.length && seconds > BUCKETS[i]!) i++;
    b[i]!++;
    this.sums[route]! += seconds;
  }

  /** Prometheus text exposition. */
  async render(): Promise<string> {
    return this.registry.metrics();
  }

  /** Content-Type of {@link render}'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }

  private requestValues(): MetricValue[] {
    const out: MetricValue[] = [];
    this.counts.forEach((row, r) => {
      row.forEach((v, o) => {
        if (v) out.push({ labels: { route: ROUTES[r]!, outcome: this.outcomes[o]! }, value: v });
      });
    });
    return out;
  }

  private histogramValues(): MetricValue[] {
    const out: MetricValue[] = [];
    const name = 'coupon_bench_http_request_duration_seconds';
    this.buckets.forEach((b, r) => {
      if (b.every((v) => v === 0)) return; // routes never hit stay out of the exposition
      const route = ROUTES[r]!;
      let cum = 0;
      for (let i = 0; i < b.length; i++) {
        cum += b[i]!;
        const le = i < BUCKETS.length ? BUCKETS[i]! : '+Inf';
        out.push({ metricName: `${name}_bucket`, labels: { le, route }, value: cum });
      }
      out.push({ metricName: `${name}_sum`, labels: { route }, value: this.sums[r]! });
      out.push({ metricName: `${name}_count`, labels: { route }, value: cum });
    });
    return out;
  }

  private register(
    name: string,
    help: string,
    type: 'counter' | 'gauge' | 'histogram',
    values: () => MetricValue[] | Promise<MetricValue[]>,
  ): void {
    // A minimal collector: prom-client's Registry only needs `name` and `get()` to format it.
    const metric = { name, help, type, get: async () => ({ name, help, type, values: await values(), aggregator: 'sum' as const }) };
    this.registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
  }
}
