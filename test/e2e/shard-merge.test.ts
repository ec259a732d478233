import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { newHistogram } from '../../src/shared/histogram.js';
import { OUTCOMES, type Outcome } from '../../src/model/outcome.js';
import type { RunReport } from '../../src/model/report.js';
import { startStandIn } from '../helpers/load-stand-in.js';
import { runCli } from '../helpers/cli.js';

const read = (p: string): RunReport => JSON.parse(readFileSync(p, 'utf8')) as RunReport;
const ledgerOf = (p: string): Array<{ o: Outcome; u: number; lat: number }> =>
  readFileSync(p, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { o: Outcome; u: number; lat: number });

describe('a load run split across generators (run --shard i/n) and merged', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'cb-shard-'));
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it('two shards as two processes: the merged report counts what a single run counts, p99 from the added histograms', async () => {
    const scenario = join(cwd, 'split.json');
    // 5 VUs and 201 iterations do not split evenly: shares 3+2 VUs, 101+100 iterations.
    writeFileSync(
      scenario,
      JSON.stringify({ name: 'split', executor: 'shared-iterations', vus: 5, iterations: 201, duration: '30s', users: { type: 'sequential', start: 1 }, templates: [{ id: 1, stock: 100 }], thresholds: { 'outcomes.issued': ['count==100'] } }),
    );
    const single = await startStandIn({ 1: 100 });
    const split = await startStandIn({ 1: 100 });
    try {
      const one = await runCli(['run', scenario, '--target', single.url, '--out', 'single', '--quiet'], { cwd });
      expect(one.code, one.stderr).toBe(0);
      const [a, b] = await Promise.all([
        runCli(['run', scenario, '--target', split.url, '--shard', '1/2', '--out', 's1', '--quiet'], { cwd }),
        runCli(['run', scenario, '--target', split.url, '--shard', '2/2', '--out', 's2', '--quiet'], { cwd }),
      ]);
      expect(a.code, a.stderr).toBe(0);
      expect(b.code, b.stderr).toBe(0);
      const s1 = read(join(cwd, 's1', 'report.json'));
      const s2 = read(join(cwd, 's2', 'report.json'));
      expect(s1.shard).toEqual({ index: 1, count: 2 });
      expect([s1.metrics.http_reqs.count, s2.metrics.http_reqs.count]).toEqual([101, 100]);
      expect([s1.metrics.vus.max, s2.metrics.vus.max]).toEqual([3, 2]);

      const merge = await runCli(['merge', join(cwd, 's1', 'report.json'), join(cwd, 's2', 'report.json'), '--out', 'merged'], { cwd });
      expect(merge.code, merge.stderr).toBe(0);
      const merged = read(join(cwd, 'merged', 'report.json'));
      const whole = read(join(cwd, 'single', 'report.json'));
      expect(merged.outcomes).toEqual(whole.outcomes);
      expect(merged.metrics.http_reqs.count).toBe(whole.metrics.http_reqs.count);
      expect(merged.ledger.records).toBe(whole.ledger.records);
      expect(merged.thresholds).toEqual([{ metric: 'outcomes.issued', expression: 'count==100', ok: true, actual: 100 }]);
      expect(merged.mergedFrom?.map((m) => m.shard)).toEqual([{ index: 1, count: 2 }, { index: 2, count: 2 }]);
      expect(merged.timeline.reduce((n, p) => n + OUTCOMES.reduce((m, o) => m + p.counts[o], 0), 0)).toBe(201);

      // The merged ledger is both shards' answers, no user twice, and its counts are the report's.
      const ledger = ledgerOf(join(cwd, 'merged', 'ledger.ndjson'));
      expect(ledger).toHaveLength(201);
      expect(new Set(ledger.map((r) => r.u)).size).toBe(201);
      for (const o of OUTCOMES) expect(ledger.filter((r) => r.o === o).length, o).toBe(merged.outcomes[o]);
      // p99 of the merged histogram = p99 of one histogram of every latency in both ledgers
      const h = newHistogram();
      for (const r of ledger) h.recordValue(Math.max(1, r.lat));
      const fromLedgers = h.getValueAtPercentile(99) / 1000;
      expect(Math.abs(merged.metrics.http_req_duration['p(99)'] - fromLedgers)).toBeLessThanOrEqual(fromLedgers * 0.01 + 0.002);
    } finally {
      await single.close();
      await split.close();
    }
  }, 3 * 60_000 + 10_000); // a run, two shard runs at once, a merge: each killed after 60 s

  it('refuses what cannot be one run: a shard given twice, a malformed --shard, --shard with --serve', async () => {
    const s1 = join(cwd, 's1', 'report.json');
    const twice = await runCli(['merge', s1, s1, '--out', 'twice'], { cwd });
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/shard 1\/2 is given twice/);
    const bad = await runCli(['run', 'seed-k6', '--shard', '3/2'], { cwd });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--shard.*i\/n with 1 <= i <= n/);
    const serve = await runCli(['run', 'seed-k6', '--serve', '--shard', '1/2'], { cwd });
    expect(serve.code).toBe(1);
    expect(serve.stderr).toMatch(/--shard splits the load on one target/);
    // A crafted report naming a ledger outside its folder: refused, nothing of that file copied.
    const crafted = join(cwd, 'crafted');
    mkdirSync(crafted);
    writeFileSync(join(cwd, 'outside.ndjson'), '{"secret":1}\n');
    const s2 = read(join(cwd, 's2', 'report.json'));
    writeFileSync(join(crafted, 'report.json'), JSON.stringify({ ...s2, ledger: { ...s2.ledger, file: '../outside.ndjson' } }));
    const escape = await runCli(['merge', s1, join(crafted, 'report.json'), '--out', 'escaped'], { cwd });
    expect(escape.code, escape.stderr).toBe(1);
    expect(escape.stderr).toMatch(/^coupon-bench: merge: the ledger of .*leads out of the folder.*\[E_LEDGER_PATH\]\n$/);
    expect(existsSync(join(cwd, 'escaped', 'ledger.ndjson'))).toBe(false);
  }, 5 * 60_000 + 10_000); // five CLI starts, each killed after 60 s
});
