// Issue throughput of `serve --workers 1` vs `serve --workers 2` on this machine (wrk, 64
// connections, one thread, every request a new user; each serve on a private redis-server and a
// SQLite file of its own). Rounds alternate the order; the ratio of the medians is printed.
//
//   npm run build && node bench/serve-workers.js [--rounds 3] [--seconds 5] [--connections 64]
//
// On a 2-core machine wrk, Redis and the workers share the cores, so the ratio says what a second
// process buys here, not on a bigger host.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createTemplate } from '../dist/server/admin-client.js';

const { values: args } = parseArgs({
  options: { rounds: { type: 'string', default: '3' }, seconds: { type: 'string', default: '5' }, connections: { type: 'string', default: '64' } },
});
if (spawnSync('wrk', ['--version']).error) {
  console.error('bench: wrk not found; install it with `apt-get install -y wrk`');
  process.exit(1);
}
const BIN = fileURLToPath(new URL('../bin/coupon-bench.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cb-bench-workers-'));
const LUA = join(dir, 'issue.lua');
writeFileSync(
  LUA,
  `wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local n = 0
local base = 0
init = function(args) base = tonumber(args[1]) end
request = function()
  n = n + 1
  return wrk.format(nil, nil, nil, '{"userId":' .. (base + n) .. ',"templateId":1}')
end
`,
);

function startServe(workers, tag) {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--workers', String(workers), '--db', `sqlite:${join(dir, `${tag}.sqlite`)}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${out}`)), 30_000);
    child.stdout.on('data', () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m && /issue: /.test(out)) {
        clearTimeout(timer);
        resolve({ child, url: m[1] });
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}:\n${out}`)));
  });
}

async function stop(child) {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(t);
}

let runs = 0;
function wrk(url, seconds) {
  const base = String(++runs * 1_000_000_000);
  return new Promise((resolve, reject) => {
    const p = spawn('wrk', ['-t1', `-c${args.connections}`, `-d${seconds}s`, '-s', LUA, `${url}/api/coupons/issue`, '--', base]);
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.once('exit', () => {
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
      if (!rps) return reject(new Error(`wrk output not understood:\n${out}`));
      const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
      resolve({ rps: Number(rps[1]), non2xx: non2xx ? Number(non2xx[1]) : 0 });
    });
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const results = { 1: [], 2: [] };
try {
  for (let r = 0; r < Number(args.rounds); r++) {
    for (const w of r % 2 === 0 ? [1, 2] : [2, 1]) {
      const srv = await startServe(w, `w${w}-r${r}`);
      try {
        await createTemplate(srv.url, 1, 1_000_000_000);
        await wrk(srv.url, 1); // warm-up: JIT, connections
        const res = await wrk(srv.url, Number(args.seconds));
        results[w].push(res.rps);
        console.log(`round ${r + 1}: --workers ${w}: ${res.rps.toFixed(0)} req/s${res.non2xx ? ` (${res.non2xx} non-2xx)` : ''}`);
      } finally {
        await stop(srv.child);
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const m1 = median(results[1]);
const m2 = median(results[2]);
console.log(`\nmedian issue throughput: --workers 1 ${m1.toFixed(0)} req/s, --workers 2 ${m2.toFixed(0)} req/s; ratio workers 2 / workers 1 = ${(m2 / m1).toFixed(2)}`);
