// Issue throughput of `serve` on one Redis vs on a 3-master Redis Cluster on this machine (wrk, 64
// connections, one thread, every request a new user, spread over three templates whose slots are
// on the three different masters). Both sides are redis-server processes this script starts on
// loopback ports and stops, with the same settings (no persistence): one alone, three as a cluster. Rounds alternate
// the order; the ratio of the medians is printed.
//
//   npm run build && node bench/serve-cluster.js [--rounds 3] [--seconds 5] [--connections 64] [--workers 1]
//
// On a 2-core machine wrk, serve and every redis-server share the cores: the ratio says what the
// cluster's routing costs here (Redis is not the bottleneck on two cores), not what three hosts buy.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createTemplate } from '../dist/server/admin-client.js';
import { startLocalCluster } from '../dist/redis/local-cluster.js';
import { startManagedRedis } from '../dist/redis/managed-redis.js';
import { issueWrk, requireWrk, startChild, stopChild } from './wrk-issue.js';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '64' },
    workers: { type: 'string', default: '1' },
  },
});
requireWrk();
const BIN = fileURLToPath(new URL('../bin/coupon-bench.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cb-bench-cluster-'));
// {t1}, {t2} and {t4} hash to slots 8943, 4748 and 12874: one template on each third of the slots.
const TEMPLATES = [1, 2, 4];
const wrk = issueWrk(dir, Number(args.connections), TEMPLATES);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const results = { single: [], cluster: [] };
const cluster = await startLocalCluster({ masters: 3 });
const single = await startManagedRedis({ appendOnly: false });
try {
  for (let r = 0; r < Number(args.rounds); r++) {
    for (const mode of r % 2 === 0 ? ['single', 'cluster'] : ['cluster', 'single']) {
      const redis = ['--redis', mode === 'cluster' ? cluster.url : single.url, '--prefix', `b${r}`];
      const srv = await startChild([BIN, 'serve', '--port', '0', '--workers', args.workers, ...redis, '--db', `sqlite:${join(dir, `${mode}-r${r}.sqlite`)}`]);
      try {
        for (const id of TEMPLATES) await createTemplate(srv.url, id, 1_000_000_000);
        await wrk(srv.url, 1); // warm-up: JIT, connections
        const res = await wrk(srv.url, Number(args.seconds));
        results[mode].push(res.rps);
        console.log(`round ${r + 1}: ${mode === 'single' ? 'one Redis   ' : '3-node cluster'}: ${res.rps.toFixed(0)} req/s${res.non2xx ? ` (${res.non2xx} non-2xx)` : ''}`);
      } finally {
        await stopChild(srv.child);
      }
    }
  }
} finally {
  await cluster.stop();
  await single.stop();
  rmSync(dir, { recursive: true, force: true });
}
const one = median(results.single);
const three = median(results.cluster);
console.log(
  `\nmedian issue throughput (--workers ${args.workers}): one Redis ${one.toFixed(0)} req/s, 3-node cluster ${three.toFixed(0)} req/s; ratio cluster / one Redis = ${(three / one).toFixed(2)}`,
);
