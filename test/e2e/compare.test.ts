import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeReport } from '../unit/report-fixture.js';

const BIN = resolve('bin/coupon-bench.js');

function cli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('coupon-bench compare (spawned CLI)', () => {
  let dir: string;
  let base: string;
  let same: string;
  let slower: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cb-compare-'));
    base = join(dir, 'base.json');
    same = join(dir, 'same.json');
    slower = join(dir, 'slower.json');
    writeFileSync(base, JSON.stringify(makeReport()));
    writeFileSync(same, JSON.stringify(makeReport()));
    writeFileSync(slower, JSON.stringify(makeReport({ latencyFactor: 1.2 })));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('passes an identical run: exit 0', () => {
    const r = cli(['compare', base, same, '--max-regression', '10%']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/│ p95 .*│ +0\.0% │ +10% │ ✓ ok/);
    expect(r.stdout).toContain('no gated metric regressed');
  });

  it('flags a 20% p95 regression: exit 99, and writes JUnit with the failing case', () => {
    const junit = join(dir, 'compare.xml');
    const r = cli(['compare', base, slower, '--max-regression', 'p95=10%,rate=10%', '--junit', junit]);
    expect(r.code).toBe(99);
    expect(r.stdout).toMatch(/│ p95 .*│ +\+(19|20|21)\.\d% │ +10% │ ✗ REGRESSED/);
    expect(r.stdout).toContain('regressed beyond the limit: p95');
    expect(r.stdout).not.toMatch(/\x1b\[/); // eslint-disable-line no-control-regex
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toMatch(/<testsuites name="coupon-bench" tests="2" failures="1"/);
    expect(xml).toContain('<failure message="p95 regressed');
  });

  it('--html writes a page overlaying both runs (same exit code), and --no-color after the command is accepted', () => {
    const page = join(dir, 'pages', 'compare.html');
    const r = cli(['compare', base, slower, '--max-regression', 'p95=10%', '--html', page, '--no-color']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(99);
    const html = readFileSync(page, 'utf8');
    for (const chart of ['compare-spectrum', 'compare-p95', 'compare-throughput']) {
      expect(html).toMatch(new RegExp(`data-chart="${chart}"[\\s\\S]*?data-run="base"[\\s\\S]*?data-run="next"`));
    }
    expect(html).toContain('<span class="status-word">REGRESSED</span>');
    expect(html).toContain('table class="data outcomes-compare"');
    const refused = cli(['compare', base, slower, '--html', join(base, 'x.html')]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^coupon-bench: --html [^\n]* \[E_\w+\]\n$/);
  });

  it('--min-latency-delta lifts the noise floor: the same regression passes when it is below it', () => {
    const json = JSON.parse(cli(['compare', base, slower, '--json']).stdout) as { metrics: Array<{ metric: string; base: number; next: number }> };
    const worst = Math.max(...json.metrics.filter((m) => /^p\d/.test(m.metric)).map((m) => m.next - m.base));
    const r = cli(['compare', base, slower, '--max-regression', '10%', '--min-latency-delta', `${(worst * 1.01).toFixed(6)}ms`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('no gated metric regressed');
    const bad = cli(['compare', base, slower, '--min-latency-delta', 'soon']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--min-latency-delta: "soon" is not a number of milliseconds');
  });

  it('prints JSON with --json', () => {
    const r = cli(['compare', base, slower, '--max-regression', '10%', '--json']);
    expect(r.code).toBe(99);
    const json = JSON.parse(r.stdout) as { ok: boolean; regressions: string[]; metrics: Array<{ metric: string; change: number }> };
    expect(json.ok).toBe(false);
    expect(json.regressions).toContain('p95');
    expect(json.metrics.find((m) => m.metric === 'p95')!.change).toBeGreaterThan(0.15);
  });

  it('exits 1 on a bad gate or a file that is not a report', () => {
    const bad = cli(['compare', base, same, '--max-regression', 'p96=5%']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('unknown metric "p96"');
    const notReport = join(dir, 'x.json');
    writeFileSync(notReport, '{"hello":1}');
    const r = cli(['compare', base, notReport]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('is not a coupon-bench report');
  });
});
