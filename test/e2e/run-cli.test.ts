import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/model/report.js';
import { runCli } from '../helpers/cli.js';
import { startStandIn, type StandIn } from '../helpers/load-stand-in.js';

const cli = (args: string[], cwd: string) => runCli(args, { cwd });

describe('coupon-bench run (spawned CLI)', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'cb-run-e2e-'));
  let stand: StandIn;
  beforeAll(async () => {
    expect(existsSync(resolve('dist/cli.js'))).toBe(true); // `npm test` builds first
    stand = await startStandIn({ 1: 10 });
  });
  afterAll(async () => {
    await stand.close();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('seed-k6 scaled down against --serve: k6 summary, outcome table, report + ledger, exit 0', async () => {
    const r = await cli(['run', 'seed-k6', '--serve', '--duration', '2s', '--vus', '20', '--seed', '1', '--out', 'seed-run'], cwd);
    expect(r.stderr).toMatch(/serving on http:\/\/127\.0\.0\.1:\d+/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/✓ status is 200 or 400/);
    expect(r.stdout).toMatch(/http_req_duration\.+: avg=/);
    expect(r.stdout).toMatch(/│ issued\s+│\s+10 │/);
    expect(r.stdout.includes('\u001b[')).toBe(false); // piped: no colour
    const report = JSON.parse(readFileSync(join(cwd, 'seed-run', 'report.json'), 'utf8')) as RunReport;
    expect(report.outcomes.issued).toBe(10);
    expect(report.metrics.vus.max).toBe(20);
    // 20 VUs * 2 s / (100 ms think + latency): about 400; generous for a shared machine
    expect(report.metrics.iterations.count).toBeGreaterThan(150);
    expect(report.metrics.iterations.count).toBeLessThanOrEqual(20 * 21);
    expect(report.metrics.checks.fails).toBe(0);
    expect(report.stores?.redis).toMatch(/^redis:\/\//);
    const ledger = readFileSync(join(cwd, 'seed-run', 'ledger.ndjson'), 'utf8').trim().split('\n');
    // The default ledger keeps every answer: one line per request.
    expect(ledger).toHaveLength(report.metrics.http_reqs.count);
    expect(ledger.filter((l) => (JSON.parse(l) as { o: string }).o === 'issued')).toHaveLength(10);
    expect(report.exitCode).toBe(0);
  });

  it('an arrival rate far beyond the machine: the surplus is counted as dropped at once, the run ends on time (97)', async () => {
    // its own stand-in: the shared one's coupons belong to the other tests
    const own = await startStandIn({ 1: 10 });
    // A trillion arrivals: dropped one by one (a billion took about 10 s here) the run would be
    // killed at 30 s, however fast the machine; counted by arithmetic it ends once its 1 s is over.
    const r = await runCli(['run', 'flash-crowd', '--target', own.url, '--rate', '1e12', '--duration', '1s', '--vus', '20', '--quiet', '--out', 'absurd-rate'], {
      cwd,
      timeoutMs: 30_000,
    }).finally(() => own.close());
    expect(r.code, r.stderr).toBe(97);
    const report = JSON.parse(readFileSync(join(cwd, 'absurd-rate', 'report.json'), 'utf8')) as RunReport;
    expect(report.harness.reasons).toContainEqual(expect.stringMatching(/too many dropped iterations: \d+ of 1000000000000/));
    expect(report.metrics.dropped_iterations.count + report.metrics.iterations.count).toBe(1_000_000_000_000);
  });

  it('a duration beyond the timer limit is refused, not run for a millisecond and passed', async () => {
    const r = await cli(['run', 'seed-k6', '--target', stand.url, '--duration', '597h', '--quiet', '--out', 'too-long'], cwd);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/longer than the longest duration, 2147483647 ms/);
    expect(existsSync(join(cwd, 'too-long'))).toBe(false);
  });

  it('an unreachable target exits 97', async () => {
    const r = await cli(['run', 'seed-k6', '--target', 'http://127.0.0.1:9', '--duration', '1s', '--vus', '2', '--quiet', '--out', 'unreach'], cwd);
    expect(r.code).toBe(97);
    const report = JSON.parse(readFileSync(join(cwd, 'unreach', 'report.json'), 'utf8')) as RunReport;
    expect(report.harness.valid).toBe(false);
    expect(report.harness.reasons[0]).toMatch(/target unreachable/);
  });

  it('malformed store URLs for --verify are usage errors (exit 1) before any request is sent', async () => {
    const before = stand.received;
    for (const [flags, code] of [
      [['--redis', 'nonsense'], 'E_BAD_REDIS_URL'],
      [['--db', 'foo:bar'], 'E_BAD_DB_URL'],
      [['--prefix', 'no spaces'], 'E_BAD_PREFIX'],
    ] as const) {
      const r = await cli(['run', 'seed-k6', '--target', stand.url, '--duration', '1s', '--vus', '2', '--verify', ...flags, '--out', `bad-${code}`], cwd);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(`[${code}]`);
      expect(existsSync(join(cwd, `bad-${code}`))).toBe(false);
    }
    expect(stand.received).toBe(before);
  });

  it('a failing --threshold exits 99 and --json prints the report', async () => {
    const r = await cli(
      ['run', 'seed-k6', '--target', stand.url, '--duration', '1s', '--vus', '5', '--json', '--threshold', 'outcomes.issued:count==0', '--threshold', 'checks:rate==1', '--out', 'thr'],
      cwd,
    );
    expect(r.code).toBe(99);
    const report = JSON.parse(r.stdout) as RunReport;
    expect(report.thresholds.map((t) => [t.metric, t.ok])).toEqual([
      ['outcomes.issued', false],
      ['checks', true],
    ]);
  });

  it('a bad scenario file is a usage error naming the field', async () => {
    const p = join(cwd, 'bad.json');
    writeFileSync(p, JSON.stringify({ name: 'bad', executor: 'constant-vus', vus: -1, duration: '1s', users: { type: 'uniform', min: 1, max: 2 }, templates: [{ id: 1, stock: 1 }] }));
    const r = await cli(['run', p, '--quiet'], cwd);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/vus must be >= 1/);
    const t = await cli(['run', 'seed-k6', '--threshold', 'http_req_duration:p95<5', '--quiet'], cwd);
    expect(t.code).toBe(1);
    expect(t.stderr).toMatch(/cannot parse "p95<5"/);
  });

  it('flag values: the message states the rule; durations need a unit; --duration on a burst is refused', async () => {
    const sent = stand.received;
    for (const vus of ['-5', '0']) {
      const r = await cli(['run', 'seed-k6', '--vus', vus, '--quiet'], cwd);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`argument '${vus}' is invalid. must be an integer >= 1`);
    }
    const bare = await cli(['run', 'seed-k6', '--duration', '1500', '--quiet'], cwd);
    expect(bare.code).toBe(1);
    expect(bare.stderr).toContain('"1500" has no unit: write 1500ms or 1500s');
    const drain = await cli(['verify', '--drain-timeout', '5000'], cwd);
    expect(drain.code).toBe(1);
    expect(drain.stderr).toContain('"5000" has no unit: write 5000ms or 5000s');
    const burst = await cli(['run', 'burst', '--target', stand.url, '--duration', '5s', '--quiet'], cwd);
    expect(burst.code).toBe(1);
    expect(burst.stderr).toMatch(/--duration: burst releases all its requests at one instant .*\[E_USAGE\]/);
    expect(stand.received).toBe(sent);
  });
});
