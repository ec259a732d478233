// CPU cost of the persister per coupon (issue 6 / issue 2): CPU time is steadier than rates on a
// shared machine. Run `npm run build` first, then:
//   node bench/persister-cpu.js [--rate 10000] [--seconds 4] [--drain 100000] [--rounds 2]
//        [--db sqlite|postgres|mysql] [--baseline-dist /path/to/old/dist] [--opts '{"lingerMs":50}']
// A private redis-server (managed) gets entries through the issue Lua script: (1) `trickle`: at a
// fixed rate for a few seconds, the way `serve` feeds the outbox under load; (2) `drain`: a
// pre-filled outbox. The persister runs in its worker thread inside a child process; the figures are
// CPU µs per entry of that process (all threads, /proc/<pid>/stat) and of redis-server during the
// window. With --baseline-dist the same rounds also run an older build, alternating, same machine state.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createRedis } from '../dist/redis/client.js';
import { PERSISTER_GROUP, templateKeys, templatesIndexKey } from '../dist/redis/keys.js';
import { startManagedRedis } from '../dist/redis/managed-redis.js';

const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '4' },
    drain: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '2' },
    db: { type: 'string', default: 'sqlite' },
    'baseline-dist': { type: 'string', default: '' },
    opts: { type: 'string', default: '{}' },
  },
});
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);
const DRAIN = Number(args.drain);
const ROUNDS = Number(args.rounds);
const HERE = fileURLToPath(new URL('../dist', import.meta.url));
const builds = [['current', HERE]];
if (args['baseline-dist']) builds.unshift(['baseline', resolve(args['baseline-dist'])]);
const TICKS = sysconfClkTck();
const dir = mkdtempSync(join(tmpdir(), 'cb-pcpu-'));
const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

function sysconfClkTck() {
  return 100; // Linux USER_HZ
}
/** CPU seconds (user+sys) of a process, all threads; `sys` alone with part = 'sys'. */
function cpuOf(pid, part = 'all') {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return ((part === 'sys' ? 0 : Number(f[11])) + Number(f[12])) / TICKS;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const CHILD = join(dir, 'child.mjs');
writeFileSync(
  CHILD,
  `const [dist, optsJson] = process.argv.slice(2);
const { startPersister } = await import(dist + '/store/persister.js');
const h = await startPersister(JSON.parse(optsJson));
console.log('READY');
process.stdin.on('data', async () => { await h.stop(); console.log(JSON.stringify(h.stats())); process.exit(0); });
`,
);

function startChild(dist, opts) {
  const child = spawn(process.execPath, [...(process.env.PCPU_NODE_ARGS ?? '').split(' ').filter(Boolean), CHILD, pathToFileURL(dist).href, JSON.stringify(opts)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  const ready = new Promise((res, rej) => {
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('READY')) res();
    });
    child.on('exit', (c) => rej(new Error(`child exited ${c}`)));
  });
  const stop = async () => {
    child.stdin.write('x');
    await new Promise((r) => child.once('exit', r));
    return JSON.parse(out.split('\n').filter(Boolean).pop());
  };
  return { child, ready, stop };
}

async function issueMany(redis, k, firstUser, count, chunk = 1000) {
  for (let done = 0; done < count; done += chunk) {
    const p = redis.pipeline();
    const end = Math.min(count, done + chunk);
    for (let i = done; i < end; i++) p.issue(k.stock, k.seq, k.users, k.outbox, firstUser + i, 1);
    await p.exec();
  }
}

function dbUrl(tag) {
  if (args.db === 'postgres') return `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}schema=pcpu_${tag}`;
  if (args.db === 'mysql') return MYSQL_URL.replace(/\/[^/?]*(\?|$)/, `/pcpu_${tag}$1`);
  return `sqlite:${join(dir, `${tag}.sqlite`)}`;
}

