// A real 3-master Redis Cluster of redis-server processes this test owns.
import { Cluster } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { startLocalCluster, type LocalCluster } from '../../src/redis/local-cluster.js';
import { alive } from '../helpers/net.js';

describe('startLocalCluster', () => {
  let cluster: LocalCluster | undefined;
  let client: Cluster | undefined;

  afterAll(async () => {
    client?.disconnect();
    await cluster?.stop();
  });

  it('starts 3 masters sharing all slots, serves keys across them, and a node can be killed', async () => {
    cluster = await startLocalCluster({ masters: 3 });
    expect(cluster.nodes).toHaveLength(3);
    expect(cluster.url).toBe(`redis+cluster://${cluster.nodes.map((n) => `127.0.0.1:${n.port}`).join(',')}`);

    const seed = cluster.nodes[0]!;
    client = new Cluster([{ host: seed.host, port: seed.port }], { clusterRetryStrategy: () => 100 });
    client.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      client!.once('ready', resolve);
      client!.once('error', reject);
    });
    expect(client.nodes('master')).toHaveLength(3);

    const slot = async (key: string): Promise<number> => Number(await client!.call('CLUSTER', 'KEYSLOT', key));
    // The hash tag alone decides the slot: same tag, same slot; t1/t2/t3 land on different slots.
    expect(await slot('a{t1}')).toBe(await slot('z{t1}'));
    const slots = await Promise.all(['a{t1}', 'b{t2}', 'c{t3}'].map(slot));
    expect(new Set(slots).size).toBe(3);

    // Keys spread over every master: each one owns some of them, and reads see every write.
    const keys = Array.from({ length: 60 }, (_, i) => `k${i}{t${i}}`);
    for (const k of keys) await client.set(k, k);
    expect(await Promise.all(keys.map((k) => client!.get(k)))).toEqual(keys);
    const perMaster = await Promise.all(client.nodes('master').map((m) => m.dbsize()));
    expect(perMaster.every((n) => n > 0)).toBe(true);
    expect(perMaster.reduce((a, b) => a + b, 0)).toBe(keys.length);

    const victim = cluster.nodes[2]!;
    const pid = victim.pid!;
    expect(alive(pid)).toBe(true);
    await victim.kill();
    expect(() => process.kill(pid, 0)).toThrow();

    client.disconnect();
    client = undefined;
    await cluster.stop();
    for (const n of cluster.nodes) expect(alive(n.pid!)).toBe(false);
    cluster = undefined;
  }, 30_000);
});
