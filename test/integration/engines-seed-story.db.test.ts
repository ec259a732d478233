// The origin's story (seed-k6: 100 VUs, sleep 0.1 s, users 1-100, stock 10) against `serve` on every
// database engine, then the audit of Redis, that engine's table and the run's ledger.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run/run-scenario.js';
import type { StoreEngine } from '../../src/store/store.js';
import { verify } from '../../src/verify/verify.js';
import { REDIS_URL } from '../helpers/env.js';
import { ENGINES, startEngineHarness, type EngineHarness } from './engines-harness.js';
import { expectSeedHeadline } from '../helpers/seed-headline.js';

describe.each<StoreEngine>(ENGINES)('seed story on %s: seed-k6 against serve, then verify', (engine) => {
  let h: EngineHarness;
  const dir = mkdtempSync(join(tmpdir(), `cb-seed-${engine}-`));
  beforeAll(async () => {
    h = await startEngineHarness(engine, {}, 'seed');
  });
  afterAll(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('exactly 10 issued to 10 distinct users, no duplicates, DB == Redis, 400s split into sold out and duplicate', async () => {
    // Shortened from 10 s to 3 s; `setup` creates template 1 (stock 10) through the admin API.
    const res = await runScenario({
      scenarioPath: 'scenarios/seed-k6.json',
      setup: true,
      ledgerMode: 'full',
      outDir: join(dir, 'run'),
      overrides: { duration: '3s', target: h.server.url },
    });
    const o = res.report.outcomes;
    expect(o.issued).toBe(10);
    expect(o.unknown).toBe(0);
    // 100 random users hammering for seconds: the ten winners come back and are told "duplicate".
    expect(o.duplicate).toBeGreaterThan(0);
    expect(o.sold_out).toBeGreaterThan(0);

    const v = await verify({ reportPath: res.reportPath, redisUrl: REDIS_URL, dbUrl: h.db.url, prefix: h.prefix });
    const row = (name: string) => v.invariants.find((i) => i.name === name)!;
    // every invariant judged (none skipped for want of a store), and none failed
    expect(v.invariants.filter((i) => i.status !== 'PASS').map((i) => `${i.name}: ${i.status} ${i.detail}`)).toEqual([]);
    expect(v.exitCode).toBe(0);
    expect(v.sources?.db).toContain(engine === 'mysql' ? 'mysql://' : engine === 'postgres' ? 'postgres://' : 'sqlite:');

    expectSeedHeadline(v.headline, o);

    expect(row('no-over-issue').counts).toMatchObject({ stock: 10, redisIssued: 10, dbRows: 10, ledgerIssued: 10 });
    expect(row('no-duplicate-user').counts).toMatchObject({ dbDuplicateRows: 0, ledgerExtra200: 0, redisOverwritten: 0 });
    expect(row('redis-db-match').counts).toMatchObject({ redisHolders: 10, dbHolders: 10, onlyRedis: 0, onlyDb: 0, seqMismatch: 0 });
    expect(row('sold-out-exact').counts).toMatchObject({ stock: 10, issued: 10 });
  });
});
