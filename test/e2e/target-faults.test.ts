// Faults on a service coupon-bench did not write: the shop fixture (test/fixtures/shop-service),
// started by the run with --target-cmd, its database behind a --proxy the run owns.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/model/report.js';
import { testPort } from '../helpers/ports.js';
import { runCli } from '../helpers/cli.js';
import { PG_URL, REDIS_URL, deletePrefix } from '../helpers/env.js';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'shop-service');
const SCENARIO = join(FIXTURE, 'shop-scenario.json');
const cwd = mkdtempSync(join(tmpdir(), 'cb-target-faults-'));
const namespaces: string[] = [];

/** A chaos run against a fresh shop service (its own tables and keys); `dbPort` routes its database through a proxy. */
async function chaos(mode: 'correct' | 'write-behind', faults: string[], extra: string[] = [], dbPort?: number, command: 'chaos' | 'run' = 'chaos'): Promise<{ code: number | null; stdout: string; stderr: string; report: RunReport }> {
  const ns = `t${Math.random().toString(36).slice(2, 10)}`;
  namespaces.push(ns);
  const port = await testPort();
  const db = new URL(PG_URL);
  const serviceDb = new URL(PG_URL);
  if (dbPort !== undefined) serviceDb.port = String(dbPort);
  const cmd = `PORT=${port} SHOP_NS=${ns} SHOP_MODE=${mode} SHOP_PG_URL='${serviceDb.href}' SHOP_REDIS_URL='${REDIS_URL}' exec node shop.mjs`;
  const out = join(cwd, ns);
  const args = [command, SCENARIO, ...(command === 'run' ? ['--verify'] : []), '--target', `http://127.0.0.1:${port}`, '--target-cmd', cmd, '--target-cwd', FIXTURE, '--target-ready', `http://127.0.0.1:${port}/healthz`];
  for (const f of faults) args.push('--fault', f);
  args.push('--db', db.href, '--db-query', `SELECT user_id, coupon_id, seq FROM shop_coupons_${ns} WHERE template_id = :template`, '--out', out, ...extra);
  const r = await runCli(args, { cwd, timeoutMs: 90_000, env: { ...process.env, NO_COLOR: '1' } });
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as RunReport;
  return { ...r, report };
}

const invariant = (r: RunReport, name: string) => r.verdict?.invariants.find((i) => i.name === name);

afterAll(async () => {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  for (const ns of namespaces) await client.query(`DROP TABLE IF EXISTS shop_coupons_${ns}, shop_stock_${ns}`);
  await client.end();
  for (const ns of namespaces) await deletePrefix(REDIS_URL, `shop:${ns}`);
  rmSync(cwd, { recursive: true, force: true });
});

