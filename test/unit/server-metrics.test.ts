import { describe, expect, it } from 'vitest';
import { Route, ServerMetrics } from '../../src/server/metrics.js';
import { emptyPersisterStats } from '../../src/store/persister-options.js';

describe('ServerMetrics', () => {
  it('renders counters by route and outcome, a cumulative histogram, and scrape-time gauges', async () => {
    const m = new ServerMetrics({ outboxLag: async () => 7, persister: () => ({ ...emptyPersisterStats(), persisted: 3, failures: 2 }), redisUp: () => true, inFlight: () => 2 });
    const issued = m.outcome('issued');
    const sold = m.outcome('COUPON_OUT_OF_STOCK');
    expect(m.outcome('issued')).toBe(issued);
    m.record(Route.Issue, issued, 0.0004);
    m.record(Route.Issue, issued, 0.003);
    m.record(Route.Issue, sold, 3);
    const text = await m.render();
    expect(text).toContain('coupon_bench_http_requests_total{route="issue",outcome="issued"} 2');
    expect(text).toContain('coupon_bench_http_requests_total{route="issue",outcome="COUPON_OUT_OF_STOCK"} 1');
    expect(text).toContain('coupon_bench_http_request_duration_seconds_bucket{le="0.0005",route="issue"} 1');
    expect(text).toContain('coupon_bench_http_request_duration_seconds_bucket{le="0.005",route="issue"} 2');
    expect(text).toContain('coupon_bench_http_request_duration_seconds_bucket{le="+Inf",route="issue"} 3');
    expect(text).toContain('coupon_bench_http_request_duration_seconds_count{route="issue"} 3');
    expect(text).not.toContain('route="healthz"');
    expect(text).toContain('coupon_bench_outbox_lag 7');
    expect(text).toContain('coupon_bench_persisted_total 3');
    expect(text).toContain('coupon_bench_persister_failures 2');
    expect(text).toContain('coupon_bench_redis_up 1');
    expect(text).toContain('coupon_bench_http_in_flight 2');
    expect(text).toContain('# TYPE coupon_bench_http_request_duration_seconds histogram');
  });

  it('leaves the persister figures out when the server runs no persister', async () => {
    const m = new ServerMetrics({ outboxLag: async () => undefined, persister: () => undefined, redisUp: () => false, inFlight: () => 0 });
    const text = await m.render();
    expect(text).not.toMatch(/^coupon_bench_persisted_total /m);
    expect(text).not.toMatch(/^coupon_bench_persister_failures /m);
    expect(text).not.toMatch(/^coupon_bench_outbox_lag /m);
    expect(text).toContain('coupon_bench_redis_up 0');
  });
});
