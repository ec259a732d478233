import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { CouponBenchError } from '../errors.js';
import { expectedStatusTable } from '../model/http-req-failed.js';
import type { ResponseSample } from '../load/recorder.js';
import type { Scenario, ScenarioCheck } from '../model/scenario.js';

/** k6's metric declarations for the samples written: type and what the values hold. */
const METRICS: Record<string, { type: 'counter' | 'trend' | 'rate' | 'gauge'; contains: 'default' | 'time' }> = {
  http_reqs: { type: 'counter', contains: 'default' },
  http_req_duration: { type: 'trend', contains: 'time' },
  http_req_failed: { type: 'rate', contains: 'default' },
  checks: { type: 'rate', contains: 'default' },
  iterations: { type: 'counter', contains: 'default' },
  vus: { type: 'gauge', contains: 'default' },
};

/** Lines are written in chunks of about this many characters. */
const FLUSH_AT = 64 * 1024;

/**
 * `run --out json=FILE`: every request as k6's JSON-lines samples (a `Metric` line declaring each
 * metric before its first `Point`), so scripts and dashboards made for k6's JSON output read our
 * runs. Per request: http_reqs, http_req_duration (the corrected latency, ms), http_req_failed
 * (k6's expectedStatuses when the scenario has them, else rejected + unknown), one checks point per
 * check and iterations; vus each second (the requests in flight).
 */
export class K6JsonOut {
  private readonly out: WriteStream;
  private readonly declared = new Set<string>();
  private buffer = '';
  private failedOut: unknown;
  private readonly checks: Array<{ name: string; status?: Set<number>; outcome?: Set<string> }>;
  private readonly expected: Uint8Array | undefined;
  private readonly baseTags: Record<string, string>;

  constructor(
    readonly file: string,
    scenario: Scenario,
    checks: readonly ScenarioCheck[],
    url: string,
  ) {
    this.out = createWriteStream(file, { encoding: 'utf8' });
    this.out.on('error', (err) => (this.failedOut = err));
    this.checks = checks.map((c) => ({
      name: c.name,
      ...(c.status ? { status: new Set(c.status) } : {}),
      ...(c.outcome ? { outcome: new Set<string>(c.outcome) } : {}),
    }));
    this.expected = scenario.expectedStatuses ? expectedStatusTable(scenario.expectedStatuses) : undefined;
    this.baseTags = { method: 'POST', name: url, proto: 'HTTP/1.1', scenario: scenario.name, url };
  }

  private point(metric: string, time: string, value: number, tags: Record<string, string> | null): void {
    if (!this.declared.has(metric)) {
      this.declared.add(metric);
      const d = METRICS[metric] ?? { type: 'counter', contains: 'default' };
      this.buffer += `${JSON.stringify({ type: 'Metric', data: { name: metric, type: d.type, contains: d.contains, thresholds: [], submetrics: null }, metric })}\n`;
    }
    this.buffer += `${JSON.stringify({ type: 'Point', data: { time, value, tags }, metric })}\n`;
    if (this.buffer.length >= FLUSH_AT) this.flush();
  }

  private flush(): void {
    if (this.buffer.length > 0) this.out.write(this.buffer);
    this.buffer = '';
  }

  /** One answered (or timed-out) request. */
  response(s: ResponseSample): void {
    const time = new Date(performance.timeOrigin + s.end).toISOString();
    const failed = this.expected !== undefined ? this.expected[s.status] !== 1 : s.outcome === 'rejected' || s.outcome === 'unknown';
    const tags = { ...this.baseTags, status: String(s.status), expected_response: String(!failed), outcome: s.outcome, template_id: String(s.templateId) };
    this.point('http_reqs', time, 1, tags);
    this.point('http_req_duration', time, Math.round((s.end - s.intended) * 1000) / 1000, tags);
    this.point('http_req_failed', time, failed ? 1 : 0, tags);
    for (const c of this.checks) {
      const ok = (c.status === undefined || c.status.has(s.status)) && (c.outcome === undefined || c.outcome.has(s.outcome));
      this.point('checks', time, ok ? 1 : 0, { check: c.name, scenario: this.baseTags['scenario'] as string });
    }
    this.point('iterations', time, 1, { scenario: this.baseTags['scenario'] as string });
  }

  /** Requests in flight, once a second (k6's vus gauge). */
  vus(atMs: number, value: number): void {
    this.point('vus', new Date(performance.timeOrigin + atMs).toISOString(), value, null);
  }

  /** Flush and close the file; a write that failed is one line naming it. */
  async close(): Promise<void> {
    this.flush();
    this.out.end();
    if (!this.out.closed && this.failedOut === undefined) await once(this.out, 'close').catch(() => undefined);
    if (this.failedOut !== undefined) {
      throw new CouponBenchError('E_OUTPUT_WRITE', `cannot write ${this.file}: ${(this.failedOut as NodeJS.ErrnoException).code ?? String(this.failedOut)}`);
    }
  }
}
