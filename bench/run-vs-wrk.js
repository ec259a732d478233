// Benchmark: coupon-bench's engine vs wrk against one bare node:http target, same connection count.
// Prints both request rates, their ratio (goal >= 0.95) and generator CPU time per request for both
// (ours: process.cpuUsage around the run; wrk's: user+sys from bash `time`) and their ratio (goal <= 1.5).
// The target answers every POST with 400 COUPON_OUT_OF_STOCK (the common answer in a flash sale).
// --floors adds two reference loops measured the same way: a bare undici dispatch() loop (what any
// undici engine costs) and a bare node:net loop writing one pre-built request (what Node costs).
// Usage: npm run build && node bench/run-vs-wrk.js [--connections 50] [--duration 5] [--rounds 1] [--floors]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connect } from 'node:net';
import { Client } from 'undici';
import { runScenario } from '../dist/load/run-scenario.js';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '50' },
    duration: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '1' },
    floors: { type: 'boolean', default: false },
  },
});
const C = Number(values.connections);
const D = Number(values.duration);
const ROUNDS = Number(values.rounds);

if (spawnSync('wrk', ['--version']).error) {
  console.error('wrk is not installed (Debian: apt-get install -y wrk)');
  process.exit(1);
}

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

function startTarget() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', TARGET_SRC], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (d) => {
      const m = /PORT (\d+)/.exec(d.toString());
      if (m) resolve({ child, url: `http://127.0.0.1:${m[1]}` });
    });
    child.on('error', reject);
  });
}

function runWrk(url, dir) {
  const script = join(dir, 'post.lua');
  writeFileSync(
    script,
    `wrk.method = "POST"\nwrk.body = '{"userId":1,"templateId":1}'\nwrk.headers["Content-Type"] = "application/json"\n`,
  );
  return new Promise((resolve) => {
    const cmd = `TIMEFORMAT='CPU %U %S'; time wrk -t1 -c${C} -d${D}s -s ${script} ${url}/api/coupons/issue`;
    const child = spawn('bash', ['-c', cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', () => {
      const reqs = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
      const secs = Number(/requests in ([\d.]+)s/.exec(out)?.[1] ?? D);
      const cpu = /CPU ([\d.]+) ([\d.]+)/.exec(err);
      const cpuUs = cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1e6 : NaN;
      resolve({ reqs, rate: reqs / secs, cpuPerReqUs: cpuUs / reqs });
    });
  });
}

async function runOurs(url, dir) {
  const scenario = {
    name: 'vs-wrk',
    target: url,
    executor: 'constant-vus',
    vus: C,
    duration: `${D}s`,
    users: { type: 'uniform', min: 1, max: 100 },
    templates: [{ id: 1, stock: 10 }],
    seed: 1,
  };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await runScenario({ scenario, outDir: join(dir, `ours-${Date.now()}`) });
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const reqs = r.report.metrics.http_reqs.count;
  return {
    reqs,
    rate: r.report.metrics.http_reqs.rate,
    // whole process CPU, run setup and report writing included
    cpuPerReqUs: (cpu.user + cpu.system) / reqs,
    // CPU measured around the executor only
    engineCpuPerReqUs: r.report.harness.cpuUsPerRequest,
    wall,
    p99: r.report.metrics.http_req_duration['p(99)'],
  };
}

const BODY = Buffer.from('{"userId":1,"templateId":1}');

/** Reference: a bare undici dispatch() loop, no recording at all. */
async function floorUndici(url) {
  let n = 0;
  const end = performance.now() + D * 1000;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: C }, () => new Promise((resolve) => {
      const c = new Client(url, { pipelining: 1 });
      const go = () => {
        if (performance.now() > end) return void c.close().then(resolve);
        c.dispatch({ method: 'POST', path: '/api/coupons/issue', headers: ['content-type', 'application/json'], body: BODY }, {
          onConnect() {}, onHeaders: () => true, onData: () => true, onComplete() { n++; go(); }, onError: resolve,
        });
      };
      go();
    })),
  );
  const cpu = process.cpuUsage(cpu0);
  return { rate: n / ((performance.now() - t0) / 1000), cpuPerReqUs: (cpu.user + cpu.system) / n };
}

