// Redis-down benchmark: how fast serve answers 503 while its Redis is away. Run `npm run build` first, then:
//   node bench/redis-down-503.js [--requests 50] [--timeout 100]
// A private redis-server and an in-process server (SQLite in a temp folder). For each state of
// Redis (stopped, hung by SIGSTOP) it times --requests issue requests, each followed by a request
// for an unknown path (no Redis involved: the noise floor of this machine at that moment), and
// prints the medians and their ratio. Stopped should stay near the floor (answered from the
// connection state); hung at most the server's Redis timeout (--timeout ms; below it once the
// server has marked the connection down). Figures are printed, nothing asserted.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { startManagedRedis } from '../dist/redis/managed-redis.js';
import { createTemplate } from '../dist/server/admin-client.js';
import { startServer } from '../dist/server/start-server.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '50' },
    timeout: { type: 'string', default: '100' },
  },
});
const N = Number(values.requests);
const TIMEOUT_MS = Number(values.timeout);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timed(pool, method, path, body) {
  const t = performance.now();
  const r = await pool.request({ method, path, body, headers: body ? { 'content-type': 'application/json' } : {} });
  await r.body.text();
  return [r.statusCode, performance.now() - t];
}

async function measure(pool, label, firstUser) {
  const issueMs = [];
  const floorMs = [];
  const statuses = new Map();
  for (let i = 0; i < N; i++) {
    const [status, ms] = await timed(pool, 'POST', '/api/coupons/issue', JSON.stringify({ userId: firstUser + i, templateId: 1 }));
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    issueMs.push(ms);
    floorMs.push((await timed(pool, 'GET', '/nope'))[1]);
  }
  const med = median(issueMs);
  const floor = median(floorMs);
  const answers = [...statuses].map(([s, n]) => `${n}x${s}`).join(' ');
  console.log(`${label.padEnd(8)} issue median ${med.toFixed(2)} ms · floor median ${floor.toFixed(2)} ms · ratio ${(med / floor).toFixed(1)} · answers ${answers}`);
}

const dir = mkdtempSync(join(tmpdir(), 'cb-bench-down-'));
const redis = await startManagedRedis({ appendOnly: false });
const server = await startServer({ host: '127.0.0.1', port: 0, dbUrl: `sqlite:${join(dir, 'db.sqlite')}`, prefix: 'bench-down', redisUrl: redis.url, redisTimeoutMs: TIMEOUT_MS });
const pool = new Pool(server.url, { connections: 4 });
try {
  await createTemplate(server.url, 1, 1_000_000);
  // one issue with Redis up: the template is in Redis and the connection ready
  const [ok] = await timed(pool, 'POST', '/api/coupons/issue', JSON.stringify({ userId: 1, templateId: 1 }));
  if (ok !== 200) throw new Error(`issue with Redis up answered ${ok}`);
  const pid = redis.pid;
  process.kill(pid, 'SIGSTOP');
  try {
    await measure(pool, 'hung', 100_000);
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  await redis.stop();
  await measure(pool, 'stopped', 200_000);
} finally {
  await pool.close();
  await server.stop();
  await redis.stop().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}
