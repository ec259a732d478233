// Throughput and latency of `serve`'s issue endpoint against a bare node:http baseline.
//
//   npm run build && node bench/serve-throughput.js [--duration 5] [--connections 100] [--rate 5000]
//        [--fixed-seconds 5] [--rounds 5] [--fixed-rounds 5] [--pin] [--no-persister] [--skip-fixed] [--fixed-only]
//        [--issue-client pipeline|ioredis] [--baseline-bin /tmp/old/bin/coupon-bench.js]
//
// --baseline-bin adds `serve` from another build (e.g. an older commit) as one more target in the same
// rounds, so before/after figures come from the same conditions (paired per-round ratios printed).
//
// Both servers run as child processes under the same load (wrk, one thread, a Lua script that gives
// every request a new userId). The baseline parses the same JSON and answers a fixed body; `serve`
// runs the whole path (validate -> Redis Lua issue -> outbox; persister in its worker thread) on a
// private redis-server with a stock that never runs out; a second `serve` without the persister
// shows the HTTP + Redis path alone (--no-persister runs only that one), and a third answers every
// request through node:http (`--http-front node`), which shows what the fast front buys. Each round
// runs every target once, in rotating order; the medians over the rounds are compared. CPU per request of each
// process comes from /proc, which is steadier than rates on a shared machine. Then coupon-bench's own
// open-model engine (in this process, after a 1 s warm-up; with --pin on core 0 and each target and
// its Redis on core 1) sends a fixed 5,000 req/s
// to each and reports p50/p99 measured from each request's intended send time (so a stall is not
// hidden by the client slowing down). Each fixed-rate round also prints the machine's steal time
// (CPU time the hypervisor gave to other guests): on a shared VM the tail follows it, for every target.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startManagedRedis } from '../dist/redis/managed-redis.js';
import { issueWrk, requireWrk, startChild, stopChild } from './wrk-issue.js';
import { createTemplate } from '../dist/server/admin-client.js';
import { runScenario } from '../dist/run/run-scenario.js';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '100' },
    rate: { type: 'string', default: '5000' },
    'fixed-seconds': { type: 'string', default: '5' },
    'no-persister': { type: 'boolean', default: false },
    'skip-fixed': { type: 'boolean', default: false },
    'fixed-only': { type: 'boolean', default: false },
    'issue-client': { type: 'string', default: 'pipeline' },
    rounds: { type: 'string', default: '5' },
    pin: { type: 'boolean', default: false },
    'fixed-rounds': { type: 'string', default: '5' },
    'baseline-bin': { type: 'string' },
  },
});
const DURATION = Number(args.duration);
const CONNECTIONS = Number(args.connections);
const RATE = Number(args.rate);
const FIXED_SECONDS = Number(args['fixed-seconds']);
const ROUNDS = Number(args.rounds);
const FIXED_ROUNDS = Number(args['fixed-rounds']);
// --pin: the fixed-rate client runs pinned to one core, the target (all its threads) and its Redis
// to the other. By default nothing is pinned, as the servers would run.
const PIN = args.pin;
const CLIENT_CORE = '0';
const SERVER_CORE = '1';
const ALL_CORES = '0,1';
const BIN = fileURLToPath(new URL('../bin/coupon-bench.js', import.meta.url));

requireWrk();

const dir = mkdtempSync(join(tmpdir(), 'cb-bench-'));
const runWrk = issueWrk(dir, CONNECTIONS);

/** CPU seconds a process has used so far (Linux /proc; undefined elsewhere). */
function cpuSeconds(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime in clock ticks (USER_HZ = 100)
  } catch {
    return undefined;
  }
}

async function wrkWithCpu(url, pids) {
  const before = pids.map(cpuSeconds);
  const r = await wrk(url);
  const used = pids.map((p, i) => (before[i] === undefined ? undefined : cpuSeconds(p) - before[i]));
  const requests = r.rps * DURATION;
  return { ...r, cpuUsPerReq: used.map((c) => (c === undefined ? undefined : (c * 1e6) / requests)) };
}

function wrk(url, seconds = DURATION) {
  return runWrk(url, seconds);
}

/**
 * Send `rate` req/s for `seconds` with coupon-bench's own open-model engine (constant-arrival-rate,
 * unique users, latency from each request's intended send time, so a stall is not hidden by the
 * client slowing down), in a child process pinned to CLIENT_CORE while the target and its Redis are
 * pinned to SERVER_CORE. A 1 s run at the same rate goes first as warm-up (not counted).
 */
