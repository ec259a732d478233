import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunReport } from '../../src/model/report.js';
import type { VerdictJson } from '../../src/model/verdict.js';
import { REDIS_URL } from '../helpers/env.js';
import { runCli } from '../helpers/cli.js';
import type { RunningFixture } from '../fixtures/foreign/claims-service.js';

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
