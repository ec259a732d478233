import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { PG_URL, REDIS_URL, uniquePrefix } from '../helpers/env.js';
import { startClaimsService, type RunningFixture } from '../fixtures/foreign/claims-service.js';
import { EXPECTED_FAILURE, type Variant } from '../fixtures/foreign/variants.js';
import { auditedRun, dialectFile, failedInvariants, statuses } from './foreign-harness.js';

// A REST-style service in another dialect (campaign in the path, member in a header, bearer token,
// 201/409/410, nested claim id) on Redis (remaining counter + holder SET) and PostgreSQL.
const TOKEN = `tok-${randomUUID()}`;
const ENV = { SHOP_TOKEN: TOKEN };
const RUNS = 5;
const STOCK = 20;

describe('adversarial against a foreign claims service (PostgreSQL, spawned CLI)', () => {
  let fx: RunningFixture | undefined;
  const start = async (variant: Variant): Promise<RunningFixture> => {
    const table = `claims_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    fx = await startClaimsService({ variant, redisUrl: REDIS_URL, pgUrl: PG_URL, prefix: uniquePrefix('claims'), table, token: TOKEN });
    return fx;
  };
  afterEach(async () => {
    await fx?.stop();
    fx = undefined;
  });

  it(`the correct service passes with --strict in ${RUNS} of ${RUNS} runs, every answer matched`, async () => {
    const f = await start('correct');
    for (let i = 0; i < RUNS; i++) {
      const r = await auditedRun(f, { scenario: 'adversarial', dialect: dialectFile('claims'), stock: STOCK, db: PG_URL, env: ENV, strict: true });
      expect(r.code, `run ${i + 1}: ${r.verdict.headline} ${statuses(r.verdict)}`).toBe(0);
      expect(r.report.outcomes.issued).toBe(STOCK);
      expect(r.report.outcomes.duplicate).toBeGreaterThan(0);
      expect(r.report.outcomes.sold_out).toBeGreaterThan(0);
      expect(r.report.unmatched?.count).toBe(0);
      expect(failedInvariants(r.verdict)).toEqual([]);
      // with the service's Redis read, the store invariants are judged, not skipped
      for (const name of ['no-lost-ack', 'redis-db-match', 'no-phantom', 'sold-out-exact']) expect(r.verdict.invariants.find((inv) => inv.name === name)?.status).toBe('PASS');
    }
  }, 120_000);

  for (const variant of Object.keys(EXPECTED_FAILURE) as Array<keyof typeof EXPECTED_FAILURE>) {
    it(`${variant}: FAIL ${EXPECTED_FAILURE[variant]} in ${RUNS} of ${RUNS} runs`, async () => {
      const f = await start(variant);
      for (let i = 0; i < RUNS; i++) {
        const r = await auditedRun(f, { scenario: 'adversarial', dialect: dialectFile('claims'), stock: STOCK, db: PG_URL, env: ENV });
        expect(r.code, `run ${i + 1}: ${r.verdict.headline} ${statuses(r.verdict)}`).toBe(100);
        expect(failedInvariants(r.verdict)).toContain(EXPECTED_FAILURE[variant]);
      }
    }, 120_000);
  }
});
