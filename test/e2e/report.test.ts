import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeReport } from '../unit/report-fixture.js';

const BIN = resolve('bin/coupon-bench.js');

function cli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('coupon-bench report (spawned CLI)', () => {
  let dir: string;
  let reportPath: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cb-report-'));
    reportPath = join(dir, 'report.json');
    writeFileSync(reportPath, JSON.stringify(makeReport({ verdict: 'fail' })));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes report.html next to report.json by default', () => {
    const r = cli(['report', reportPath, '--html']);
    expect(r.code).toBe(0);
    const html = join(dir, 'report.html');
    expect(r.stdout).toContain(`HTML report: ${html}`);
    const text = readFileSync(html, 'utf8');
    expect(text).toContain('<svg class="chart" data-chart="spectrum"');
    expect(text).toContain('no-duplicate-user');
  });

  it('writes the HTML where asked and invariants as JUnit XML', () => {
    const out = join(dir, 'custom', 'x.html');
    const junit = join(dir, 'junit.xml');
    const r = cli(['report', reportPath, '--html', out, '--junit', junit]);
    expect(r.code).toBe(0);
    expect(existsSync(join(dir, 'report.html'))).toBe(true);
    expect(readFileSync(out, 'utf8').startsWith('<!doctype html>')).toBe(true);
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toContain('<testcase name="no-duplicate-user" classname="coupon-bench.invariants"');
    expect(xml).toMatch(/failures="1"/);
  });

  it('exits 1 with a clear message for a missing file', () => {
    const r = cli(['report', join(dir, 'nope.json')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot read report');
  });
});
