import { get } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/model/report.js';
import { runCli } from '../helpers/cli.js';
import { alive } from '../helpers/net.js';
import { REDIS_URL, deletePrefix, uniquePrefix } from '../helpers/env.js';
import { spawnServe, type Spawned } from './serve-harness.js';

/** GET /healthz on a connection of its own; the pid of the worker that answered. */
function healthzPid(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = get(`${url}/healthz`, { agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve((JSON.parse(body) as { pid: number }).pid));
    });
    req.on('timeout', () => req.destroy(new Error('healthz timed out')));
    req.on('error', reject);
  });
}

describe('serve --workers 2: two processes on one port, one Redis, one database', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'cb-workers-'));
  const prefix = uniquePrefix('workers');
  const db = `sqlite:${join(cwd, 'coupons.sqlite')}`;
  let s: Spawned | undefined;
  afterAll(async () => {
    if (s && s.child.exitCode === null) s.child.kill('SIGKILL');
    await deletePrefix(REDIS_URL, prefix);
    rmSync(cwd, { recursive: true, force: true });
  });

  it('flash-crowd and seed-k6: exactly stock issued, 0 duplicates, every acknowledged coupon in the database; SIGTERM stops all', async () => {
    s = await spawnServe(['--workers', '2', '--port', '0', '--redis', REDIS_URL, '--prefix', prefix, '--db', db], cwd);
    const pids = (/\(2 workers: pids (\d+), (\d+)\)/.exec(s.stdout()) ?? []).slice(1).map(Number);
    expect(pids).toHaveLength(2);
    expect(pids.every(alive)).toBe(true);
    // Both workers answer: connections are handed out in turn, one /healthz a new connection.
    const answeredBy = new Set<number>();
    for (let i = 0; i < 16 && answeredBy.size < 2; i++) answeredBy.add(await healthzPid(s.url));
    expect([...answeredBy].sort()).toEqual([...pids].sort());
    const stores = ['--redis', REDIS_URL, '--db', db, '--prefix', prefix];
    // seed-k6 on template 1, then flash-crowd on template 2 (a copy of the bundled file with another id)
    const flash = JSON.parse(readFileSync(join(import.meta.dirname, '../../scenarios/flash-crowd.json'), 'utf8')) as Record<string, unknown> & {
      thresholds: Record<string, string[]>;
    };
    flash.templates = [{ id: 2, stock: 1000 }];
    // What is checked here is correctness (exactly the stock, no duplicate, nothing lost), not how
    // fast a machine shared with other work answers: no latency threshold, nor "no unknown answer"
    // (a 503 when Redis does not answer within the server's issue timeout, which a busy machine
    // does not promise: exit 99), and the crowd's 3,000 unique users come as fast as the machine
    // allows (closed model) instead of at a rate a busy machine cannot keep (an open model there
    // drops most arrivals: exit 97).
    delete flash.thresholds['http_req_duration'];
    delete flash.thresholds['outcomes.unknown'];
    for (const key of ['rate', 'timeUnit', 'preAllocatedVUs', 'maxVUs']) delete flash[key];
    Object.assign(flash, { executor: 'shared-iterations', vus: 64, iterations: 3000, duration: '60s', harness: { maxEventLoopDelayMs: 1000 } });
    writeFileSync(join(cwd, 'flash-2.json'), JSON.stringify(flash));
    for (const [scenario, stock, extra] of [['seed-k6', 10, ['--duration', '3s']], [join(cwd, 'flash-2.json'), 1000, []]] as const) {
      const out = `out-${stock}`;
      const run = await runCli(['run', scenario, '--target', s.url, '--setup', '--verify', ...stores, '--out', out, '--quiet', ...extra], { cwd, timeoutMs: 60_000 });
      expect(run.code, `${scenario}: ${run.stderr}`).toBe(0);
      const report = JSON.parse(readFileSync(join(cwd, out, 'report.json'), 'utf8')) as RunReport;
      // Exactly the stock issued (sold-out-exact, from the stores): each acknowledged (200) or left
      // unknown (503: Redis slow on a busy machine), and no coupon beyond the acknowledged ones
      // without an unknown answer (unknown-bounded).
      expect(report.outcomes.issued).toBeLessThanOrEqual(stock);
      expect(report.outcomes.issued + report.outcomes.unknown).toBeGreaterThanOrEqual(stock);
      const inv = (name: string): string | undefined => report.verdict?.invariants.find((i) => i.name === name)?.status;
      for (const name of ['no-lost-ack', 'no-over-issue', 'no-duplicate-user', 'redis-db-match', 'sold-out-exact', 'unknown-bounded']) expect(inv(name), `${scenario} ${name}`).toBe('PASS');
      expect(report.verdict?.invariants.find((i) => i.name === 'no-lost-ack')?.counts['missing']).toBe(0);
    }
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    expect(pids.some(alive)).toBe(false);
    expect(s.stdout()).toMatch(/SIGTERM: draining every worker/);
  }, 90_000);
});
