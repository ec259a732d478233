import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/model/report.js';
import { runCli } from '../helpers/cli.js';
import { portOpen } from '../helpers/net.js';

const run = (args: string[], env: NodeJS.ProcessEnv, cwd: string) => runCli(args, { env, cwd, timeoutMs: 90_000 });
// The shared Redis the demo must NOT touch: it answers on the default port during this test.
const SHARED_REDIS = 'redis://127.0.0.1:6379';


async function countKeys(url: string, pattern: string): Promise<number> {
  const r = new Redis(url, { maxRetriesPerRequest: 2 });
  try {
    let cursor = '0';
    let n = 0;
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      n += keys.length;
    } while (cursor !== '0');
    return n;
  } finally {
    r.disconnect();
  }
}

describe('coupon-bench demo (spawned CLI, no REDIS_URL)', () => {
  let dir: string;
  let result: { code: number | null; stdout: string; stderr: string };
  let report: RunReport;

  beforeAll(async () => {
    // Precondition of the proof: another Redis answers on 6379.
    const shared = new Redis(SHARED_REDIS, { maxRetriesPerRequest: 2 });
    expect(await shared.ping()).toBe('PONG');
    shared.disconnect();
    dir = mkdtempSync(join(tmpdir(), 'cb-demo-e2e-'));
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    delete env.REDIS_URL;
    // 6 s: long enough for the piped progress line of the fifth second
    result = await run(['demo', '--duration', '6s', '--reports-dir', join(dir, 'reports')], env, dir);
    const m = /report\.json +(\S+)/.exec(result.stdout);
    if (!m?.[1]) throw new Error(`no report path in output:\n${result.stdout}\n${result.stderr}`);
    report = JSON.parse(readFileSync(m[1], 'utf8')) as RunReport;
  }, 120_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 0 and prints the summary, the verdict "exactly 10 issued" and the report paths', () => {
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('exactly 10 issued');
    expect(result.stdout).toContain('http_req_duration');
    expect(result.stdout).toMatch(/│ issued +│ +10 │/);
    expect(result.stdout).toMatch(/sold-out-exact +│ PASS/);
    const html = /HTML report +(\S+)/.exec(result.stdout)?.[1];
    expect(html).toBeDefined();
    expect(readFileSync(html!, 'utf8')).toContain('data-chart="issued"');
  });

  it('piped, prints the plain progress of run (no redrawn line) and records VUs and requests in flight per second', () => {
    expect(result.stderr).toMatch(/^running 5\/6s {2}reqs \d+ {2}\d+\/s {2}p95 [\d.]+ms {2}issued 10 {2}errors 0/m);
    expect(result.stderr).not.toContain('\r');
    const answered = report.timeline.filter((p) => Object.values(p.counts).some((c) => c > 0));
    expect(answered.length).toBeGreaterThanOrEqual(5);
    // seed-k6 is 100 constant VUs: every second of the load had them; in flight is the most at once
    // in each second (a VU sleeping its think time has none in flight), never more than the VUs
    for (const p of answered.slice(0, 5)) {
      expect(p.vus, `second ${p.t}`).toBe(100);
      expect(p.inFlight, `second ${p.t}`).toBeGreaterThanOrEqual(0);
      expect(p.inFlight, `second ${p.t}`).toBeLessThanOrEqual(100);
    }
    expect(Math.max(...answered.map((p) => p.inFlight ?? 0))).toBeGreaterThan(0);
  });

  it('recorded the verdict in report.json next to the HTML', () => {
    expect(report.verdict?.ok).toBe(true);
    expect(report.outcomes.issued).toBe(10);
    expect(report.verdict?.issued).toBe(10); // the headline's count, which the HTML card shows
    expect(report.templates).toEqual([{ templateId: 1, stock: 10 }]);
  });

  it('used its own private redis-server, never the Redis on 6379, and stopped it', async () => {
    const stores = report.stores!;
    expect(stores.redis).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    expect(stores.redis).not.toMatch(/:6379$/);
    expect(result.stdout).toContain(`private redis-server ${stores.redis}`);
    // Nothing under the demo's key prefix exists on the shared Redis.
    expect(stores.prefix).toMatch(/^cbdemo-/);
    expect(await countKeys(SHARED_REDIS, `${stores.prefix}:*`)).toBe(0);
    expect(await countKeys(SHARED_REDIS, `*${stores.prefix}*`)).toBe(0);
    // Cleaned up: the private redis-server is gone and so is the temp folder with SQLite.
    const port = Number(new URL(stores.redis!).port);
    expect(await portOpen(port)).toBe(false);
    const dbFile = stores.db!.replace(/^sqlite:/, '');
    expect(existsSync(dbFile)).toBe(false);
  });

  it('a bare verify afterwards is PARTIAL, not PASS: it names the stores that are gone and the command that completes the audit', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    delete env.REDIS_URL;
    const r = await runCli(['verify'], { env, cwd: dir, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^PARTIAL \(\d of 10 judged\) {2}/);
    expect(r.stdout).not.toMatch(/^PASS/m);
    const stores = report.stores!;
    expect(r.stdout).toContain(`stores the report names are gone: Redis ${stores.redis} (unreachable), database ${stores.db} (file does not exist)`);
    expect(r.stdout).toMatch(/the run's own audit, made while they were up: exit 0: exactly 10 issued/);
    expect(r.stdout).toMatch(/complete the audit with:\n {2}coupon-bench verify --report \S+report\.json --redis <redis-url> --db <db-url>/);
    const strict = await runCli(['verify', '--strict', '--json'], { env, cwd: dir, timeoutMs: 60_000 });
    expect(strict.code).toBe(97);
    const v = JSON.parse(strict.stdout) as { partial?: { judged: number; of: number; gone?: string[] } };
    expect(v.partial?.gone).toHaveLength(2);
    expect(v.partial!.judged * 2).toBeLessThan(v.partial!.of);
  });
});
