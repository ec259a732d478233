import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
    expect(report.stores).toEqual({ redis: REDIS_URL, db, prefix });
    const byName = new Map(report.verdict?.invariants.map((i) => [i.name, i.status]));
    // with the stores known, the store invariants are judged, not skipped
    for (const name of ['redis-db-match', 'outbox-drained', 'no-lost-ack', 'seq-contiguous'] as const) expect(byName.get(name)).toBe('PASS');
    const junit = readFileSync(join(cwd, 'ext', 'run.xml'), 'utf8');
    expect(junit).toMatch(/<testcase[^>]*name="redis-db-match"/);
    expect(junit).not.toMatch(/<failure/);
  });

  it('without the stores, the store invariants are SKIP with a reason, never PASS', async () => {
    const r = await cli(['run', 'seed-k6', '--target', serve.url, '--verify', '--duration', '1s', '--vus', '5', '--out', 'ledger-only', '--json'], cwd);
    const report = JSON.parse(r.stdout) as RunReport;
    const inv = report.verdict?.invariants.find((i) => i.name === 'redis-db-match');
    expect(inv?.status).toBe('SKIP');
    expect(inv?.detail.length).toBeGreaterThan(0);
  });
});
