import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/model/report.js';
import { spawnCli } from '../helpers/cli.js';
import { startStandIn, type StandIn } from '../helpers/load-stand-in.js';
import { portOpen } from '../helpers/net.js';

/**
 * A busy machine can take many seconds to start a run (and its server): the start is awaited for up
 * to START_MS, each CLI is killed after KILL_MS, and each test's timeout is above both.
 */
const START_MS = 60_000;
const KILL_MS = 120_000;
const TEST_MS = KILL_MS + 10_000;
/**
 * The first piped progress line ("running 5/10s  reqs 98 …", about 5 s in): the load's own ticker
 * prints it, so a signal sent once it is read arrives during the load, however long the setup took
 * (the "run <id>: …" line comes before the target is probed and the load begins).
 */
const LOAD_RUNNING = /^running \d+\/10s +reqs \d+/m;
/** The same, once some requests were answered. */
const LOAD_ANSWERED = /^running \d+\/10s +reqs [1-9]/m;
const readReport = (path: string): RunReport => JSON.parse(readFileSync(path, 'utf8')) as RunReport;


/** What every interrupted run must say: exit 97, report marked interrupted and invalid, summary saying so. */
function expectInterrupted(r: { code: number | null; stdout: string; stderr: string }, report: RunReport, signal: string): void {
  expect(r.code).toBe(97);
  expect(r.stderr).toContain(`${signal}: stopping the load`);
  expect(report.interrupted).toEqual({ signal, during: 'load' });
  expect(report.harness.valid).toBe(false);
  expect(report.harness.reasons[0]).toMatch(new RegExp(`^interrupted by ${signal} after \\d+\\.\\d s of 10\\.0 s planned`));
  expect(report.exitCode).toBe(97);
  expect(report.durationMs).toBeLessThan(10_000); // stopped before its planned 10 s, however slow the machine
  expect(report.metrics.http_reqs.count).toBeGreaterThan(0);
  expect(r.stdout).toContain(`interrupted by ${signal}`);
}

describe('run and demo interrupted by SIGINT / SIGTERM (spawned CLI)', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'cb-interrupt-e2e-'));
  let stand: StandIn;
  beforeAll(async () => {
    stand = await startStandIn({ 1: 10 });
  });
  afterAll(async () => {
    await stand.close();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('SIGINT stops the load, writes report and ledger marked interrupted, exits 97', async () => {
    const cli = spawnCli(['run', 'seed-k6', '--target', stand.url, '--duration', '10s', '--vus', '5', '--out', 'int'], { cwd, timeoutMs: KILL_MS });
    await cli.waitFor(LOAD_ANSWERED, START_MS);
    cli.child.kill('SIGINT');
    const r = await cli.ended;
    expectInterrupted(r, readReport(join(cwd, 'int', 'report.json')), 'SIGINT');
    expect(existsSync(join(cwd, 'int', 'ledger.ndjson'))).toBe(true);
  }, TEST_MS);

  it('SIGTERM during run --serve: report written, exit 97, and the bundled server and its redis-server stopped', async () => {
    const cli = spawnCli(['run', 'seed-k6', '--serve', '--duration', '10s', '--vus', '5', '--out', 'term'], { cwd, timeoutMs: KILL_MS });
    await cli.waitFor(LOAD_ANSWERED, START_MS);
    cli.child.kill('SIGTERM');
    const r = await cli.ended;
    const report = readReport(join(cwd, 'term', 'report.json'));
    expectInterrupted(r, report, 'SIGTERM');
    const redisPort = Number(new URL(report.stores?.redis ?? '').port);
    const serverPort = Number(new URL(report.target).port);
    expect(await portOpen(redisPort)).toBe(false);
    expect(await portOpen(serverPort)).toBe(false);
  }, TEST_MS);

  it('a second signal quits at once, by that signal, without waiting for in-flight requests', async () => {
    stand.delayMs = 4000; // every answer takes 4 s: a clean stop would wait for them
    try {
      const cli = spawnCli(['run', 'seed-k6', '--target', stand.url, '--duration', '10s', '--vus', '2', '--out', 'twice'], { cwd, timeoutMs: KILL_MS });
      await cli.waitFor(LOAD_RUNNING, START_MS); // every request takes 4 s: two in flight from here on
      cli.child.kill('SIGINT');
      await cli.waitFor(/SIGINT: stopping the load/, START_MS);
      cli.child.kill('SIGINT');
      const r = await cli.ended;
      // ended by that signal: a clean stop would have waited for the answers and exited 97
      expect(r.signal).toBe('SIGINT');
      expect(existsSync(join(cwd, 'twice', 'report.json'))).toBe(false);
    } finally {
      stand.delayMs = 0;
    }
  }, TEST_MS);

  it('demo: SIGINT stops the run, skips verify, still writes report.json and the HTML, exits 97', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    delete env.REDIS_URL;
    const cli = spawnCli(['demo', '--duration', '10s', '--reports-dir', join(cwd, 'demo')], { cwd, env, timeoutMs: KILL_MS });
    await cli.waitFor(LOAD_ANSWERED, START_MS);
    cli.child.kill('SIGINT');
    const r = await cli.ended;
    expect(r.code).toBe(97);
    expect(r.stdout).toMatch(/demo: not verifying — the harness is invalid: interrupted by SIGINT/);
    const m = /report\.json +(\S+)/.exec(r.stdout);
    const report = readReport(m?.[1] ?? '');
    expect(report.interrupted).toEqual({ signal: 'SIGINT', during: 'load' });
    expect(report.verdict).toBeUndefined();
    expect(existsSync(join(m?.[1] ?? '', '..', 'report.html'))).toBe(true);
    expect(await portOpen(Number(new URL(report.stores?.redis ?? '').port))).toBe(false);
  }, TEST_MS);
});
