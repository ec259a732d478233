// Benchmark: coupon-bench's engine vs wrk against one bare node:http target, same connection count.
//
// Fairness (a 2-core, shared machine): the target is pinned to one core and every generator to the
// other (`taskset`), wrk runs one thread (-t1) like our single event loop, each generator runs in its
// own process, a warm-up round goes first, then several rounds alternate which tool goes first, and
// the summary is the median of the per-round ratios (each ratio compares runs made back to back).
// CPU per request: ours from process.cpuUsage() around runScenario() inside the generator process
// (setup and report writing included, node start-up excluded); wrk's from /proc (utime+stime of the
// wrk process, read as the reaped children's cutime+cstime of a wrapper shell: no time(1) rounding).
// The target answers every POST with 400 COUPON_OUT_OF_STOCK (the common answer in a flash sale).
// --floors adds reference loops measured the same way in the same rounds: a bare undici dispatch()
// loop (what any undici engine costs), a bare node:net loop writing one pre-built request (what
// Node itself costs) and the same with `onread` (a static read buffer: the leanest Node client). They show the floor an undici-based engine cannot go below.
// --baseline-dist DIR adds another build of coupon-bench (e.g. an older commit compiled to DIR/dist's
// layout) to the same rounds, so before/after figures come from the same conditions.
// `ours-undici` is the same engine with `--http-client undici` (undici dispatch() instead of the lean client).
// Usage: npm run build && node bench/run-vs-wrk.js [--connections 50] [--duration 3] [--rounds 3]
//        [--floors] [--baseline-dist /tmp/old/dist] [--gen-core 0] [--target-core 1]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '50' },
    duration: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
    floors: { type: 'boolean', default: false },
    'gen-core': { type: 'string', default: '0' },
    'target-core': { type: 'string', default: '1' },
    child: { type: 'string' },
    url: { type: 'string' },
    out: { type: 'string' },
    dist: { type: 'string' },
    'baseline-dist': { type: 'string' },
  },
});
const C = Number(values.connections);
const D = Number(values.duration);
const BODY = Buffer.from('{"userId":1,"templateId":1}');
const PATH = '/api/coupons/issue';
const WARMUP_S = 1;

// ---------------------------------------------------------------- generator processes (--child)

async function childOurs(url, dir, seconds = D, httpClient = undefined) {
  // A baseline build may predate src/run/ (runScenario was in load/ then).
  const entry = (d) => pathToFileURL(join(d, existsSync(join(d, 'run/run-scenario.js')) ? 'run/run-scenario.js' : 'load/run-scenario.js')).href;
  const dist = values.dist ? entry(values.dist) : '../dist/run/run-scenario.js';
  const { runScenario } = await import(dist);
  const scenario = {
    name: 'vs-wrk',
    target: url,
    executor: 'constant-vus',
    vus: C,
    duration: `${seconds}s`,
    users: { type: 'uniform', min: 1, max: 100 },
    templates: [{ id: 1, stock: 10 }],
    seed: 1,
  };
  const cpu0 = process.cpuUsage();
  const r = await runScenario({ scenario, outDir: join(dir, `ours-${process.pid}-${seconds}`), ...(httpClient ? { httpClient } : {}) });
  const cpu = process.cpuUsage(cpu0);
  const reqs = r.report.metrics.http_reqs.count;
  return {
    reqs,
    seconds: reqs / r.report.metrics.http_reqs.rate,
    cpuUs: cpu.user + cpu.system,
    engineCpuPerReqUs: r.report.harness.cpuUsPerRequest,
    p99: r.report.metrics.http_req_duration['p(99)'],
  };
}

/**
 * C request loops for `seconds`: `startOne(answered, done)` starts one; it calls `answered()` per
 * complete answer (true: send again) and `done()` when it has stopped. Counts answers and CPU.
 */
async function timedLoop(seconds, startOne) {
  let n = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  const answered = () => {
    n++;
    return performance.now() <= end;
  };
  await Promise.all(Array.from({ length: C }, () => new Promise((done) => startOne(answered, done))));
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { reqs: n, seconds: elapsed, cpuUs: cpu.user + cpu.system };
}