async function fixedRate(url, rate, seconds, userBase, pids) {
  if (PIN) {
    for (const pid of pids) pin(pid, SERVER_CORE);
    pin(process.pid, CLIENT_CORE);
  }
  try {
    const run = (secs, base) =>
      runScenario({
        scenario: {
          name: 'fixed-rate',
          target: url,
          executor: 'constant-arrival-rate',
          rate,
          duration: `${secs}s`,
          // every connection opened before the clock starts: no handshakes in the measured run
          preAllocatedVUs: 200,
          maxVUs: 200,
          users: { type: 'sequential', start: base },
          templates: [{ id: 1, stock: 1_000_000_000 }],
          timeout: '5s',
        },
        outDir: join(dir, `fixed-out-${base}`),
      });
    // Warm-up in this same process (JIT, connections), then the measured run.
    await run(1, userBase);
    const { report } = await run(seconds, userBase + 10_000_000);
    const m = report.metrics;
    const o = report.outcomes;
    return {
      p50: m.http_req_duration.med,
      p99: m.http_req_duration['p(99)'],
      max: m.http_req_duration.max,
      u99: m.http_req_duration_uncorrected['p(99)'],
      dropped: m.dropped_iterations.count,
      notIssued: m.http_reqs.count - o.issued,
      steal: report.harness.host?.stealPercent,
      harness: report.harness.valid ? '' : `; harness: ${report.harness.reasons.join(', ')}`,
    };
  } finally {
    if (PIN) {
      for (const pid of pids) pin(pid, ALL_CORES);
      pin(process.pid, ALL_CORES);
    }
  }
}

