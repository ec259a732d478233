// The cluster issue channel's per-master connections after the slot map changes: a master that
// left the map and is down is dropped (no reconnect loop for ever); one that is up stays.
import { EventEmitter } from 'node:events';
import { createServer } from 'node:net';
import calculateSlot from 'cluster-key-slot';
import type { Cluster } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { templateKeys } from '../../src/redis/keys.js';
import { ClusterIssuePipeline } from '../../src/server/cluster-issue-pipeline.js';
import type { IssueContext } from '../../src/server/issue-channel.js';
import { REDIS_URL } from '../helpers/env.js';

/** A port nothing listens on (bound, then released). */
async function deadPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** The part of ioredis's Cluster the channel reads: the slot map, its status and its 'refresh' event. */
class FakeCluster extends EventEmitter {
  status = 'ready';
  slots: string[][] = [];
  refreshes = 0;
  mapAll(master: string): void {
    this.slots = Array.from({ length: 16384 }, () => [master]);
  }
  refreshSlotsCache(): void {
    this.refreshes++;
  }
}

const live = `${new URL(REDIS_URL).hostname}:${new URL(REDIS_URL).port || 6379}`;

describe('ClusterIssuePipeline: masters that leave the slot map', () => {
  let ch: ClusterIssuePipeline<IssueContext> | undefined;
  afterEach(() => ch?.close());

  it('drops a down master no slot maps to after a refresh, keeps one that is up, and stops listening when closed', async () => {
    const fake = new FakeCluster();
    const errors: string[] = [];
    ch = new ClusterIssuePipeline<IssueContext>({
      url: 'redis+cluster://127.0.0.1:1',
      cluster: fake as unknown as Cluster,
      timeoutMs: 2000,
      onReply: (_ctx, err) => void (err && errors.push(err.message)),
    });
    fake.mapAll(live);
    await ch.ready(5000);
    expect(ch.masters).toEqual([live]);

    // The template's slot moves to a master that does not answer: its connection keeps retrying.
    const dead = `127.0.0.1:${await deadPort()}`;
    const keys = templateKeys('prune', 1);
    fake.slots[calculateSlot(keys.stock)] = [dead];
    ch.issue({ issueKeys: keys, userId: 1, templateId: 1 });
    expect(errors).toEqual([expect.stringMatching(new RegExp(`master ${dead} is (connecting|reconnecting)`))]);
    expect(ch.masters).toEqual([live, dead]);

    // Still in the map: a refresh keeps it (it may come back).
    fake.emit('refresh');
    expect(ch.masters).toEqual([live, dead]);

    // Every slot now on a third node: the down master is dropped, the live one (up) stays.
    fake.mapAll('127.0.0.1:2');
    fake.emit('refresh');
    expect(ch.masters).toEqual([live]);

    expect(fake.listenerCount('refresh')).toBe(1);
    ch.close();
    expect(fake.listenerCount('refresh')).toBe(0);
    expect(ch.masters).toEqual([]);
  }, 20_000);
});
