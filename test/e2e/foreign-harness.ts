import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/model/report.js';
import type { VerdictJson } from '../../src/model/verdict.js';
import { REDIS_URL } from '../helpers/env.js';
import { runCli } from '../helpers/cli.js';
import type { RunningFixture } from '../fixtures/foreign/claims-service.js';
import { EXPECTED_FAILURE, type Variant } from '../fixtures/foreign/variants.js';

/** The dialect file of a foreign fixture service. */
export const dialectFile = (name: 'claims' | 'grants'): string => join(import.meta.dirname, '..', 'fixtures', 'foreign', `${name}.dialect.json`);

/** One audited run against a fixture: its exit code, report and verdict. */
export interface AuditedRun {
  code: number | null;
  report: RunReport;
  verdict: VerdictJson;
  output: string;
}

/**
 * Seed a campaign of `stock`, then one command loads it with `scenario` through `dialect` and
 * audits the ledger and, given `db`, the service's own stores (its table through --db-query, its
 * remaining counter and holder SET in Redis). Each call has its own run folder; nothing is left running.
 */
export async function auditedRun(
  fx: RunningFixture,
  o: { scenario: string; dialect: string; stock: number; db?: string; env: NodeJS.ProcessEnv; strict?: boolean; extra?: string[] },
): Promise<AuditedRun> {
  const cwd = mkdtempSync(join(tmpdir(), 'cb-foreign-'));
  await fx.seed(1, o.stock);
  // Without a database the audit reads the ledger alone.
  const stores = o.db === undefined ? [] : ['--redis', REDIS_URL, '--redis-remaining-key', fx.redisKeys.remaining, '--redis-users-key', fx.redisKeys.users, '--db', o.db, '--db-query', fx.dbQuery];
  const args = ['run', o.scenario, '--dialect', o.dialect, '--target', fx.url, '--stock', String(o.stock), '--verify', ...stores, '--out', 'run', ...(o.strict ? ['--strict'] : []), ...(o.extra ?? [])];
  const run = await runCli(args, { cwd, env: { ...process.env, ...o.env }, timeoutMs: 60_000 });
  let report: RunReport;
  try {
    report = JSON.parse(readFileSync(join(cwd, 'run', 'report.json'), 'utf8')) as RunReport;
  } catch {
    throw new Error(`run wrote no report (exit ${String(run.code)}): ${run.stderr}`);
  }
  if (!report.verdict) throw new Error(`run was not audited (exit ${String(run.code)}): ${report.harness.reasons.join('; ')} ${run.stderr}`);
  return { code: run.code, report, verdict: report.verdict, output: run.stdout + run.stderr };
}

/** The names of the invariants a verdict failed. */
export const failedInvariants = (v: VerdictJson): string[] => v.invariants.filter((i) => i.status === 'FAIL').map((i) => i.name);

/** "name:STATUS" of every invariant, for failure messages. */
export const statuses = (v: VerdictJson): string => v.invariants.map((i) => `${i.name}:${i.status}`).join(' ');

/** One foreign service of the acceptance suite: how to start a variant, its dialect and database. */
export interface AcceptanceSpec {
  title: string;
  dialect: 'claims' | 'grants';
  db: string;
  env: Record<string, string>;
  start: (variant: Variant) => Promise<RunningFixture>;
}

const RUNS = 5;
const STOCK = 20;

/**
 * `adversarial` against one foreign service: the correct variant passes --strict, and every flawed
 * variant fails its invariant, in each of RUNS runs (loaded and audited in one command each).
 */
export function describeAdversarialAcceptance(spec: AcceptanceSpec): void {
  describe(spec.title, () => {
    let fx: RunningFixture | undefined;
    const start = async (variant: Variant): Promise<RunningFixture> => (fx = await spec.start(variant));
    afterEach(async () => {
      await fx?.stop();
      fx = undefined;
    });
    const run = (f: RunningFixture, strict: boolean) =>
      auditedRun(f, { scenario: 'adversarial', dialect: dialectFile(spec.dialect), stock: STOCK, db: spec.db, env: spec.env, ...(strict ? { strict } : {}) });

    it(`the correct service passes with --strict in ${RUNS} of ${RUNS} runs, every answer matched`, async () => {
      const f = await start('correct');
      for (let i = 0; i < RUNS; i++) {
        const r = await run(f, true);
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
          const r = await run(f, false);
          expect(r.code, `run ${i + 1}: ${r.verdict.headline} ${statuses(r.verdict)}`).toBe(100);
          expect(failedInvariants(r.verdict)).toContain(EXPECTED_FAILURE[variant]);
        }
      }, 120_000);
    }
  });
}
