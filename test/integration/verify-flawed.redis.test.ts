import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verify } from '../../src/verify/verify.js';
import { formatVerdict } from '../../src/verify/verdict-table.js';
import type { VerdictJson } from '../../src/model/verdict.js';
import { startServer } from '../../src/server/start-server.js';
import { createTemplate } from '../../src/server/admin-client.js';
import { REDIS_URL, deletePrefix, uniquePrefix } from '../helpers/env.js';
import { driveLedgerLoad } from '../helpers/ledger-load.js';
import { FLAWS, correct } from '../fixtures/flawed/index.js';
import type { Flaw } from '../fixtures/flawed/flaw.js';
import { startFixtureServer } from '../fixtures/flawed/fixture-server.js';

// One load for every variant: demand (60 users) well above the stock, 16 requests in flight.
const STOCK = 20;
const LOAD = { users: 60, requests: 300, concurrency: 16 };

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function workDir(tag: string): string {
  const d = mkdtempSync(join(tmpdir(), `verify-${tag}-`));
  dirs.push(d);
  return d;
}

/** Start `target`, drive the load against it, stop taking requests, verify. */
async function loadAndVerify(
  tag: string,
  start: (dbUrl: string, prefix: string) => Promise<{ url: string; stop(): Promise<void> }>,
): Promise<VerdictJson> {
  const dir = workDir(tag);
  const prefix = uniquePrefix(`vf-${tag}`);
  const dbUrl = `sqlite:${join(dir, 'coupons.sqlite')}`;
  const ledgerPath = join(dir, 'ledger.ndjson');
  const target = await start(dbUrl, prefix);
  try {
    const counts = await driveLedgerLoad({ url: target.url, templateId: 1, ledgerPath, ...LOAD });
    expect(counts.issued + counts.sold_out + counts.duplicate + counts.unknown).toBe(LOAD.requests);
    // Judge while the persister still runs, so verify's drain wait has someone to wait for.
    return await verify({ ledgerPath, redisUrl: REDIS_URL, dbUrl, prefix, templateIds: [1], stocks: { 1: STOCK }, drainTimeoutMs: 5000 });
  } finally {
    await target.stop();
    await deletePrefix(REDIS_URL, prefix);
  }
}

const fixture = (flaw: Flaw) => (dbUrl: string, prefix: string) =>
  startFixtureServer(flaw, { redisUrl: REDIS_URL, dbUrl, prefix, templates: [{ id: 1, stock: STOCK }] });

const failing = (v: VerdictJson) => v.invariants.filter((i) => i.status === 'FAIL').map((i) => i.name);

describe('verify catches each flawed issuance variant under a real concurrent load', () => {
  for (const flaw of FLAWS) {
    it(`${flaw.name}: FAIL naming ${flaw.expected.join(' or ')}`, async () => {
      const v = await loadAndVerify(flaw.name, fixture(flaw));
      const failed = failing(v);
      // VERIFY_SHOW=1 prints each verdict: what a user would see for this bug.
      if (process.env.VERIFY_SHOW) console.log(`--- ${flaw.name}\n${formatVerdict(v, { color: false })}`);
      expect(v.exitCode, v.headline).toBe(100);
      expect(v.ok).toBe(false);
      expect(failed.some((n) => flaw.expected.includes(n)), `failed: ${failed.join(', ')}`).toBe(true);
      const named = v.invariants.find((i) => i.status === 'FAIL' && flaw.expected.includes(i.name))!;
      expect(named.examples.length).toBeGreaterThan(0);
      expect(v.headline).toContain('FAILED:');
    });
  }
});

describe('the correct implementations pass the same loads', () => {
  const expectPass = (v: VerdictJson): void => {
    expect(failing(v), v.headline).toEqual([]);
    expect(v.exitCode).toBe(0);
    // Everything is judgeable with a full ledger and both stores: nothing may hide behind SKIP.
    expect(v.invariants.filter((i) => i.status === 'SKIP').map((i) => i.name)).toEqual([]);
    // A load that happened not to exercise an invariant says so after the totals, never hides it.
    expect(v.headline).toMatch(/^exactly 20 issued to 20 distinct users; \d+ refused: \d+ sold out, \d+ duplicate; 0 unknown(; [a-z-]+: PASS, not exercised \([^)]*\))*$/);
    for (const i of v.invariants.filter((x) => x.exercised === false)) expect(v.headline).toContain(`${i.name}: PASS, not exercised`);
  };

  it('the reference fixture (issue-4.lua + a correct persister)', async () => {
    expectPass(await loadAndVerify('correct', fixture(correct)));
  });

  it('the real server (startServer)', async () => {
    const v = await loadAndVerify('serve', async (dbUrl, prefix) => {
      const s = await startServer({ host: '127.0.0.1', port: 0, redisUrl: REDIS_URL, dbUrl, prefix, persisterOptions: { mode: 'in-process' } });
      await createTemplate(s.url, 1, STOCK);
      return s;
    });
    expectPass(v);
  });
});
