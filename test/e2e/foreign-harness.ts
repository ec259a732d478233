import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunReport } from '../../src/model/report.js';
import type { VerdictJson } from '../../src/model/verdict.js';
import { runCli } from '../helpers/cli.js';
import type { RunningFixture } from '../fixtures/foreign/claims-service.js';

/** The dialect file of a foreign fixture service. */
export const dialectFile = (name: 'claims' | 'grants'): string => join(import.meta.dirname, '..', 'fixtures', 'foreign', `${name}.dialect.json`);

/** One audited run against a fixture: the run's report and the verdict `verify` gave. */
export interface AuditedRun {
  runCode: number | null;
  report: RunReport;
  verifyCode: number | null;
  verdict: VerdictJson;
  stdout: string;
}

/** How to read a fixture's stores for `verify` (the database through its own query). */
export interface ForeignStores {
  db: string;
  dbQuery: string;
}

/**
 * Seed a campaign of `stock`, load it with `scenario` through `dialect`, then audit the ledger and
 * the service's own table. Each call has its own run folder; nothing is left running.
 */
export async function auditedRun(
  fx: RunningFixture,
  o: { scenario: string; dialect: string; stock: number; stores: ForeignStores; env: NodeJS.ProcessEnv; strict?: boolean; extra?: string[] },
): Promise<AuditedRun> {
  const cwd = mkdtempSync(join(tmpdir(), 'cb-foreign-'));
  await fx.seed(1, o.stock);
  const env = { ...process.env, ...o.env };
  const run = await runCli(['run', o.scenario, '--dialect', o.dialect, '--target', fx.url, '--stock', String(o.stock), '--out', 'run', '--quiet', ...(o.extra ?? [])], { cwd, env, timeoutMs: 60_000 });
  const report = JSON.parse(readFileSync(join(cwd, 'run', 'report.json'), 'utf8')) as RunReport;
  const v = await runCli(
    ['verify', '--report', join(cwd, 'run', 'report.json'), '--db', o.stores.db, '--db-query', o.stores.dbQuery, '--json', ...(o.strict ? ['--strict'] : [])],
    { cwd, env, timeoutMs: 60_000 },
  );
  let verdict: VerdictJson;
  try {
    verdict = JSON.parse(v.stdout) as VerdictJson;
  } catch {
    throw new Error(`verify printed no verdict (exit ${String(v.code)}): ${v.stderr}`);
  }
  return { runCode: run.code, report, verifyCode: v.code, verdict, stdout: run.stdout + run.stderr };
}

/** The names of the invariants a verdict failed. */
export const failedInvariants = (v: VerdictJson): string[] => v.invariants.filter((i) => i.status === 'FAIL').map((i) => i.name);
