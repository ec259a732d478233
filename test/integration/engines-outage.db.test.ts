// Database outage end to end: `serve` reaches PostgreSQL / MariaDB through a TCP proxy this test cuts
// mid-run and restores (the machine's shared database servers keep running). Load runs throughout;
// issuance goes on (Redis is the gate), /metrics shows the lag and the persister's failures, and once
// the database is back everything drains and the audit finds nothing lost.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run/run-scenario.js';
import type { RunResult } from '../../src/run/run-input.js';
import { LEDGER_FILE } from '../../src/model/ledger-record.js';
import type { Scenario } from '../../src/model/scenario.js';
import { templateKeys } from '../../src/redis/keys.js';
import { createTemplate } from '../../src/server/admin-client.js';
import { openStore } from '../../src/store/open-store.js';
import type { StoreEngine } from '../../src/store/store.js';
import { verify } from '../../src/verify/verify.js';
import { REDIS_URL } from '../helpers/env.js';
import { metricValue, startEngineHarness } from './engines-harness.js';
import { waitFor } from './persister-helpers.js';
import { startProxy, testDb } from './store-test-db.js';

describe.each<StoreEngine>(['postgres', 'mysql'])('serve on %s: database outage mid-run', (engine) => {
  const dir = mkdtempSync(join(tmpdir(), `cb-outage-${engine}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps issuing while the database is cut, reports lag and failures, then drains and verifies with nothing lost', async () => {
    const db = testDb(engine);
    const proxy = await startProxy(db.host, db.port);
    // Short backoff and polling so the outage and the recovery show within seconds.
    const h = await startEngineHarness(engine, { persisterOptions: { maxBackoffMs: 300, blockMs: 50, rescanMs: 100 } }, 'outage', {
      db,
      viaPort: proxy.port,
    });
    const check = await openStore(db.url); // direct connection, not through the proxy
    const abort = new AbortController();
    let run: Promise<RunResult> | undefined;
    let down = false;
    try {
      await createTemplate(h.server.url, 1, 1_000_000);
      const k = templateKeys(h.prefix, 1);
      const seq = async (): Promise<number> => Number((await h.redis.get(k.seq)) ?? 0);
      // A modest closed-model load with sequential users: every request is a new user, so all are
      // issued; it runs until this test aborts it (the duration is only an upper bound).
      const scenario: Scenario = {
        name: `db-outage-${engine}`,
        target: h.server.url,
        executor: 'constant-vus',
        vus: 8,
        duration: '45s',
        thinkTime: '20ms',
        users: { type: 'sequential' },
        templates: [{ id: 1, stock: 1_000_000 }],
      };
      const issuedAt: number[] = [];
      run = runScenario({ scenario, ledgerMode: 'full', outDir: join(dir, 'run'), responseEvents: true, signal: abort.signal }, (e) => {
        if (e.type === 'response' && e.sample.outcome === 'issued') issuedAt.push(e.sample.end);
      });
      run.catch(() => undefined); // awaited below; never an unhandled rejection meanwhile

      // Healthy first: coupons flow into the database through the proxy.
      await waitFor('rows persisted before the outage', async () => (await check.countIssued(1)) >= 20);
      expect(await metricValue(h, 'coupon_bench_persister_failures')).toBe(0);

      await proxy.cut();
      down = true;
      const cutAt = performance.now();
      const seqAtCut = await seq();
      await waitFor('persister failures in /metrics', async () => ((await metricValue(h, 'coupon_bench_persister_failures')) ?? 0) >= 1);
      const rowsDown = await check.countIssued(1);
      const lagA = (await metricValue(h, 'coupon_bench_outbox_lag')) ?? -1;
      await waitFor('issuance while the database is down', async () => (await seq()) >= seqAtCut + 150);
      const seqDown = await seq();
      const lagB = (await metricValue(h, 'coupon_bench_outbox_lag')) ?? -1;
      // Issued (200) answers arrived while the database was unreachable, and nothing reached it.
      expect(issuedAt.filter((t) => t > cutAt).length).toBeGreaterThanOrEqual(100);
      expect(await check.countIssued(1)).toBe(rowsDown);
      expect(lagA).toBeGreaterThan(0);
      expect(lagB).toBeGreaterThan(lagA);
      // XLEN counts every entry not yet committed (read after seqDown, so at least this many).
      expect(lagB).toBeGreaterThanOrEqual(seqDown - rowsDown);
      expect((await metricValue(h, 'coupon_bench_persister_failures')) ?? 0).toBeGreaterThanOrEqual(1);

      await proxy.restore();
      down = false;
      const restoredAt = performance.now();
      await waitFor('issuance after the database returns', () => issuedAt.filter((t) => t > restoredAt).length >= 50);
      await waitFor('rows persisted after the outage', async () => (await check.countIssued(1)) > seqDown);
      abort.abort();
      const res = await run;
      run = undefined;

      // Drained: no lag, no failures, the table holds exactly what Redis issued and the clients were told.
      await waitFor('outbox drained', async () => (await metricValue(h, 'coupon_bench_outbox_lag')) === 0, 30_000);
      await waitFor('persister healthy', async () => (await metricValue(h, 'coupon_bench_persister_failures')) === 0);
      const issued = await seq();
      expect(await check.countIssued(1)).toBe(issued);
      expect(res.report.outcomes.issued).toBe(issued);
      expect(res.report.outcomes.unknown).toBe(0);

      // This test ends the load itself (abort): the report says interrupted, so it is judged from its
      // ledger and the stores (as another team's run would be), which an early stop does not weaken.
      expect(res.report.interrupted).toEqual({ signal: 'abort', during: 'load' });
      const v = await verify({ ledgerPath: join(dirname(res.reportPath), LEDGER_FILE), stocks: { 1: 1_000_000 }, templateIds: [1], redisUrl: REDIS_URL, dbUrl: db.url, prefix: h.prefix });
      const status = (name: string) => v.invariants.find((i) => i.name === name)?.status;
      expect(v.invariants.filter((i) => i.status === 'FAIL').map((i) => `${i.name}: ${i.detail}`)).toEqual([]);
      expect(status('no-lost-ack')).toBe('PASS');
      expect(status('redis-db-match')).toBe('PASS');
      expect(status('outbox-drained')).toBe('PASS');
      expect(status('seq-contiguous')).toBe('PASS');
      expect(v.exitCode).toBe(0);
    } finally {
      abort.abort();
      await run?.catch(() => undefined);
      if (down) await proxy.restore(); // a failed assertion mid-outage must not leave stop() stuck on the DB
      await check.close();
      await h.close();
      await proxy.close();
    }
  }, 90_000);
});
