import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/model/report.js';
import { PG_URL, REDIS_URL, uniquePrefix } from '../helpers/env.js';
import { runCli } from '../helpers/cli.js';
import { startClaimsService, type RunningFixture } from '../fixtures/foreign/claims-service.js';
import type { Variant } from '../fixtures/foreign/variants.js';
import { auditedRun, dialectFile } from './foreign-harness.js';

const TOKEN = `tok-${randomUUID()}`;

describe('run --dialect against a foreign service (claims fixture, PostgreSQL, spawned CLI)', () => {
  let fx: RunningFixture | undefined;
  const start = async (variant: Variant): Promise<RunningFixture> => {
    const table = `claims_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    fx = await startClaimsService({ variant, redisUrl: REDIS_URL, pgUrl: PG_URL, prefix: uniquePrefix('dialect'), table, token: TOKEN });
    return fx;
  };
  afterEach(async () => {
    await fx?.stop();
    fx = undefined;
  });

  it('a missing {env.NAME} is a usage error before the load: nothing sent, no run folder', async () => {
    const f = await start('correct');
    const cwd = mkdtempSync(join(tmpdir(), 'cb-dialect-env-'));
    const env = { ...process.env };
    delete env.SHOP_TOKEN;
    const r = await runCli(['run', 'burst', '--dialect', dialectFile('claims'), '--target', f.url, '--out', 'run'], { cwd, env });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      'coupon-bench: request.headers.Authorization: {env.SHOP_TOKEN} names the environment variable SHOP_TOKEN, which is not set [E_DIALECT_ENV]',
    );
    expect(existsSync(join(cwd, 'run'))).toBe(false);
  });

  it('answers no rule matches (a wrong token: every answer 401): harness-invalid, 97, with the samples shown and recorded', async () => {
    const f = await start('correct');
    await f.seed(1, 10);
    const cwd = mkdtempSync(join(tmpdir(), 'cb-dialect-401-'));
    const r = await runCli(['run', 'burst', '--vus', '20', '--dialect', dialectFile('claims'), '--target', f.url, '--out', 'run'], {
      cwd,
      env: { ...process.env, SHOP_TOKEN: 'wrong' },
    });
    expect(r.code, r.stderr).toBe(97);
    expect(r.stdout).toMatch(/unmatched: 20 answer\(s\) matched no rule of "answers"/);
    expect(r.stdout).toContain('401 "{\\"error\\":{\\"code\\":\\"UNAUTHENTICATED\\"}}"');
    expect(r.stdout).toMatch(/harness invalid.*zero requests checked: no answer came from issuance \(20 rejected\).*20 answer\(s\) matched no rule of "answers" \(e\.g\. 401/);
    const report = JSON.parse(readFileSync(join(cwd, 'run', 'report.json'), 'utf8')) as RunReport;
    expect(report.unmatched?.count).toBe(20);
    expect(report.unmatched?.samples).toHaveLength(5);
    expect(report.unmatched?.samples[0]).toEqual({ status: 401, body: '{"error":{"code":"UNAUTHENTICATED"}}' });
    // the report keeps the placeholder, never the token
    expect(JSON.stringify(report.scenario)).toContain('Bearer {env.SHOP_TOKEN}');
  });

  it('seed-k6 against a service without a duplicate check: FAIL or "not exercised", never a bare PASS (5 runs, the ledger audited)', async () => {
    const f = await start('no-duplicate-check');
    for (let i = 0; i < 5; i++) {
      const r = await auditedRun(f, {
        scenario: 'seed-k6',
        dialect: dialectFile('claims'),
        stock: 10,
        env: { SHOP_TOKEN: TOKEN },
        extra: ['--duration', '2s'],
      });
      const dup = r.verdict.invariants.find((inv) => inv.name === 'no-duplicate-user') as { status: string; exercised?: boolean } | undefined;
      expect(dup).toBeDefined();
      const honest = dup?.status === 'FAIL' || (dup?.status === 'PASS' && dup.exercised === false && r.verdict.headline.includes('not exercised'));
      expect(honest, `run ${i + 1}: no-duplicate-user ${JSON.stringify(dup)}; ${r.verdict.headline}`).toBe(true);
    }
  }, 120_000);
});