/** Wait until template 1's persisted count reaches its issued count; ms waited. */
async function waitPersisted(url, timeoutMs) {
  const t0 = Date.now();
  for (;;) {
    const t = await (await fetch(`${url}/api/templates/1`)).json();
    if (t.persisted >= t.issued || Date.now() - t0 > timeoutMs) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Pin a process and all its threads to `cores` (taskset -a -p). */
function pin(pid, cores) {
  if (pid !== undefined) spawnSync('taskset', ['-a', '-p', '-c', cores, String(pid)], { stdio: 'ignore' });
}

const fmt = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

const redis = await startManagedRedis({ appendOnly: false });
const children = [];
async function startServe(persister, prefix, front, bin = BIN) {
  const argv = [bin, 'serve', '--port', '0', '--redis', redis.url, '--db', `sqlite:${join(dir, `${prefix}.sqlite`)}`, '--prefix', prefix];
  if (!persister) argv.push('--no-persister');
  argv.push('--issue-client', args['issue-client'], '--http-front', front);
  const s = await startChild(argv);
  children.push(s.child);
  await createTemplate(s.url, 1, 1_000_000_000);
  return { ...s, persister };
}
try {
  const bare = await startChild([fileURLToPath(new URL('./bare-target.js', import.meta.url))]);
  children.push(bare.child);
  // `serve` as deployed (fast front, persister in its worker thread); without the persister, to
  // separate the two costs; and with node:http answering every request (--http-front node).
  const variants = [];
  if (!args['no-persister']) variants.push(['serve /issue', await startServe(true, 'bench', 'fast')]);
  variants.push(['serve, no persister', await startServe(false, 'benchnp', 'fast')]);
  if (!args['no-persister']) variants.push(['serve, node:http front', await startServe(true, 'benchnode', 'node')]);
  if (args['baseline-bin']) variants.push(['baseline build serve', await startServe(true, 'benchbase', 'fast', args['baseline-bin'])]);

  const targets = [['bare node:http', bare], ...variants];
  if (!args['fixed-only']) {
    console.log(
      `wrk: 1 thread, ${CONNECTIONS} connections, ${DURATION}s each, unique userIds; issue client ${args['issue-client']}; ` +
        `${ROUNDS} rounds, targets in rotating order, medians`,
    );
    for (const [, srv] of targets) await wrk(srv.url, 2).catch(() => undefined); // warm-up (JIT, connections)
    const runs = targets.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < targets.length; k++) {
        const i = (k + round) % targets.length;
        const srv = targets[i][1];
        runs[i].push(await wrkWithCpu(srv.url, i === 0 ? [srv.child.pid] : [srv.child.pid, redis.pid]));
      }
      const line = targets.map(([label], i) => `${label} ${fmt(runs[i][round].rps)}`).join(', ');
      console.log(`  round ${round + 1}: ${line} req/s; serve/bare ${fmt(runs[1][round].rps / runs[0][round].rps, 2)}`);
    }
    const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const us = (x) => (x === undefined ? '?' : fmt(x, 1));
    const summary = runs.map((rs) => ({
      rps: med(rs.map((r) => r.rps)),
      node: med(rs.map((r) => r.cpuUsPerReq[0] ?? NaN)),
      redis: med(rs.map((r) => r.cpuUsPerReq[1] ?? NaN)),
      non2xx: rs.reduce((a, r) => a + r.non2xx, 0),
      errors: [...new Set(rs.map((r) => r.errors))].join('; '),
    }));
    const b = summary[0];
    console.log('medians:');
    console.log(`  ${'bare node:http'.padEnd(24)} ${fmt(b.rps).padStart(7)} req/s   node CPU ${us(b.node)} µs/req   (non-2xx ${b.non2xx}, socket errors ${b.errors})`);
    variants.forEach(([label], j) => {
      const r = summary[j + 1];
      console.log(
        `  ${label.padEnd(24)} ${fmt(r.rps).padStart(7)} req/s   node CPU ${us(r.node)} µs/req (incl. persister thread), ` +
          `redis-server ${us(r.redis)} µs/req   (non-2xx ${r.non2xx}, socket errors ${r.errors})`,
      );
      // Also the median of the per-round ratios: each round measures both close together in time.
      const paired = med(runs[j + 1].map((x, round) => x.rps / runs[0][round].rps));
      console.log(
        `  ${''.padEnd(24)} ratio to bare ${fmt(r.rps / b.rps, 2)}${j === 0 ? ' (goal >= 0.80)' : ''} ` +
          `(median of the per-round ratios ${fmt(paired, 2)})`,
      );
    });
    if (args['baseline-bin']) {
      // This build's `serve /issue` (variant 0) against the baseline build's (the last variant), paired per round.
      const last = runs.length - 1;
      const rate = med(runs[1].map((x, round) => x.rps / runs[last][round].rps));
      const cpu = med(runs[1].map((x, round) => x.cpuUsPerReq[0] / runs[last][round].cpuUsPerReq[0]));
      console.log(`  this build over the baseline build (serve /issue, median of per-round ratios): rate x${fmt(rate, 3)}, node CPU/req x${fmt(cpu, 3)}`);
    }
  }

  if (!args['skip-fixed']) {
    // The wrk rounds left outboxes of hundreds of thousands of coupons: let every persister catch up
    // first, or its catching up competes for the CPU with the target being measured.
    for (const [label, srv] of variants) {
      if (!srv.persister) continue;
      const waited = await waitPersisted(srv.url, 180_000);
      console.log(`  (${label}: persister caught up with the wrk rounds in ${fmt(waited / 1000, 1)} s)`);
    }
    console.log(
      `fixed rate: ${fmt(RATE)} req/s for ${FIXED_SECONDS}s (coupon-bench's engine, constant-arrival-rate, 200 pre-opened connections; ` +
        `${PIN ? `client on core ${CLIENT_CORE}, target and Redis on core ${SERVER_CORE}` : 'unpinned'}), latency from intended send time`,
    );
    let base = 5_000_000_000;
    const fixed = targets.map(() => []);
    for (let round = 0; round < FIXED_ROUNDS; round++) {
      for (let k = 0; k < targets.length; k++) {
        const i = (k + round) % targets.length;
        const srv = targets[i][1];
        fixed[i].push(await fixedRate(srv.url, RATE, FIXED_SECONDS, (base += 100_000_000), srv === bare ? [srv.child.pid] : [srv.child.pid, redis.pid]));
      }
      const steal = fixed.map((rs) => rs[round].steal).filter((x) => x !== undefined);
      const stealText = steal.length > 0 ? `; steal ${steal.map((x) => fmt(x, 1)).join('/')} %` : '';
      console.log(`  round ${round + 1}: p99 ${targets.map(([label], i) => `${label} ${fmt(fixed[i][round].p99, 2)}`).join(', ')} ms${stealText}`);
    }
    const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    console.log(`medians over ${FIXED_ROUNDS} rounds:`);
    targets.forEach(([label], i) => {
      const rs = fixed[i];
      const f = { p50: med(rs.map((r) => r.p50)), p99: med(rs.map((r) => r.p99)), max: med(rs.map((r) => r.max)), u99: med(rs.map((r) => r.u99)) };
      const dropped = rs.reduce((a, r) => a + r.dropped, 0);
      const notIssued = rs.reduce((a, r) => a + r.notIssued, 0);
      const harness = rs.map((r) => r.harness).join('');
      console.log(
        `  ${label.padEnd(24)} p50 ${fmt(f.p50, 2)} ms   p99 ${fmt(f.p99, 2)} ms   max ${fmt(f.max, 1)} ms   ` +
          `(from the actual send: p99 ${fmt(f.u99, 2)} ms; dropped ${dropped}, not issued ${notIssued}${harness}); ` +
          `p99 <= 5 ms in ${rs.filter((r) => r.p99 <= 5).length} of ${rs.length} rounds`,
      );
    });
    console.log('  (goal for serve: p99 <= 5 ms; steal is the CPU time the hypervisor gave to other guests during each target\'s run)');
  }
} finally {
  for (const c of children) await stopChild(c);
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
}
