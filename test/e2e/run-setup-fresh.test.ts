import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/model/report.js';
import { REDIS_URL, deletePrefix, uniquePrefix } from '../helpers/env.js';
import { runCli } from '../helpers/cli.js';
import { testDb } from '../integration/store-test-db.js';
import { spawnServe, type Spawned } from './serve-harness.js';

const cli = (args: string[], cwd: string) => runCli(args, { cwd });
const load = ['--duration', '1s', '--vus', '5', '--verify', '--quiet'];

describe('--setup and --serve refuse a template that already has coupons (spawned CLI)', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'cb-run-setup-fresh-'));
  const prefix = uniquePrefix('setupfresh');
  const db = testDb('postgres');
  const servedDb = testDb('postgres');
  let serve: Spawned;

  beforeAll(async () => {
    serve = await spawnServe(['--port', '0', '--redis', REDIS_URL, '--db', db.url, '--prefix', prefix], cwd);
  });
  afterAll(async () => {
    serve.child.kill('SIGTERM');
    await serve.exited;
    await deletePrefix(REDIS_URL, prefix);
    await Promise.all([db.drop(), servedDb.drop()]);
    rmSync(cwd, { recursive: true, force: true });
  });

  it('a second --setup run against the same server and stores: exit 97 with one line, no load, no verdict', async () => {
    const run = ['run', 'seed-k6', '--target', serve.url, '--setup', ...load, '--redis', REDIS_URL, '--prefix', prefix, '--db', db.url];
    const first = await cli([...run, '--out', 'first'], cwd);
    expect(first.code, first.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(cwd, 'first', 'report.json'), 'utf8')) as RunReport;
    expect(report.outcomes.issued).toBe(10);

    const second = await cli([...run, '--out', 'second'], cwd);
    expect(second.code).toBe(97);
    expect(second.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/--setup: template 1 at http:\/\/127\.0\.0\.1:\d+ already has coupons \(10 issued in Redis, 10 in the database\).*another --prefix.*\[E_TEMPLATE_NOT_FRESH\]$/),
    ]);
    expect(existsSync(join(cwd, 'second', 'report.json'))).toBe(false);
  });

  it('--serve on a database that kept an earlier run\'s coupons (its private Redis is new): exit 97', async () => {
    const run = ['run', 'seed-k6', '--serve', ...load, '--db', servedDb.url];
    const first = await cli([...run, '--out', 'served-first'], cwd);
    expect(first.code, first.stderr).toBe(0);
    const second = await cli([...run, '--out', 'served-second'], cwd);
    expect(second.code).toBe(97);
    expect(second.stderr).toMatch(/--serve: template 1 at http:\/\/127\.0\.0\.1:\d+ already has coupons \(\d+ issued in Redis, 10 in the database\).*\[E_TEMPLATE_NOT_FRESH\]/);
    expect(existsSync(join(cwd, 'served-second', 'report.json'))).toBe(false);
  });
});