/** Reference: a bare undici dispatch() loop, no recording at all. */
async function childUndici(url, _dir, seconds = D) {
  const { Client } = await import('undici');
  const opts = { origin: url, method: 'POST', path: PATH, headers: ['content-type', 'application/json'], body: BODY };
  return timedLoop(seconds, (answered, done) => {
    const c = new Client(url, { pipelining: 1, headersTimeout: 0, bodyTimeout: 0 });
    const handler = {
      onConnect() {},
      onHeaders: () => true,
      onData: () => true,
      onComplete() {
        if (answered()) c.dispatch(opts, handler);
        else c.close().then(done);
      },
      onError: done,
    };
    c.dispatch(opts, handler);
  });
}

/**
 * A bare node:net loop: `open(host, port, req, answered)` opens one connection that writes `req`
 * and calls `answered()` per complete answer; answered() says whether to send again.
 */
async function netLoop(url, seconds, open) {
  const { hostname, port } = new URL(url);
  const req = Buffer.concat([Buffer.from(`POST ${PATH} HTTP/1.1\r\nhost: ${hostname}:${port}\r\ncontent-type: application/json\r\ncontent-length: ${BODY.length}\r\n\r\n`), BODY]);
  return timedLoop(seconds, (answered, done) => {
    const s = open(hostname, Number(port), req, () => {
      if (answered()) return true;
      s.end();
      done();
      return false;
    });
    s.on('connect', () => s.write(req));
    s.on('error', done);
  });
}

/** Reference: a bare node:net loop, one pre-built request per write, minimal response framing. */
async function childNet(url, _dir, seconds = D) {
  const { connect } = await import('node:net');
  return netLoop(url, seconds, (host, port, req, answered) => {
    const s = connect(port, host);
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      const he = buf.indexOf('\r\n\r\n');
      if (he < 0) return;
      const len = Number(/content-length: (\d+)/i.exec(buf)?.[1] ?? 0);
      if (buf.length < he + 4 + len) return;
      buf = buf.slice(he + 4 + len);
      if (answered()) s.write(req);
    });
    return s;
  });
}

/**
 * Reference: the leanest Node client there is: node:net with `onread` (one static read buffer, no
 * stream 'data' path, no allocation per read), a pre-built request, the response length scanned in
 * place. Nothing a real engine could undercut in Node.
 */
async function childNetOnread(url, _dir, seconds = D) {
  const { connect } = await import('node:net');
  return netLoop(url, seconds, (host, port, req, answered) => {
    // Responses of this target are small and come whole: count one per read that ends a body.
    const s = connect({
      port,
      host,
      onread: {
        buffer: Buffer.alloc(16 * 1024),
        callback: (nread, buf) => {
          if (buf[nread - 1] !== 125 /* } */) return true;
          if (!answered()) return false;
          s.write(req);
          return true;
        },
      },
    });
    return s;
  });
}

if (values.child) {
  const fn = {
    ours: childOurs,
    'ours-undici': (url, dir, seconds) => childOurs(url, dir, seconds, 'undici'),
    baseline: childOurs,
    undici: childUndici,
    net: childNet,
    'net-onread': childNetOnread,
  }[values.child];
  // In-process warm-up: V8 optimizes the hot path in background threads that share the pinned core;
  // a measured run straight after start-up would time the interpreter, not the steady state.
  await fn(values.url, values.out, WARMUP_S);
  const r = await fn(values.url, values.out);
  process.stdout.write(`RESULT ${JSON.stringify(r)}\n`);
  process.exit(0);
}

// ---------------------------------------------------------------- orchestration

for (const tool of ['wrk', 'taskset']) {
  if (spawnSync(tool, ['--version']).error) {
    console.error(`${tool} is not installed (Debian: apt-get install -y ${tool === 'wrk' ? 'wrk' : 'util-linux'})`);
    process.exit(1);
  }
}
const GEN = values['gen-core'];
const TGT = values['target-core'];
const ROUNDS = Number(values.rounds);
const SELF = fileURLToPath(import.meta.url);
const TICK = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim() || 100);

