import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { VerdictJson } from '../../src/model/verdict.js';
import { correct, FLAWS } from '../fixtures/flawed/index.js';
import { startFixtureServer } from '../fixtures/flawed/fixture-server.js';
import type { Flaw } from '../fixtures/flawed/flaw.js';
import { runCli } from '../helpers/cli.js';
import { REDIS_URL, deletePrefix, uniquePrefix } from '../helpers/env.js';

const cwd = mkdtempSync(join(tmpdir(), 'cb-seed-exercise-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

/** The bundled seed-k6 scenario (stock 10, 100 VUs) against `flaw`, then verify --strict --json. */
async function seedThenVerify(flaw: Flaw, tag: string): Promise<{ code: number | null; verdict: VerdictJson }> {
  const prefix = uniquePrefix(`seedx-${tag}`);
  const db = `sqlite:${join(cwd, `${tag}.sqlite`)}`;
  const server = await startFixtureServer(flaw, { redisUrl: REDIS_URL, dbUrl: db, prefix, templates: [{ id: 1, stock: 10 }] });
  try {
    const run = await runCli(['run', 'seed-k6', '--target', server.url, '--duration', '2s', '--out', tag, '--quiet'], { cwd });
    expect(run.code, run.stderr).toBe(0);
    const v = await runCli(['verify', '--report', join(cwd, tag, 'report.json'), '--redis', REDIS_URL, '--db', db, '--prefix', prefix, '--strict', '--json'], { cwd });
    return { code: v.code, verdict: JSON.parse(v.stdout) as VerdictJson };
  } finally {
    await server.stop();
    await deletePrefix(REDIS_URL, prefix);
  }
}

describe('seed-k6 never passes a missing duplicate check by luck (spawned CLI)', () => {
  const noDuplicateCheck = FLAWS.find((f) => f.name === 'no-duplicate-check')!;

  it('each run is FAIL, or PASS "not exercised" on no-duplicate-user; with --strict never exit 0', async () => {
    for (const round of [1, 2]) {
      const { code, verdict } = await seedThenVerify(noDuplicateCheck, `flawed-${round}`);
      const dup = verdict.invariants.find((i) => i.name === 'no-duplicate-user')!;
      if (dup.status === 'PASS') {
        expect(dup.exercised, verdict.headline).toBe(false);
        expect(verdict.headline).toContain('no-duplicate-user: PASS, not exercised (no user asked twice before sell-out)');
        expect(code).toBe(97);
      } else {
        expect(dup.status).toBe('FAIL');
        expect(code).toBe(100);
      }
    }
  }, 120_000);

  it('the correct server under the same load passes, exercised on what seed-k6 does exercise', async () => {
    const { verdict } = await seedThenVerify(correct, 'correct');
    expect(verdict.invariants.filter((i) => i.status === 'FAIL')).toEqual([]);
    // seed-k6 sells its 10 coupons in milliseconds: the other invariants had what they need.
    for (const name of ['no-over-issue', 'sold-out-exact', 'no-lost-ack', 'no-lied-refusal'] as const) {
      expect(verdict.invariants.find((i) => i.name === name)?.exercised, name).toBe(true);
    }
  }, 60_000);
});
