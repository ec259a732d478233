// Benchmark: audit 1,000,000 issued coupons (Redis users hash + SQLite rows + a matching ledger)
// and 100,000 as the baseline measured in the same run. Prints time, peak RSS and the ratios.
// Goal: 1M audited in ≤ 10 s and ≤ 512 MB peak RSS, growing linearly.
// Usage: npm run build && node bench/verify-1m.js [sizes, default 100000,1000000]
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import { startManagedRedis } from '../dist/redis/managed-redis.js';
import { PERSISTER_GROUP, templateKeys } from '../dist/redis/keys.js';
import { SQLITE_SCHEMA } from '../dist/store/schema.js';

const sizes = (process.argv[2] ?? '100000,1000000').split(',').map(Number);
const CHILD = new URL('./verify-audit-child.js', import.meta.url).pathname;

async function prepareRedis(redis, prefix, n) {
  const k = templateKeys(prefix, 1);
  await redis.set(k.stock, n);
  await redis.set(k.seq, n);
  // An empty, drained outbox with its consumer group, as after the persister caught up.
  await redis.xgroup('CREATE', k.outbox, PERSISTER_GROUP, '0', 'MKSTREAM');
  const CHUNK = 1000;
  let pipe = redis.pipeline();
  for (let i = 1; i <= n; i += CHUNK) {
    const args = [];
    for (let j = i; j < i + CHUNK && j <= n; j++) args.push(String(userOf(j)), String(j));
    pipe.hset(k.users, ...args);
    if (pipe.length >= 50) {
      await pipe.exec();
      pipe = redis.pipeline();
    }
  }
  await pipe.exec();
}

// Users are spread over a wide range, not 1..n, so the Maps see realistic keys.
const userOf = (seq) => seq * 7 + 1_000_000;

function prepareSqlite(path, n) {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  db.exec(SQLITE_SCHEMA);
  db.prepare('INSERT INTO coupon_template (template_id, name, stock, created_at) VALUES (1, ?, ?, ?)').run('bench', n, Date.now());
  const ins = db.prepare('INSERT INTO issued_coupon (coupon_id, template_id, user_id, seq, issued_at) VALUES (?, 1, ?, ?, ?)');
  const now = Date.now();
  db.transaction(() => {
    for (let s = 1; s <= n; s++) ins.run(`1-${s}`, userOf(s), s, now);
  })();
  db.close();
}

async function prepareLedger(path, n) {
  // Every 200 plus one refusal per ten coupons (a 'full' ledger), as a run with --verify writes it.
  const out = createWriteStream(path);
  let buf = '';
  const ts = Date.now();
  for (let s = 1; s <= n; s++) {
    buf += `{"o":"issued","tpl":1,"u":${userOf(s)},"st":200,"c":"1-${s}","seq":${s},"ts":${ts + s / 1000},"lat":812}\n`;
    if (s % 10 === 0) buf += `{"o":"duplicate","tpl":1,"u":${userOf(s)},"st":400,"c":"1-${s}","ts":${ts + s / 1000},"lat":640}\n`;
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await once(out, 'drain');
      buf = '';
    }
  }
  out.end(buf);
  await once(out, 'finish');
}

const redisServer = await startManagedRedis({ appendOnly: false });
const redis = new Redis(redisServer.url);
const dir = mkdtempSync(join(tmpdir(), 'verify-bench-'));
const results = [];
try {
  for (const n of sizes) {
    const prefix = `bench${n}`;
    const dbPath = join(dir, `bench-${n}.sqlite`);
    const ledgerPath = join(dir, `ledger-${n}.ndjson`);
    const t0 = performance.now();
    await prepareRedis(redis, prefix, n);
    prepareSqlite(dbPath, n);
    await prepareLedger(ledgerPath, n);
    const prepMs = performance.now() - t0;
    const out = execFileSync(process.execPath, [CHILD, redisServer.url, `sqlite:${dbPath}`, prefix, ledgerPath, String(n)], { encoding: 'utf8' });
    const r = JSON.parse(out.trim().split('\n').pop());
    results.push({ n, ...r });
    console.log(
      `${n.toLocaleString('en-US').padStart(9)} coupons: audit ${(r.ms / 1000).toFixed(2)} s (CPU ${(r.cpuMs / 1000).toFixed(2)} s), peak RSS ${r.maxRssMb.toFixed(0)} MB, ` +
        `exit ${r.exitCode} (prepare ${(prepMs / 1000).toFixed(1)} s) — ${r.headline}`,
    );
    if (r.exitCode !== 0) console.log('  statuses:', JSON.stringify(r.statuses));
    await redis.del(...Object.values(templateKeys(prefix, 1)));
  }
  if (results.length >= 2) {
    const [a, b] = [results[0], results[results.length - 1]];
    console.log(
      `growth ${a.n.toLocaleString('en-US')} -> ${b.n.toLocaleString('en-US')} (x${(b.n / a.n).toFixed(0)}): ` +
        `time x${(b.ms / a.ms).toFixed(2)}, CPU x${(b.cpuMs / a.cpuMs).toFixed(2)}, peak RSS x${(b.maxRssMb / a.maxRssMb).toFixed(2)}`,
    );
  }
  const big = results.find((r) => r.n === 1_000_000);
  if (big) {
    console.log(`goal 1M ≤ 10 s and ≤ 512 MB: ${big.ms <= 10_000 && big.maxRssMb <= 512 ? 'met' : 'NOT met'} (load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} CPUs)`);
  }
} finally {
  redis.disconnect();
  await redisServer.stop();
  rmSync(dir, { recursive: true, force: true });
}
