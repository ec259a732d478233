import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/model/report.js';
import { REDIS_URL, deletePrefix, uniquePrefix } from '../helpers/env.js';
import { runCli } from '../helpers/cli.js';
import { testDb } from '../integration/store-test-db.js';
import { spawnServe, type Spawned } from './serve-harness.js';

const cli = (args: string[], cwd: string) => runCli(args, { cwd });
const SEED = new URL('../../scenarios/seed-k6.json', import.meta.url);
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
    // the refusal leaves no empty run folder behind
    expect(existsSync(join(cwd, 'second'))).toBe(false);

    // re-running is one flag: another template id, same server and stores
    const again = await cli([...run, '--template-id', '2', '--out', 'again'], cwd);
    expect(again.code, again.stderr).toBe(0);
    const next = JSON.parse(readFileSync(join(cwd, 'again', 'report.json'), 'utf8')) as RunReport;
    expect(next.templates).toEqual([{ templateId: 2, stock: 10 }]);
    expect(next.outcomes.issued).toBe(10);
    expect(next.verdict?.ok).toBe(true);
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

  it('stores named for the audit without --setup: a used template is refused before the load (97), a fresh one runs and passes', async () => {
    const own = uniquePrefix('nosetupfresh');
    const sqlite = `sqlite:${join(cwd, 'nosetup.sqlite')}`;
    const server = await spawnServe(['--port', '0', '--redis', REDIS_URL, '--db', sqlite, '--prefix', own], cwd);
    try {
      const stores = ['--redis', REDIS_URL, '--prefix', own, '--db', sqlite];
      // The first run creates the template; the second names the same stores and no --setup.
      const first = await cli(['run', 'seed-k6', '--target', server.url, '--setup', ...load, ...stores, '--out', 'nosetup-first'], cwd);
      expect(first.code, first.stderr).toBe(0);
      const second = await cli(['run', 'seed-k6', '--target', server.url, ...load, ...stores, '--out', 'nosetup-second'], cwd);
      expect(second.code).toBe(97);
      expect(second.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(/template 1 under prefix "[^"]+" and in sqlite:\S+ already has coupons \(10 issued in Redis, 10 in the database\).*\[E_TEMPLATE_NOT_FRESH\]$/),
      ]);
      expect(existsSync(join(cwd, 'nosetup-second', 'report.json'))).toBe(false);

      // Template 2, created through the admin API and never issued from: the run goes on and passes.
      const created = await fetch(`${server.url}/api/admin/templates/2`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ stock: 5 }),
      });
      expect(created.status).toBe(201);
      const scenario = join(cwd, 'template2.json');
      writeFileSync(scenario, JSON.stringify({ ...JSON.parse(readFileSync(SEED, 'utf8')), templates: [{ id: 2, stock: 5 }] }));
      const fresh = await cli(['run', scenario, '--target', server.url, ...load, ...stores, '--out', 'nosetup-fresh'], cwd);
      expect(fresh.code, fresh.stderr).toBe(0);
      const report = JSON.parse(readFileSync(join(cwd, 'nosetup-fresh', 'report.json'), 'utf8')) as RunReport;
      expect(report.outcomes.issued).toBe(5);
      expect(report.verdict?.ok).toBe(true);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
      await deletePrefix(REDIS_URL, own);
    }
  });
});