const TARGET_SRC = `
import { createServer } from 'node:http';
const body = JSON.stringify({ code: 'COUPON_OUT_OF_STOCK', message: 'sold out', status: 400 });
const len = String(Buffer.byteLength(body));
const srv = createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => { res.writeHead(400, { 'content-type': 'application/json', 'content-length': len }); res.end(body); });
});
srv.keepAliveTimeout = 60000;
srv.listen(0, '127.0.0.1', () => console.log('PORT ' + srv.address().port));
`;

/** utime+stime of a live process, µs. */
function procCpuUs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields after "pid (comm) ": state=0 ... utime=11 stime=12
    return ((Number(f[11]) + Number(f[12])) / TICK) * 1e6;
  } catch {
    return NaN;
  }
}

function startTarget() {
  return new Promise((resolve, reject) => {
    const child = spawn('taskset', ['-c', TGT, process.execPath, '--input-type=module', '-e', TARGET_SRC], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (d) => {
      const m = /PORT (\d+)/.exec(d.toString());
      if (m) resolve({ child, url: `http://127.0.0.1:${m[1]}` });
    });
    child.on('error', reject);
  });
}

function collect(child) {
  return new Promise((resolve) => {
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => resolve({ out, err, code }));
  });
}

async function runWrk(url, dir, seconds) {
  const script = join(dir, 'post.lua');
  writeFileSync(script, `wrk.method = "POST"\nwrk.body = '${BODY.toString()}'\nwrk.headers["Content-Type"] = "application/json"\n`);
  // The wrapper shell reaps wrk, then prints its own /proc stat: fields cutime/cstime are wrk's CPU.
  const cmd = `wrk -t1 -c${C} -d${seconds}s -s ${script} ${url}${PATH}; cat /proc/$$/stat`;
  const { out } = await collect(spawn('taskset', ['-c', GEN, 'sh', '-c', cmd], { stdio: ['ignore', 'pipe', 'pipe'] }));
  const reqs = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const secs = Number(/requests in ([\d.]+)s/.exec(out)?.[1] ?? seconds);
  const statLine = out.trim().split('\n').pop() ?? '';
  const f = statLine.slice(statLine.lastIndexOf(')') + 2).split(' ');
  const cpuUs = ((Number(f[13]) + Number(f[14])) / TICK) * 1e6; // cutime, cstime
  return { reqs, rate: reqs / secs, cpuPerReqUs: cpuUs / reqs };
}

