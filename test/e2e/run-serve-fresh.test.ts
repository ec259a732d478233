import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/model/report.js';
import { runCli } from '../helpers/cli.js';

const cli = (args: string[], cwd: string) => runCli(args, { cwd });

describe('run --serve starts from fresh stores of its own (spawned CLI)', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'cb-run-serve-fresh-'));
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it('a run folder given again: the earlier run\'s SQLite database is replaced, and verify passes the new run', async () => {
    const run = ['run', 'seed-k6', '--serve', '--duration', '1s', '--vus', '10', '--quiet', '--out', 'again'];
    const first = await cli([...run, '--seed', '1'], cwd);
    expect(first.code, first.stderr).toBe(0);
    expect(existsSync(join(cwd, 'again', 'coupons.sqlite'))).toBe(true);
    const second = await cli([...run, '--seed', '2'], cwd);
    expect(second.code, second.stderr).toBe(0);
    // The follow-up audit of the second run sees its ten coupons only.
    const v = await cli(['verify', '--report', join('again', 'report.json'), '--json'], cwd);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    const verdict = JSON.parse(v.stdout) as { invariants: Array<{ name: string; status: string; counts: Record<string, number> }> };
    const row = (name: string) => verdict.invariants.find((i) => i.name === name)!;
    expect(row('no-lost-ack').status).toBe('PASS');
    expect(row('unknown-bounded').status).toBe('PASS');
    expect(row('no-over-issue').counts).toMatchObject({ dbRows: 10 });
    const report = JSON.parse(readFileSync(join(cwd, 'again', 'report.json'), 'utf8')) as RunReport;
    expect(report.stores).toMatchObject({ db: `sqlite:${join(cwd, 'again', 'coupons.sqlite')}`, source: 'serve' });
  });

  it('a coupons.sqlite no served run wrote is refused (exit 1, one line) and left alone', async () => {
    for (const report of [undefined, { tool: { name: 'coupon-bench' }, stores: { db: 'sqlite:/elsewhere/coupons.sqlite' } }]) {
      const dir = join(cwd, report ? 'external-run' : 'not-a-run');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'coupons.sqlite'), 'someone else\'s data');
      if (report) writeFileSync(join(dir, 'report.json'), JSON.stringify(report));
      const r = await cli(['run', 'seed-k6', '--serve', '--duration', '1s', '--quiet', '--out', dir], cwd);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/already holds coupons\.sqlite.*choose another --out.*\[E_OUT_NOT_FRESH\]$/)]);
      expect(readFileSync(join(dir, 'coupons.sqlite'), 'utf8')).toBe('someone else\'s data');
    }
  });
});
