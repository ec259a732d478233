import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FAULT_KINDS } from '../../src/model/fault.js';
import type { RunReport } from '../../src/model/report.js';
import { runCli } from '../helpers/cli.js';
import { testDb } from '../integration/store-test-db.js';

/**
 * The fault matrix: every fault once, one after another, in one short run per database, against
 * the run's own serve child, private Redis and (for PostgreSQL) database proxy. Bounded: 7 s of
 * load from 16 VUs pausing 80 ms between requests (at most ~200 requests/s), and the CLI is killed
 * after 90 s. A closed model: on a busy machine the load only gets slower, where an open model
 * would drop the arrivals the machine cannot send and the run would be judged invalid (exit 97).
 */
const MATRIX = {
  name: 'chaos-matrix',
  executor: 'constant-vus',
  vus: 16,
  thinkTime: '80ms',
  duration: '7s',
  users: { type: 'sequential', start: 1 },
  templates: [{ id: 1, stock: 1200 }],
  faults: [
    { fault: 'kill-persister', at: '600ms' },
    { fault: 'pause-redis', at: '1200ms', for: '400ms' },
    { fault: 'db-outage', at: '2s', for: '800ms' },
    { fault: 'slow-db', at: '3200ms', for: '800ms', latency: '80ms' },
    { fault: 'restart-redis', at: '4400ms' },
    { fault: 'kill-serve', at: '5400ms' },
  ],
};

const pgDb = testDb('postgres');

describe('chaos: every fault mid-run, then verify', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'cb-chaos-'));
  const scenario = join(cwd, 'matrix.json');
  writeFileSync(scenario, JSON.stringify(MATRIX));
  afterAll(async () => {
    rmSync(cwd, { recursive: true, force: true });
    await pgDb.drop();
  });

  const cases: Array<[string, string[]]> = [
    ['SQLite', []],
    ['PostgreSQL', ['--db', pgDb.url]],
  ];
  for (const [engine, dbArgs] of cases) {
    it(`${engine}: 0 acknowledged coupons lost, no over-issue or duplicate, each fault a band with its recovery`, async () => {
      const out = join(cwd, engine);
      const res = await runCli(['chaos', scenario, '--out', out, ...dbArgs], { cwd, timeoutMs: 90_000, env: { ...process.env, NO_COLOR: '1' } });
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as RunReport;
      expect(res.code, `${res.stdout}\n${res.stderr}`).toBe(0);
      expect(report.verdict?.ok).toBe(true);
      const lost = report.verdict?.invariants.find((i) => i.name === 'no-lost-ack');
      expect(lost?.status).toBe('PASS');
      expect(lost?.counts['missing']).toBe(0);
      for (const name of ['no-over-issue', 'no-duplicate-user', 'unknown-bounded', 'redis-db-match'] as const) {
        expect(report.verdict?.invariants.find((i) => i.name === name)?.status, name).toBe('PASS');
      }
      // the faults on the timeline: all six, in order, inside the run, each recovered from
      expect(report.faults?.map((f) => f.fault)).toEqual([...FAULT_KINDS].sort((a, b) => MATRIX.faults.findIndex((f) => f.fault === a) - MATRIX.faults.findIndex((f) => f.fault === b)));
      for (const f of report.faults ?? []) {
        expect(f.startMs, f.spec).toBeGreaterThan(0);
        expect(f.endMs, f.spec).toBeGreaterThanOrEqual(f.startMs);
        expect(f.endMs, f.spec).toBeLessThan(report.durationMs);
        expect(f.recoveryMs, f.spec).toBeDefined();
        expect(f.dataLost, f.spec).toBeUndefined();
      }
      const pause = report.faults?.find((f) => f.fault === 'pause-redis');
      expect((pause?.endMs ?? 0) - (pause?.startMs ?? 0)).toBeGreaterThanOrEqual(390);
      // a killed server loses the requests it held: their answers are unknown, and bounded by verify
      expect(report.faults?.find((f) => f.fault === 'kill-serve')?.detail).toMatch(/killed \(SIGKILL\), pid \d+ started/);
      expect(res.stdout).toMatch(/faults\n.*fault.*recovered after/s);
      const html = readFileSync(join(out, 'report.html'), 'utf8');
      // six faults, each a band on the three time charts (throughput, latency, VUs and in flight)
      expect(html.match(/<rect class="fault"/g)?.length).toBe(6 * 3);
    }, 100_000);
  }

  it('with the private Redis not persisting, restart-redis is seen: data lost, no-lost-ack FAILS (exit 100)', async () => {
    const out = join(cwd, 'no-aof');
    const res = await runCli(['chaos', scenario, '--only', '--fault', 'restart-redis@1500ms', '--redis-appendonly', 'no', '--duration', '3s', '--out', out], {
      cwd,
      timeoutMs: 60_000,
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(res.code, `${res.stdout}\n${res.stderr}`).toBe(100);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as RunReport;
    // fewer coupons than before, or (when the server rebuilt the counts from the database first) none of its acknowledged writes
    expect(report.faults?.[0]?.dataLost).toMatch(/^Redis came back (with fewer coupons issued than before the restart \(template 1: \d+ → \d+\)|without the writes it had acknowledged before the restart)/);
    const lost = report.verdict?.invariants.find((i) => i.name === 'no-lost-ack');
    expect(lost?.status).toBe('FAIL');
    expect(lost?.examples[0]).toMatch(/^fault restart-redis@1500ms at 1\.5 s: Redis came back/);
    expect(res.stdout).toMatch(/FAILED: no-lost-ack/);
  }, 70_000);

  it('faults need the run to own the server; a bad schedule is refused before anything starts', async () => {
    const noServe = await runCli(['run', scenario, '--out', join(cwd, 'x')], { cwd });
    expect(noServe.code).toBe(1);
    expect(noServe.stderr).toMatch(/faults only hit processes the run started: add --serve/);
    const late = await runCli(['chaos', scenario, '--only', '--fault', 'kill-serve@30s', '--out', join(cwd, 'y')], { cwd });
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(/begins after the load ends/);
    const bad = await runCli(['run', 'seed-k6', '--serve', '--fault', 'pause-redis@1s'], { cwd });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/pause-redis lasts a while: give its duration/);
  });
});