async function round(mr, redis, build, mode, n) {
  const tag = `${build[0]}_${mode}_${n}`;
  const prefix = `pcpu-${tag}`;
  const k = templateKeys(prefix, 1);
  await redis.createTemplate(k.stock, k.seq, k.users, k.outbox, 10_000_000, PERSISTER_GROUP);
  await redis.sadd(templatesIndexKey(prefix), 1);
  const total = mode === 'drain' ? DRAIN : Math.round(RATE * SECONDS);
  if (mode === 'drain') await issueMany(redis, k, 1, total);
  const c = startChild(build[1], { redisUrl: mr.url, dbUrl: dbUrl(tag), prefix, ...JSON.parse(args.opts) });
  await c.ready;
  if (mode === 'trickle') await sleep(300); // let start-up work settle (a pre-filled outbox drains right away)
  const cpu0 = cpuOf(c.child.pid);
  const sys0 = cpuOf(c.child.pid, 'sys');
  const r0 = cpuOf(mr.pid);
  await redis.config('RESETSTAT');
  const t0 = performance.now();
  if (mode === 'trickle') {
    // Fixed rate in 10 ms ticks, catching up if a tick is late.
    let sent = 0;
    while (sent < total) {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * RATE));
      if (due > sent) {
        await issueMany(redis, k, 1 + sent, due - sent);
        sent = due;
      }
      await sleep(10);
    }
  }
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const [len, info] = await Promise.all([redis.xlen(k.outbox), redis.xinfo('GROUPS', k.outbox)]);
    const g = info[0];
    const pending = Number(g[g.indexOf('pending') + 1]);
    const lag = g.indexOf('lag') >= 0 ? Number(g[g.indexOf('lag') + 1]) : len;
    if (pending === 0 && lag === 0) break;
    await sleep(5);
  }
  const ms = performance.now() - t0;
  const cpu = cpuOf(c.child.pid) - cpu0;
  const sys = cpuOf(c.child.pid, 'sys') - sys0;
  const rcpu = cpuOf(mr.pid) - r0;
  const cmdStats = parseCommandStats(await redis.info('commandstats'));
  const stats = await c.stop();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  return { cmdStats, persisted: stats.persisted, total, cpuUs: (cpu * 1e6) / total, sysUs: (sys * 1e6) / total, redisUs: (rcpu * 1e6) / total, rate: (total / ms) * 1000 };
}

/** calls per command since RESETSTAT (the persister's round trips; issue scripts show as evalsha too). */
function parseCommandStats(text) {
  const out = {};
  for (const m of text.matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm)) out[m[1]] = Number(m[2]);
  return out;
}

const mr = await startManagedRedis({ appendOnly: false });
const redis = createRedis(mr.url, { role: 'worker' });
console.log(`persister CPU per entry (db ${args.db}; trickle ${RATE}/s x ${SECONDS}s; drain ${DRAIN}; ${ROUNDS} rounds; µs CPU per entry, lower is better)`);
const results = {};
try {
  for (let i = 0; i < ROUNDS; i++) {
    for (const mode of ['trickle', 'drain']) {
      for (const b of builds) {
        const r = await round(mr, redis, b, mode, i);
        (results[`${b[0]} ${mode}`] ??= []).push(r);
        console.log(
          `  ${b[0].padEnd(8)} ${mode.padEnd(7)} persister ${r.cpuUs.toFixed(1).padStart(6)} µs/entry (sys ${r.sysUs.toFixed(1).padStart(5)}) | redis ${r.redisUs.toFixed(1).padStart(5)} µs/entry | ${Math.round(r.rate)} entries/s | persisted ${r.persisted}/${r.total}`,
          process.env.PCPU_VERBOSE ? `\n    redis calls: ${JSON.stringify(r.cmdStats)}` : '',
        );
      }
    }
  }
  const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  if (builds.length > 1) {
    for (const mode of ['trickle', 'drain']) {
      const b = median(results[`baseline ${mode}`].map((r) => r.cpuUs));
      const c = median(results[`current ${mode}`].map((r) => r.cpuUs));
      const rb = median(results[`baseline ${mode}`].map((r) => r.redisUs));
      const rc = median(results[`current ${mode}`].map((r) => r.redisUs));
      console.log(`${mode.padEnd(7)} persister current/baseline = ${(c / b).toFixed(2)} (${c.toFixed(1)} vs ${b.toFixed(1)} µs); redis ${(rc / rb).toFixed(2)} (${rc.toFixed(1)} vs ${rb.toFixed(1)} µs)`);
    }
  }
} finally {
  redis.disconnect();
  await mr.stop();
  rmSync(dir, { recursive: true, force: true });
}
