// Persister drain benchmark (issue 6). Run `npm run build` first, then:
//   node bench/persister-drain.js [--n 200000] [--burst 30000] [--batch 2000] [--engines sqlite,postgres,mysql] [--nice 0]
// For each engine: (1) baseline = the store alone inserting N rows in batches (no Redis);
// (2) drain rate of the real persister (worker thread) from a pre-filled outbox of N entries;
// (3) a burst of B coupons issued through the Lua script while the persister runs: time from the
// last issue reply until the database count equals Redis's. Figures are printed, nothing asserted.
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createRedis } from '../dist/redis/client.js';
import { PERSISTER_GROUP, templateKeys, templatesIndexKey } from '../dist/redis/keys.js';
import { openStore } from '../dist/store/open-store.js';
import { startPersister } from '../dist/store/persister.js';
import { couponIdOf } from '../dist/model/coupon-id.js';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '200000' },
    burst: { type: 'string', default: '30000' },
    batch: { type: 'string', default: '' },
    // niceness of the persister's worker thread (default: the persister's own, 10)
    nice: { type: 'string', default: '' },
    engines: { type: 'string', default: 'sqlite,postgres,mysql' },
    redis: { type: 'string', default: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
  },
});
const N = Number(values.n);
const BURST = Number(values.burst);
const REDIS_URL = values.redis;
const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
const GOALS = { sqlite: 100_000, postgres: 50_000, mysql: 30_000 };

const tag = randomUUID().slice(0, 8);
const sqlitePath = join(tmpdir(), `cb-bench-${tag}.sqlite`);
const dbUrls = {
  sqlite: `sqlite:${sqlitePath}`,
  postgres: `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}schema=bench_${tag}`,
  mysql: MYSQL_URL.replace(/\/[^/?]*(\?|$)/, `/bench_${tag}$1`),
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const fmt = (n) => Math.round(n).toLocaleString('en-US');

/** Issue `count` coupons (users from `firstUser`) through the Lua script, pipelined. */
async function issueMany(redis, k, templateId, firstUser, count, chunk = 2000) {
  for (let done = 0; done < count; done += chunk) {
    const p = redis.pipeline();
    const end = Math.min(count, done + chunk);
    for (let i = done; i < end; i++) p.issue(k.stock, k.seq, k.users, k.outbox, firstUser + i, templateId);
    const res = await p.exec();
    for (const [err, reply] of res) if (err || reply[0] !== 1) throw new Error(`issue failed: ${err ?? reply}`);
  }
}

async function createTemplate(redis, prefix, templateId, stock) {
  const k = templateKeys(prefix, templateId);
  await redis.createTemplate(k.stock, k.seq, k.users, k.outbox, stock, PERSISTER_GROUP);
  await redis.sadd(templatesIndexKey(prefix), templateId);
  return k;
}

async function cleanup(redis, prefix) {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
}

async function baseline(engine) {
  const store = await openStore(dbUrls[engine]);
  await store.truncate();
  const batch = Number(values.batch) || 2000;
  const rows = Array.from({ length: N }, (_, i) => ({ couponId: couponIdOf(999, i + 1), templateId: 999, userId: i + 1, seq: i + 1, issuedAt: Date.now() }));
  const t0 = performance.now();
  for (let i = 0; i < N; i += batch) await store.insertIssued(rows.slice(i, i + batch));
  const ms = performance.now() - t0;
  await store.truncate();
  await store.close();
  return (N / ms) * 1000;
}

async function drain(engine, redis) {
  const prefix = `cbbench-${tag}-${engine}`;
  const k = await createTemplate(redis, prefix, 1, N + BURST + 10);
  const tFill = performance.now();
  await issueMany(redis, k, 1, 1, N);
  const fillMs = performance.now() - tFill;
  const opts = { redisUrl: REDIS_URL, dbUrl: dbUrls[engine], prefix, rescanMs: 200 };
  if (values.batch) opts.batchSize = Number(values.batch);
  if (values.nice) opts.niceness = Number(values.nice);
  const t0 = performance.now();
  const h = await startPersister(opts);
  const tReady = performance.now();
  const deadline = Date.now() + 120_000;
  while (h.stats().persisted < N && Date.now() < deadline) await sleep(5);
  const t1 = performance.now();
  const drainRate = (N / (t1 - tReady)) * 1000;

  // Burst while the persister runs: how long after the last reply does the DB match Redis?
  const store = await openStore(dbUrls[engine]);
  const tBurst = performance.now();
  await issueMany(redis, k, 1, N + 1, BURST, 500);
  const tLast = performance.now();
  const want = Number(await redis.get(k.seq));
  let got = 0;
  while ((got = await store.countIssued(1)) < want && performance.now() - tLast < 30_000) await sleep(2);
  const matchMs = performance.now() - tLast;
  const burstRate = (BURST / (tLast - tBurst)) * 1000;
  const stats = h.stats();
  await h.stop();
  await store.truncate();
  await store.close();
  await cleanup(redis, prefix);
  return { fillMs, startMs: tReady - t0, drainRate, matchMs, matched: got === want, burstRate, stats };
}

/** Drop the schema / database this run created (the stores only truncate). */
async function dropBenchDatabases() {
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect().then(() => c.query(`DROP SCHEMA IF EXISTS "bench_${tag}" CASCADE`)).finally(() => c.end());
  const { default: mysql } = await import('mysql2/promise');
  const u = new URL(MYSQL_URL);
  const m = await mysql.createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username || 'root'), password: decodeURIComponent(u.password) });
  await m.query(`DROP DATABASE IF EXISTS \`bench_${tag}\``).finally(() => m.end());
}

const redis = createRedis(REDIS_URL, { role: 'worker' });
console.log(`persister drain benchmark: N=${fmt(N)} pre-filled entries, burst=${fmt(BURST)}, batch=${values.batch || 'default'}, worker niceness=${values.nice || 'default'}`);
try {
  for (const engine of values.engines.split(',')) {
    try {
      const base = await baseline(engine);
      const r = await drain(engine, redis);
      const goal = GOALS[engine];
      console.log(
        `${engine.padEnd(8)} store-only ${fmt(base)} rows/s | persister drain ${fmt(r.drainRate)} rows/s (goal >= ${fmt(goal)}: ${r.drainRate >= goal ? 'MET' : 'MISSED'}; ratio to store-only ${(r.drainRate / base).toFixed(2)})`,
      );
      console.log(
        `${''.padEnd(8)} burst ${fmt(BURST)} issued at ${fmt(r.burstRate)}/s; DB matched Redis ${r.matchMs.toFixed(0)} ms after the last reply (goal <= 1000 ms: ${r.matched && r.matchMs <= 1000 ? 'MET' : 'MISSED'})` +
          ` | fill ${fmt(r.fillMs)} ms, start ${fmt(r.startMs)} ms, dupes ${r.stats.duplicatesIgnored}, failures ${r.stats.totalFailures ?? 0}`,
      );
    } catch (err) {
      console.log(`${engine.padEnd(8)} skipped: ${err.message}`);
    }
  }
} finally {
  redis.disconnect();
  await dropBenchDatabases().catch(() => undefined);
  rmSync(sqlitePath, { force: true });
  rmSync(`${sqlitePath}-wal`, { force: true });
  rmSync(`${sqlitePath}-shm`, { force: true });
}