/** Reference: a bare node:net loop, one pre-built request per write, minimal response framing. */
async function floorNet(url) {
  const { hostname, port } = new URL(url);
  const req = Buffer.concat([Buffer.from(`POST /api/coupons/issue HTTP/1.1\r\nhost: ${hostname}:${port}\r\ncontent-type: application/json\r\ncontent-length: ${BODY.length}\r\n\r\n`), BODY]);
  let n = 0;
  const end = performance.now() + D * 1000;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: C }, () => new Promise((resolve) => {
      const s = connect(Number(port), hostname);
      let buf = '';
      s.on('connect', () => s.write(req));
      s.on('error', resolve);
      s.on('data', (d) => {
        buf += d.toString('latin1');
        const he = buf.indexOf('\r\n\r\n');
        if (he < 0) return;
        const len = Number(/content-length: (\d+)/i.exec(buf)?.[1] ?? 0);
        if (buf.length < he + 4 + len) return;
        buf = buf.slice(he + 4 + len);
        n++;
        if (performance.now() > end) return void (s.end(), resolve());
        s.write(req);
      });
    })),
  );
  const cpu = process.cpuUsage(cpu0);
  return { rate: n / ((performance.now() - t0) / 1000), cpuPerReqUs: (cpu.user + cpu.system) / n };
}

const dir = mkdtempSync(join(tmpdir(), 'cb-bench-wrk-'));
const { child, url } = await startTarget();
try {
  // warm the target's JIT so the first tool is not penalised
  await runWrk(url, dir);
  for (let round = 1; round <= ROUNDS; round++) {
    const wrk = await runWrk(url, dir);
    const ours = await runOurs(url, dir);
    console.log(`round ${round}: ${C} connections, ${D}s each, target ${url}`);
    console.log(`  wrk           ${wrk.rate.toFixed(0).padStart(8)} req/s   cpu ${wrk.cpuPerReqUs.toFixed(2)} µs/req   (${wrk.reqs} requests)`);
    console.log(
      `  coupon-bench  ${ours.rate.toFixed(0).padStart(8)} req/s   cpu ${ours.cpuPerReqUs.toFixed(2)} µs/req (engine ${ours.engineCpuPerReqUs} µs/req)   (${ours.reqs} requests, p99 ${ours.p99} ms)`,
    );
    console.log(`  rate ratio (goal >= 0.95): ${(ours.rate / wrk.rate).toFixed(3)}`);
    console.log(`  cpu/req ratio (goal <= 1.5): ${(ours.cpuPerReqUs / wrk.cpuPerReqUs).toFixed(3)}  (engine only: ${(ours.engineCpuPerReqUs / wrk.cpuPerReqUs).toFixed(3)})`);
    if (values.floors) {
      const u = await floorUndici(url);
      const n = await floorNet(url);
      console.log(`  floor: bare undici dispatch ${u.rate.toFixed(0)} req/s, cpu ${u.cpuPerReqUs.toFixed(2)} µs/req (x${(u.rate / wrk.rate).toFixed(3)} rate, x${(u.cpuPerReqUs / wrk.cpuPerReqUs).toFixed(3)} cpu of wrk)`);
      console.log(`  floor: bare node:net         ${n.rate.toFixed(0)} req/s, cpu ${n.cpuPerReqUs.toFixed(2)} µs/req (x${(n.rate / wrk.rate).toFixed(3)} rate, x${(n.cpuPerReqUs / wrk.cpuPerReqUs).toFixed(3)} cpu of wrk)`);
    }
  }
} finally {
  child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
