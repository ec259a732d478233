import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/model/report.js';
import { runCli } from '../helpers/cli.js';
import { startStandIn, type StandIn } from '../helpers/load-stand-in.js';
import { makeReport } from '../unit/report-fixture.js';

const cwd = mkdtempSync(join(tmpdir(), 'cb-nothing-'));
const cli = (args: string[]) => runCli(args, { cwd, env: { ...process.env, NO_COLOR: '1' } });
const report = (dir: string) => JSON.parse(readFileSync(join(cwd, dir, 'report.json'), 'utf8')) as RunReport;

/** seed-k6, small and short, with a per-request timeout well inside the test's time. */
function scenario(target: string): string {
  const path = join(cwd, `scenario-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(
    path,
    JSON.stringify({
      name: 'tiny',
      target,
      executor: 'constant-vus',
      vus: 3,
      duration: '1s',
      thinkTime: '50ms',
      timeout: '300ms',
      users: { type: 'uniform', min: 1, max: 100 },
      templates: [{ id: 1, stock: 10 }],
    }),
  );
  return path;
}

describe('a run that checked nothing never passes afterwards either (spawned CLI)', () => {
  let silent: Server;
  const sockets = new Set<Socket>();
  let silentUrl: string;
  let noTemplates: StandIn;
  beforeAll(async () => {
    noTemplates = await startStandIn({});
    // accepts connections and never answers: every request times out (unknown)
    silent = createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    writeFileSync(join(cwd, 'base.json'), JSON.stringify(makeReport()));
  });
  afterAll(async () => {
    await noTemplates.close();
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
    rmSync(cwd, { recursive: true, force: true });
  });

  it('every request timed out: the run is 97, and so is verify --report of it', async () => {
    const run = await cli(['run', scenario(silentUrl), '--quiet', '--out', 'timeouts']);
    expect(run.code, run.stderr).toBe(97);
    const r = report('timeouts');
    expect(r.outcomes.unknown).toBeGreaterThan(0);
    expect(r.harness.reasons.join()).toMatch(/zero requests checked: no request got an HTTP answer/);
    const v = await cli(['verify', '--report', join(cwd, 'timeouts', 'report.json')]);
    expect(v.code, v.stdout).toBe(97);
    expect(v.stdout).toMatch(/^NOTHING CHECKED {2}harness invalid \(zero requests checked: no request got an HTTP answer\) — /m);
    expect(v.stdout).not.toMatch(/^PASS/m);
  });

  it('compare against a run that reached nothing is 97, not "0.000 ms ✓ ok"', async () => {
    const run = await cli(['run', scenario('http://127.0.0.1:1'), '--quiet', '--out', 'unreachable']);
    expect(run.code).toBe(97);
    const junit = join(cwd, 'compare.xml');
    const c = await cli(['compare', join(cwd, 'base.json'), join(cwd, 'unreachable', 'report.json'), '--max-regression', 'p95=10%', '--junit', junit]);
    expect(c.code, c.stdout).toBe(97);
    expect(c.stdout).toMatch(/│ p95 .*– not comparable/);
    expect(c.stdout).not.toMatch(/✓ ok/);
    expect(c.stdout).toMatch(/✗ nothing to compare \(exit 97\): new run: target unreachable: http:\/\/127\.0\.0\.1:1/);
    expect(readFileSync(junit, 'utf8')).toMatch(/<testcase [^>]*name="runs comparable"[^>]*>\s*<failure/);
    // either side: the baseline may be the run that checked nothing
    const swapped = await cli(['compare', join(cwd, 'unreachable', 'report.json'), join(cwd, 'base.json')]);
    expect(swapped.code).toBe(97);
    expect(swapped.stdout).toContain('base run: target unreachable');
  });

  it('every answer 404 (the template was never created, no --setup): 97 with the hint, in run and verify', async () => {
    const run = await cli(['run', scenario(noTemplates.url), '--ledger', 'full', '--out', 'all-404']);
    expect(run.code, run.stderr).toBe(97);
    expect(run.stdout).toMatch(/│ not_found\s+│\s+\d+ │ 100\.0% │/);
    expect(run.stdout).toMatch(/harness invalid: zero requests checked: every answer was not_found \(404 COUPON_TEMPLATE_NOT_FOUND\): was the template created \(--setup\)\?/);
    const reportPath = join(cwd, 'all-404', 'report.json');
    const v = await cli(['verify', '--report', reportPath]);
    expect(v.code, v.stdout).toBe(97);
    expect(v.stdout).toMatch(/^NOTHING CHECKED {2}harness invalid \(zero requests checked: every answer was not_found .*--setup\)\?\) — /m);
    // the full ledger alone says the same
    const ledger = await cli(['verify', '--ledger', join(cwd, 'all-404', 'ledger.ndjson'), '--template', '1:10']);
    expect(ledger.code, ledger.stdout).toBe(97);
    expect(ledger.stdout).toMatch(/^NOTHING CHECKED {2}zero requests checked: every answer was not_found/m);
    // and so does a report written before runs were judged this way (harness marked valid)
    const old = report('all-404');
    old.harness = { ...old.harness, valid: true, reasons: [] };
    writeFileSync(reportPath, JSON.stringify(old));
    const oldV = await cli(['verify', '--report', reportPath]);
    expect(oldV.code).toBe(97);
    expect(oldV.stdout).toMatch(/was the template created \(--setup\)\?/);
  });
});
