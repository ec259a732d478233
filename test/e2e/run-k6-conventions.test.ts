import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/model/report.js';
import type { K6SummaryExport } from '../../src/report/k6-summary.js';
import { runCli } from '../helpers/cli.js';
import { spawnServe, type Spawned } from './serve-harness.js';

const cwd = mkdtempSync(join(tmpdir(), 'cb-run-k6-'));
const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(args, { cwd, env: { ...process.env, NO_COLOR: '1', ...env } });
const report = (dir: string) => JSON.parse(readFileSync(join(cwd, dir, 'report.json'), 'utf8')) as RunReport;
const short = ['--duration', '1s', '--vus', '5', '--quiet'];

/** A seed-k6-like scenario file with the given fields over it. */
function scenario(fields: object): string {
  const path = join(cwd, `scenario-${Math.random().toString(36).slice(2)}.json`);
  const base = JSON.parse(readFileSync(new URL('../../scenarios/seed-k6.json', import.meta.url), 'utf8')) as object;
  writeFileSync(path, JSON.stringify({ ...base, thinkTime: '20ms', ...fields }));
  return path;
}

describe('run: re-runs and k6 conventions against serve (spawned CLI)', () => {
  let serve: Spawned;
  beforeAll(async () => {
    serve = await spawnServe(['--port', '0', '--db', `sqlite:${join(cwd, 'serve.sqlite')}`], cwd);
  });
  afterAll(async () => {
    serve.child.kill('SIGTERM');
    await serve.exited;
    rmSync(cwd, { recursive: true, force: true });
  });

  it('a template that does not exist, without --setup: exit 97 before any load, one line naming --setup, no folder left', async () => {
    const run = await cli(['run', 'seed-k6', '--target', serve.url, '--template-id', '4242', '--out', 'missing/run']);
    expect(run.code, run.stderr).toBe(97);
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^coupon-bench: template 4242 does not exist at http:\/\/127\.0\.0\.1:\d+: add --setup .*\[E_TEMPLATE_NOT_FOUND\]$/),
    ]);
    expect(existsSync(join(cwd, 'missing'))).toBe(false);
    // the probe asked (GET /api/templates/:id), and no issue request was sent
    const metrics = await (await fetch(`${serve.url}/metrics`)).text();
    expect(metrics).toMatch(/^coupon_bench_http_requests_total\{route="get_template",[^}]*\} [1-9]/m);
    expect(metrics).not.toMatch(/^coupon_bench_http_requests_total\{route="issue"/m);
  });

  it('--template-ids must match the scenario; --target without a scheme blames the flag', async () => {
    const wrong = await cli(['run', 'seed-k6', '--target', serve.url, '--template-ids', '7,8', '--out', 'wrong']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^coupon-bench: --template-ids: the scenario has 1 template \(1\): give one id with --template-id N \[E_USAGE\]$/m);
    const target = await cli(['run', 'seed-k6', '--target', 'localhost:8080']);
    expect(target.code).toBe(1);
    expect(target.stderr.trim()).toBe('coupon-bench: --target: "localhost:8080" must start with http:// or https:// (did you mean http://localhost:8080?) [E_USAGE]');
    expect(existsSync(join(cwd, 'wrong'))).toBe(false);
  });

  it('-e fills {env.NAME} (over the environment); a missing variable is a usage error', async () => {
    const file = scenario({ target: '{env.CB_TEST_BASE}' });
    const missing = await cli(['run', file, '--setup', '--template-id', '31', ...short, '--out', 'env-missing']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/target: \{env\.CB_TEST_BASE\} names the environment variable CB_TEST_BASE, which is not set .*\[E_SCENARIO_ENV\]/);
    // the flag wins over the environment
    const run = await cli(['run', file, '-e', `CB_TEST_BASE=${serve.url}`, '--setup', '--template-id', '31', ...short, '--out', 'env'], { CB_TEST_BASE: 'http://127.0.0.1:1' });
    expect(run.code, run.stderr).toBe(0);
    expect(report('env').target).toBe(serve.url);
  });

  it('--summary-export and --out json=FILE write k6 shapes that agree with report.json', async () => {
    const run = await cli(['run', 'seed-k6', '--target', serve.url, '--setup', '--template-id', '41', ...short, '--out', 'k6', '--out', 'json=samples.json', '--summary-export', 'summary.json', '--threshold', 'http_req_duration:p(95)<60000']);
    expect(run.code, run.stderr).toBe(0);
    const r = report('k6');
    const s = JSON.parse(readFileSync(join(cwd, 'summary.json'), 'utf8')) as K6SummaryExport;
    expect(Object.keys(s.metrics['http_req_duration'] ?? {}).sort()).toEqual(['avg', 'max', 'med', 'min', 'p(90)', 'p(95)', 'thresholds'].sort());
    expect(s.metrics['http_req_duration']?.['p(95)']).toBe(r.metrics.http_req_duration['p(95)']);
    expect(s.metrics['http_req_duration']?.['thresholds']).toEqual({ 'p(95)<60000': false });
    expect(s.metrics['http_reqs']).toEqual({ count: r.metrics.http_reqs.count, rate: r.metrics.http_reqs.rate });
    expect(s.metrics['checks']).toMatchObject({ passes: r.metrics.checks.passes, fails: r.metrics.checks.fails });
    expect(s.root_group.checks['status is 200 or 400']).toMatchObject({ passes: r.metrics.checks.passes, path: '::status is 200 or 400' });
    expect(s.metrics['http_req_failed']).toEqual({ passes: r.outcomes.rejected + r.outcomes.unknown, fails: r.metrics.http_reqs.count - r.outcomes.rejected - r.outcomes.unknown, value: expect.any(Number) });

    const lines = readFileSync(join(cwd, 'samples.json'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; metric: string; data: { name?: string; value?: number; time?: string; tags?: Record<string, string> | null } });
    const declaredAt = new Map<string, number>();
    lines.forEach((l, i) => {
      if (l.type === 'Metric') declaredAt.set(l.metric, i);
      else expect(declaredAt.get(l.metric), `${l.metric} declared before its first point`).toBeLessThan(i);
    });
    const points = (metric: string) => lines.filter((l) => l.type === 'Point' && l.metric === metric);
    expect(points('http_reqs')).toHaveLength(r.metrics.http_reqs.count);
    expect(points('http_req_duration')).toHaveLength(r.metrics.http_reqs.count);
    const issued = points('http_req_duration').filter((p) => p.data.tags?.['outcome'] === 'issued');
    expect(issued).toHaveLength(r.outcomes.issued);
    expect(issued[0]?.data.tags).toMatchObject({ method: 'POST', status: '200', expected_response: 'true', url: `${serve.url}/api/coupons/issue` });
    expect(Date.parse(issued[0]?.data.time ?? '')).toBeGreaterThan(Date.parse(r.startedAt) - 1000);
    expect(points('checks').reduce((a, p) => a + (p.data.value ?? 0), 0)).toBe(r.metrics.checks.passes);
  });

  it("expectedStatuses: k6's meaning of http_req_failed (a sold-out 400 fails), and its threshold judges that", async () => {
    const file = scenario({ expectedStatuses: [{ min: 200, max: 299 }], thresholds: { http_req_failed: ['rate<0.01'] } });
    const run = await cli(['run', file, '--target', serve.url, '--setup', '--template-id', '51', '--stock', '3', ...short, '--out', 'expected', '--summary-export', 'expected.json']);
    expect(run.code, run.stderr).toBe(99);
    const r = report('expected');
    const notOk = r.metrics.http_reqs.count - r.outcomes.issued;
    expect(r.outcomes.issued).toBe(3);
    expect(notOk).toBeGreaterThan(0);
    expect(r.metrics.http_req_failed).toMatchObject({ passes: notOk, fails: 3 });
    expect(r.thresholds).toEqual([expect.objectContaining({ metric: 'http_req_failed', ok: false })]);
    const s = JSON.parse(readFileSync(join(cwd, 'expected.json'), 'utf8')) as K6SummaryExport;
    expect(s.metrics['http_req_failed']).toMatchObject({ passes: notOk, fails: 3, thresholds: { 'rate<0.01': true } });
  });
});
