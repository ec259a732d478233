import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/model/report.js';
import { REDIS_URL, deletePrefix, uniquePrefix } from '../helpers/env.js';
import { runCli } from '../helpers/cli.js';
import { spawnServe, type Spawned } from './serve-harness.js';

const cli = (args: string[], cwd: string) => runCli(args, { cwd });

describe('run --setup --verify against an external serve, stores given by flags (spawned CLI)', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'cb-run-ext-'));
  const prefix = uniquePrefix('runext');
  const db = `sqlite:${join(cwd, 'coupons.sqlite')}`;
  let serve: Spawned;

  beforeAll(async () => {
    serve = await spawnServe(['--port', '0', '--redis', REDIS_URL, '--db', db, '--prefix', prefix], cwd);
  });
  afterAll(async () => {
    serve.child.kill('SIGTERM');
    await serve.exited;
    await deletePrefix(REDIS_URL, prefix);
    rmSync(cwd, { recursive: true, force: true });
  });

  it('audits Redis, the database and the ledger in one command, records the stores and writes JUnit', async () => {
    const args = ['run', 'seed-k6', '--target', serve.url, '--setup', '--verify', '--duration', '2s', '--vus', '20', '--seed', '3'];
    const r = await cli([...args, '--redis', REDIS_URL, '--db', db, '--prefix', prefix, '--out', 'ext', '--junit', 'ext/run.xml'], cwd);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/exactly 10 issued to 10 distinct users/);
    const report = JSON.parse(readFileSync(join(cwd, 'ext', 'report.json'), 'utf8')) as RunReport;
    expect(report.stores).toEqual({ redis: REDIS_URL, db, prefix, source: 'flags' });
    const byName = new Map(report.verdict?.invariants.map((i) => [i.name, i.status]));
    // with the stores known, the store invariants are judged, not skipped
    for (const name of ['redis-db-match', 'outbox-drained', 'no-lost-ack', 'seq-contiguous'] as const) expect(byName.get(name)).toBe('PASS');
    const junit = readFileSync(join(cwd, 'ext', 'run.xml'), 'utf8');
    expect(junit).toMatch(/<testcase[^>]*name="redis-db-match"/);
    expect(junit).not.toMatch(/<failure/);
  });

  it('a named store that does not answer is exit 97 (not a pass with SKIPs), in run --verify and in verify alike', async () => {
    const gone = 'redis://127.0.0.1:1';
    // Each run sets up a template of its own: --setup refuses one an earlier run has issued from.
    const seed = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'scenarios', 'seed-k6.json'), 'utf8')) as Record<string, unknown>;
    const scenarioFor = (id: number): string => {
      const file = join(cwd, `gone-${id}.json`);
      writeFileSync(file, JSON.stringify({ ...seed, $schema: undefined, name: `gone-${id}`, templates: [{ id, stock: 10 }] }));
      return file;
    };
    const base = (id: number): string[] => ['run', scenarioFor(id), '--target', serve.url, '--setup', '--verify', '--duration', '1s', '--vus', '5', '--prefix', prefix];
    const r = await cli([...base(3), '--redis', gone, '--db', db, '--out', 'redis-gone'], cwd);
    expect(r.code, r.stderr).toBe(97);
    expect(r.stdout).toMatch(/NOTHING CHECKED {2}not audited: verify: Redis redis:\/\/127\.0\.0\.1:1 unreachable \(connect ECONNREFUSED/);
    expect(r.stdout).not.toMatch(/^PASS/m);
    const report = JSON.parse(readFileSync(join(cwd, 'redis-gone', 'report.json'), 'utf8')) as RunReport;
    expect(report.exitCode).toBe(97);
    expect(report.verdict?.exitCode).toBe(97);
    expect(report.stores?.source).toBe('flags');
    // the report remembers that the user named these stores: auditing it later must read them too
    const later = await cli(['verify', '--report', join(cwd, 'redis-gone', 'report.json')], cwd);
    expect(later.code).toBe(97);
    expect(later.stderr).toMatch(/Redis redis:\/\/127\.0\.0\.1:1 unreachable.*\[E_REDIS_UNREACHABLE\]/);
    const ledgerOnly = await cli(['verify', '--ledger', join(cwd, 'redis-gone', 'ledger.ndjson'), '--template', '3:10', '--redis', gone], cwd);
    expect(ledgerOnly.code).toBe(97);

    const dbGone = await cli([...base(4), '--redis', REDIS_URL, '--db', 'postgres://postgres@127.0.0.1:1/test', '--out', 'db-gone'], cwd);
    expect(dbGone.code, dbGone.stderr).toBe(97);
    expect(dbGone.stdout).toMatch(/not audited: verify: database postgres:\/\/postgres@127\.0\.0\.1:1\/test unreachable.*\[E_DB_UNREACHABLE\]/);
    const dbLater = await cli(['verify', '--report', join(cwd, 'db-gone', 'report.json')], cwd);
    expect(dbLater.code).toBe(97);
    expect(dbLater.stderr).toContain('[E_DB_UNREACHABLE]');
  });

  it('a template of stock 0: run --stock 0 and verify agree (0 issued, every answer sold out)', async () => {
    const scenario = join(cwd, 'stock0.json');
    const seed = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'scenarios', 'seed-k6.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(scenario, JSON.stringify({ ...seed, $schema: undefined, name: 'stock0', templates: [{ id: 2, stock: 5 }] }));
    const stores = ['--redis', REDIS_URL, '--db', db, '--prefix', prefix];
    const run = await cli(['run', scenario, '--target', serve.url, '--setup', '--stock', '0', '--duration', '1s', '--vus', '5', ...stores, '--out', 'stock0', '--ledger', 'acked'], cwd);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(cwd, 'stock0', 'report.json'), 'utf8')) as RunReport;
    expect(report.outcomes.issued).toBe(0);
    expect(report.outcomes.sold_out).toBeGreaterThan(0);
    const byReport = await cli(['verify', '--report', join(cwd, 'stock0', 'report.json')], cwd);
    expect(byReport.code, byReport.stdout).toBe(0);
    expect(byReport.stdout).toMatch(/^PASS \(2 of 10 not checked, [^)]*not exercised[^)]*\) {2}exactly 0 issued.*; 2 of 10 not checked: no-phantom, no-lied-refusal;/m);
    // Nothing was issued: what would show a lost or phantom coupon never happened, and the verdict says so.
    expect(byReport.stdout).toContain('no-lost-ack: PASS, not exercised (no coupon was acknowledged)');
    const byFlags = await cli(['verify', '--ledger', join(cwd, 'stock0', 'ledger.ndjson'), '--template', '2:0', ...stores], cwd);
    expect(byFlags.code, byFlags.stdout).toBe(97); // acked ledger: no record, refusals only in the report
    expect(byFlags.stdout).toContain("pass the run's --report");
    const verified = await cli(['run', scenario, '--target', serve.url, '--setup', '--stock', '0', '--duration', '1s', '--vus', '5', '--verify', ...stores, '--out', 'stock0-verify'], cwd);
    expect(verified.code, verified.stdout).toBe(0);
    const full = await cli(['verify', '--ledger', join(cwd, 'stock0-verify', 'ledger.ndjson'), '--template', '2:0', ...stores], cwd);
    expect(full.code, full.stdout).toBe(0);
    expect(full.stdout).toMatch(/sold-out-exact\s+│\s+PASS/);
  });

  it('without the stores, the store invariants are SKIP with a reason, never PASS', async () => {
    const r = await cli(['run', 'seed-k6', '--target', serve.url, '--verify', '--duration', '1s', '--vus', '5', '--out', 'ledger-only', '--json'], cwd);
    const report = JSON.parse(r.stdout) as RunReport;
    const inv = report.verdict?.invariants.find((i) => i.name === 'redis-db-match');
    expect(inv?.status).toBe('SKIP');
    expect(inv?.detail.length).toBeGreaterThan(0);
  });
});