async function runChild(kind, url, dir) {
  const args = [SELF, '--child', kind, '--url', url, '--out', dir, '--connections', String(C), '--duration', String(D)];
  if (kind === 'baseline') args.push('--dist', values['baseline-dist']);
  const child = spawn('taskset', ['-c', GEN, process.execPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const { out, err, code } = await collect(child);
  const m = /RESULT (.*)/.exec(out);
  if (!m) throw new Error(`${kind} generator failed (exit ${code}):\n${err}`);
  const r = JSON.parse(m[1]);
  return { ...r, rate: r.reqs / r.seconds, cpuPerReqUs: r.cpuUs / r.reqs };
}

/** Run one generator and the target's CPU use during it (to see which side was the bottleneck). */
async function measure(kind, url, dir, target) {
  const t0 = performance.now();
  const c0 = procCpuUs(target.pid);
  const r = kind === 'wrk' ? await runWrk(url, dir, D) : await runChild(kind, url, dir);
  r.targetBusy = (procCpuUs(target.pid) - c0) / ((performance.now() - t0) * 1000);
  return r;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (name, r) =>
  `  ${name.padEnd(14)}${r.rate.toFixed(0).padStart(8)} req/s  cpu ${r.cpuPerReqUs.toFixed(2).padStart(6)} µs/req  target busy ${(r.targetBusy * 100).toFixed(0)}%` +
  (r.engineCpuPerReqUs !== undefined ? `  (executor only ${r.engineCpuPerReqUs} µs/req, p99 ${r.p99} ms)` : '');

const NAMES = { ours: 'coupon-bench', 'ours-undici': 'cb --http-client undici', baseline: 'baseline build', undici: 'bare dispatch', net: 'bare node:net', 'net-onread': 'net + onread' };
const dir = mkdtempSync(join(tmpdir(), 'cb-bench-wrk-'));
const { child: targetProc, url } = await startTarget();
const target = { pid: targetProc.pid };
// taskset execs node in place, so the pid is node's.
console.log(`target ${url} pinned to core ${TGT}; generators pinned to core ${GEN}; ${C} connections, ${D}s per run, ${ROUNDS} rounds`);
console.log(`load average at start: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
const kinds = ['wrk', 'ours', 'ours-undici', ...(values['baseline-dist'] ? ['baseline'] : []), ...(values.floors ? ['undici', 'net', 'net-onread'] : [])];
const rows = [];
try {
  // Warm-up: JIT of the target and page cache; not counted.
  await runWrk(url, dir, 1);
  await runChild('ours', url, dir);
  for (let round = 1; round <= ROUNDS; round++) {
    // Alternate the order so neither tool always runs on the warmer (or quieter) side.
    const order = round % 2 === 1 ? kinds : [...kinds].reverse();
    const r = {};
    for (const k of order) r[k] = await measure(k, url, dir, target);
    rows.push(r);
    console.log(`round ${round} (order ${order.join(', ')})`);
    for (const k of kinds) console.log(fmt(NAMES[k] ?? k, r[k]));
    console.log(`  ratios vs wrk: rate ${(r.ours.rate / r.wrk.rate).toFixed(3)}  cpu/req ${(r.ours.cpuPerReqUs / r.wrk.cpuPerReqUs).toFixed(3)}`);
  }
  const ratio = (k, f) => median(rows.map((r) => r[k][f] / r.wrk[f]));
  console.log(`\nmedian over ${ROUNDS} rounds (load average now ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})`);
  console.log(`  wrk            ${median(rows.map((r) => r.wrk.rate)).toFixed(0)} req/s, ${median(rows.map((r) => r.wrk.cpuPerReqUs)).toFixed(2)} µs/req`);
  console.log(`  coupon-bench   ${median(rows.map((r) => r.ours.rate)).toFixed(0)} req/s, ${median(rows.map((r) => r.ours.cpuPerReqUs)).toFixed(2)} µs/req`);
  console.log(`  rate ratio    (goal >= 0.95): ${ratio('ours', 'rate').toFixed(3)}`);
  console.log(`  cpu/req ratio (goal <= 1.5):  ${ratio('ours', 'cpuPerReqUs').toFixed(3)}`);
  console.log(`  with --http-client undici: rate x${ratio('ours-undici', 'rate').toFixed(3)}, cpu/req x${ratio('ours-undici', 'cpuPerReqUs').toFixed(3)} of wrk`);
  if (values['baseline-dist']) {
    console.log(`  baseline build (${values['baseline-dist']}): rate x${ratio('baseline', 'rate').toFixed(3)}, cpu/req x${ratio('baseline', 'cpuPerReqUs').toFixed(3)} of wrk`);
    console.log(`  coupon-bench over baseline build: rate x${median(rows.map((r) => r.ours.rate / r.baseline.rate)).toFixed(3)}, cpu/req x${median(rows.map((r) => r.ours.cpuPerReqUs / r.baseline.cpuPerReqUs)).toFixed(3)}`);
  }
  if (values.floors) {
    console.log(`  floor, bare undici dispatch(): rate x${ratio('undici', 'rate').toFixed(3)}, cpu/req x${ratio('undici', 'cpuPerReqUs').toFixed(3)} of wrk`);
    console.log(`  floor, bare node:net loop:     rate x${ratio('net', 'rate').toFixed(3)}, cpu/req x${ratio('net', 'cpuPerReqUs').toFixed(3)} of wrk`);
    console.log(`  floor, node:net with onread:   rate x${ratio('net-onread', 'rate').toFixed(3)}, cpu/req x${ratio('net-onread', 'cpuPerReqUs').toFixed(3)} of wrk`);
    console.log(`  coupon-bench over bare dispatch(): cpu/req x${median(rows.map((r) => r.ours.cpuPerReqUs / r.undici.cpuPerReqUs)).toFixed(3)}`);
  }
} finally {
  targetProc.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