describe('chaos --target-cmd with kill-target@2s', () => {
  it.each([1, 2, 3])('write-behind service (run %i of 3): FAIL no-lost-ack, naming the users told 200 whose rows were still in memory', async () => {
    const r = await chaos('write-behind', ['kill-target@2s']);
    expect(r.code, r.stderr + r.stdout).toBe(100);
    const lost = invariant(r.report, 'no-lost-ack');
    expect(lost?.status).toBe('FAIL');
    expect(lost?.counts.missing).toBeGreaterThan(0);
    expect(lost?.examples[0]).toMatch(/^user \d+: told 200 \(coupon "[^"]+"\), no DB row$/);
    expect(r.stdout).toMatch(/FAILED: no-lost-ack/);
    expect(r.report.faults?.[0]).toMatchObject({ fault: 'kill-target', spec: 'kill-target@2s' });
  }, 100_000);

  it.each([1, 2, 3])('correct service (run %i of 3): PASS, with the band and its recovery time in the report', async () => {
    const r = await chaos('correct', ['kill-target@2s']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(invariant(r.report, 'no-lost-ack')?.status).toBe('PASS');
    const band = r.report.faults?.[0];
    expect(band).toMatchObject({ fault: 'kill-target', spec: 'kill-target@2s' });
    expect(band?.detail).toMatch(/^target process group \d+ killed \(SIGKILL to the group\), group \d+ started and answered$/);
    expect(band?.recoveryMs).toBeGreaterThan(0);
    expect(r.stdout).toMatch(/kill-target@2s .* \d+(\.\d+)?(ms|s) │?\s*$/m);
    expect(readFileSync(join(cwd, namespaces.at(-1) as string, 'target.log'), 'utf8').match(/shop \(correct\) listening/g)).toHaveLength(2);
  }, 100_000);
});

describe('chaos --proxy and the other target faults (correct service)', () => {
  it('cut:db for 2 s through the proxy: PASS, unknown answers bounded, recovery printed', async () => {
    const proxyPort = await testPort();
    const upstream = new URL(PG_URL);
    const r = await chaos('correct', ['cut:db@1s+2s'], ['--proxy', `db=127.0.0.1:${proxyPort}->127.0.0.1:${upstream.port || 5432}`], proxyPort);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const band = r.report.faults?.[0];
    expect(band).toMatchObject({ fault: 'cut', name: 'db', spec: 'cut:db@1s+2s' });
    expect(band?.unknown).toBeGreaterThan(0); // the service could not write: it said 503, not 200
    expect(band?.recoveryMs).toBeGreaterThan(0);
    expect(invariant(r.report, 'unknown-bounded')?.status).toBe('PASS');
    expect(invariant(r.report, 'no-lost-ack')?.status).toBe('PASS');
    expect(r.stderr).toMatch(/fault cut:db@1s\+2s lifted at 3\.\ds: proxy db cut for 2000 ms/);
    expect(r.stdout).toMatch(/cut:db@1s\+2s .* \d+(\.\d+)?(ms|s) │?\s*$/m);
  }, 100_000);

  it('pause-target stops the group and continues it; hook: runs the command and records its exit code and output', async () => {
    const r = await chaos('correct', ['pause-target@1s+1s', 'hook:note@3s'], ['--fault-hook', "note=echo hooked on $(pwd); exit 3"]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const [pause, hook] = r.report.faults ?? [];
    expect(pause).toMatchObject({ fault: 'pause-target', spec: 'pause-target@1s+1s' });
    expect(pause?.detail).toMatch(/stopped \(SIGSTOP\) for 1000 ms, then continued/);
    // a paused service answers nothing until it is continued: the band's p99 holds the pause
    expect(pause?.p99Ms).toBeGreaterThan(500);
    expect(hook?.hook).toEqual({ name: 'note', exitCode: 3, timedOut: false, output: `hooked on ${FIXTURE}` });
    expect(r.stdout).toContain(`hook note (hook:note@3s) exit 3: hooked on ${FIXTURE}`);
  }, 100_000);
});

describe('run --verify --fault with the same flags', () => {
  it('restart-target: SIGTERM to the group, started again; the correct service PASSes', async () => {
    const r = await chaos('correct', ['restart-target@2s'], [], undefined, 'run');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.report.faults?.[0]?.detail).toMatch(/^target process group \d+ stopped \(SIGTERM to the group\), group \d+ started and answered$/);
    expect(invariant(r.report, 'no-lost-ack')?.status).toBe('PASS');
  }, 100_000);
});

describe('chaos --target refusals (exit 1, nothing started)', () => {
  it('process faults need --target-cmd and a loopback target; names must exist', async () => {
    const base = ['chaos', SCENARIO, '--out', join(cwd, 'refused')];
    const noCmd = await runCli([...base, '--target', 'http://127.0.0.1:1', '--fault-hook', 'x=true', '--fault', 'kill-target@1s'], { cwd });
    expect(noCmd.code).toBe(1);
    expect(noCmd.stderr).toMatch(/^coupon-bench: --fault kill-target: the run did not start the service: give --target-cmd \(without it only proxy faults and hook faults are allowed\) \[E_FAULT\]$/m);
    const remote = await runCli([...base, '--target', 'http://192.0.2.1:8080', '--target-cmd', 'true', '--fault', 'pause-target@1s+1s'], { cwd });
    expect(remote.code).toBe(1);
    expect(remote.stderr).toMatch(/192\.0\.2\.1 is not loopback; process faults only touch a service on this machine.*\[E_FAULT\]/);
    const nothing = await runCli([...base, '--target', 'http://127.0.0.1:1', '--fault', 'kill-target@1s'], { cwd });
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toMatch(/chaos --target: faults only touch what the run owns: give --target-cmd, --proxy or --fault-hook/);
    const dies = await runCli([...base, '--target', 'http://127.0.0.1:1', '--target-cmd', 'echo boom; exit 3', '--fault', 'kill-target@1s'], { cwd });
    expect(dies.code).toBe(1);
    expect(dies.stderr).toMatch(/^coupon-bench: --target-cmd exited during start \(code 3\): boom \[E_TARGET_START\]$/m);
    // something else already answers on the service's port: its answers would pass for the service's
    const port = await testPort();
    const other = createServer((_req, res) => res.end('someone else'));
    await new Promise<void>((resolve) => other.listen(port, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${port}`;
      const taken = await runCli([...base, '--target', url, '--target-cmd', 'touch started; sleep 30', '--target-cwd', cwd, '--fault', 'kill-target@1s'], { cwd });
      expect(taken.code).toBe(1);
      expect(taken.stderr).toContain(`coupon-bench: --target-cmd: ${url}/ already answers before the command started: another process holds that port (stop it, or give the service another port) [E_TARGET_START]`);
      expect(existsSync(join(cwd, 'started'))).toBe(false);
    } finally {
      other.close();
    }
    const runServe = await runCli(['run', SCENARIO, '--serve', '--fault', 'kill-target@1s', '--out', join(cwd, 'refused2')], { cwd });
    expect(runServe.code).toBe(1);
    expect(runServe.stderr).toMatch(/not on --serve's bundled server/);
  }, 60_000);
});
