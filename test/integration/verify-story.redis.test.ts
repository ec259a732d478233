import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run/run-scenario.js';
import { verify } from '../../src/verify/verify.js';
import { expectSeedHeadline } from '../helpers/seed-headline.js';
import { readLedger } from '../../src/load/ledger-reader.js';

const dir = mkdtempSync(join(tmpdir(), 'verify-story-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The origin's story: their k6 test (100 VUs, sleep 0.1 s, users 1-100, stock 10) only checked
 * "status is 200 or 400". The same scenario against `serve`, with the audit, proves what they
 * believed and splits the 400s they could not tell apart. Shortened from 10 s to 4 s.
 */
describe("the origin's story: seed-k6 against serve, then verify", () => {
  it('exactly 10 issued to 10 distinct users, no duplicates, DB == Redis, 400s split into sold out and duplicate', async () => {
    // A patient Redis timeout: this checks correctness, and a loaded machine must not turn a slow reply into a 503.
    const res = await runScenario({
      scenarioPath: 'scenarios/seed-k6.json',
      serve: true,
      serveOptions: { redisTimeoutMs: 2000 },
      verify: true,
      outDir: join(dir, 'run'),
      overrides: { duration: '4s' },
    });
    const v = res.report.verdict!;
    expect(v, 'run --verify records a verdict').toBeDefined();
    const row = (name: string) => v.invariants.find((i) => i.name === name)!;
    expect(v.invariants.filter((i) => i.status !== 'PASS').map((i) => `${i.name}: ${i.detail}`)).toEqual([]);
    expect(v.exitCode).toBe(0);
    expect(res.exitCode).toBe(0);

    const o = res.report.outcomes;
    // --verify keeps the full ledger: on failure, say why requests ended unknown
    const reasons: Record<string, number> = {};
    for await (const rec of readLedger(res.ledgerPath)) if (rec.o === 'unknown') reasons[rec.err ?? '?'] = (reasons[rec.err ?? '?'] ?? 0) + 1;
    expect(o.unknown, `unknown answers by reason: ${JSON.stringify(reasons)}`).toBe(0);
    expectSeedHeadline(v.headline, o);
    // 100 random users hammering for seconds: the ten winners come back and are told "duplicate".
    expect(o.duplicate).toBeGreaterThan(0);
    expect(o.sold_out).toBeGreaterThan(0);
    expect(o.issued).toBe(10);

    expect(row('no-over-issue').counts).toMatchObject({ stock: 10, redisIssued: 10, dbRows: 10, ledgerIssued: 10 });
    expect(row('no-duplicate-user').counts).toMatchObject({ dbDuplicateRows: 0, ledgerExtra200: 0, redisOverwritten: 0 });
    expect(row('redis-db-match').counts).toMatchObject({ redisHolders: 10, dbHolders: 10, onlyRedis: 0, onlyDb: 0, seqMismatch: 0 });
    expect(row('sold-out-exact').counts).toMatchObject({ stock: 10, issued: 10 });

    // Afterwards the run's private Redis is gone: verifying the report again still judges the
    // ledger against the run's SQLite file and says why the Redis rows are skipped.
    const again = await verify({ reportPath: res.reportPath });
    expect(again.invariants.find((i) => i.name === 'redis-db-match')!.status).toBe('SKIP');
    expect(again.invariants.find((i) => i.name === 'no-lost-ack')!.status).toBe('PASS');
    expect(again.invariants.find((i) => i.name === 'no-lied-refusal')!.status).toBe('PASS');
    expect(again.exitCode).toBe(0);
  });
});
