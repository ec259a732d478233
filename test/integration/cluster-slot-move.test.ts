// A template's slot moves to another master while serve runs on a 3-master Redis Cluster (this test
// starts and stops it): the server's issue pipeline follows the move, nothing is lost or doubled.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import calculateSlot from 'cluster-key-slot';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { templateKeys } from '../../src/redis/keys.js';
import { startLocalCluster, type LocalCluster } from '../../src/redis/local-cluster.js';
import { createTemplate } from '../../src/server/admin-client.js';
import { startServer } from '../../src/server/start-server.js';
import type { RunningServer } from '../../src/server/serve-options.js';
import { verify } from '../../src/verify/verify.js';

const direct = (port: number): Redis => {
  const r = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 });
  r.on('error', () => undefined);
  return r;
};

/** Move one slot and its keys from master `from` to master `to` (CLUSTER SETSLOT + MIGRATE). */
async function moveSlot(slot: number, from: Redis, to: Redis, toPort: number, all: Redis[]): Promise<void> {
  const fromId = String(await from.call('CLUSTER', 'MYID'));
  const toId = String(await to.call('CLUSTER', 'MYID'));
  await to.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', fromId);
  await from.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', toId);
  const keys = (await from.call('CLUSTER', 'GETKEYSINSLOT', slot, 1000)) as string[];
  if (keys.length) await from.call('MIGRATE', '127.0.0.1', toPort, '', 0, 5000, 'KEYS', ...keys);
  for (const n of all) await n.call('CLUSTER', 'SETSLOT', slot, 'NODE', toId);
}

describe('Redis Cluster: a template slot moving to another master mid-run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cb-slot-move-'));
  const dbUrl = `sqlite:${join(dir, 'db.sqlite')}`;
  const prefix = 'mv';
  let cluster: LocalCluster | undefined;
  let server: RunningServer | undefined;
  const conns: Redis[] = [];
  afterAll(async () => {
    for (const c of conns) c.disconnect();
    await server?.stop();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('answers 503 while its slot map is stale (never a wrong answer), then issues on the new master; verify finds exactly what was acknowledged', async () => {
    cluster = await startLocalCluster({ masters: 3 });
    server = await startServer({ host: '127.0.0.1', port: 0, redisUrl: cluster.url, dbUrl, prefix, redisTimeoutMs: 2000 });
    await createTemplate(server.url, 1, 100);
    const issue = async (userId: number): Promise<number> => {
      const res = await fetch(`${server!.url}/api/coupons/issue`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId, templateId: 1 }) });
      await res.arrayBuffer();
      return res.status;
    };
    for (let u = 1; u <= 10; u++) expect(await issue(u)).toBe(200);

    const keys = templateKeys(prefix, 1);
    const slot = calculateSlot(keys.stock);
    const nodes = cluster.nodes.map((n) => direct(n.port));
    conns.push(...nodes);
    const owner = Math.floor((slot * 3) / 16384);
    const target = (owner + 1) % 3;
    await moveSlot(slot, nodes[owner]!, nodes[target]!, cluster.nodes[target]!.port, nodes);
    // the old master now redirects, the new one holds the template
    await expect(nodes[owner]!.get(keys.seq)).rejects.toThrow(/MOVED/);
    expect(await nodes[target]!.get(keys.seq)).toBe('10');

    const statuses: number[] = [];
    const started = Date.now();
    for (let u = 11; u <= 40 && Date.now() - started < 10_000; u++) statuses.push(await issue(u));
    expect(statuses.every((s) => s === 200 || s === 503), statuses.join(' ')).toBe(true);
    // the stale map costs a few answers at most; then every request is issued on the new master
    const issuedAfter = statuses.filter((s) => s === 200).length;
    expect(statuses.length - issuedAfter).toBeLessThanOrEqual(3);
    expect(statuses.slice(-10).every((s) => s === 200)).toBe(true);
    expect(Number(await nodes[target]!.get(keys.seq))).toBe(10 + issuedAfter);

    const v = await verify({ redisUrl: cluster.url, dbUrl, prefix, templateIds: [1], stocks: { 1: 100 }, drainTimeoutMs: 10_000 });
    const status = (name: string): string | undefined => v.invariants.find((i) => i.name === name)?.status;
    for (const name of ['no-over-issue', 'no-duplicate-user', 'redis-db-match']) expect(status(name), `${name}: ${v.headline}`).toBe('PASS');
    expect(v.exitCode).toBe(0);
  }, 60_000);
});
