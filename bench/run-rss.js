// Benchmark: the generator's memory stays flat. Runs a closed model with no think time (the highest
// rate this machine allows) against a bare node:http target in its own process, unique user ids and
// the FULL ledger (a line per request: the worst case), sampling this process's RSS every second.
// Goal: RSS grows <= 50 MB after the first 5 s.
// Usage: npm run build && node bench/run-rss.js [--duration 60] [--vus 64]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runScenario } from '../dist/run/run-scenario.js';

const { values } = parseArgs({ options: { duration: { type: 'string', default: '60' }, vus: { type: 'string', default: '64' } } });
const D = Number(values.duration);
const VUS = Number(values.vus);
const WARM_S = Math.min(5, D / 4);

const TARGET_SRC = `
import { createServer } from 'node:http';
let seq = 0;
const srv = createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    seq++;
    const body = seq % 10 === 0 ? JSON.stringify({ couponId: '1-' + seq, userId: 1, templateId: 1, seq, issuedAt: Date.now() })
                                : '{"code":"COUPON_OUT_OF_STOCK","message":"sold out","status":400}';
    res.writeHead(seq % 10 === 0 ? 200 : 400, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
srv.keepAliveTimeout = 60000;
srv.listen(0, '127.0.0.1', () => console.log('PORT ' + srv.address().port));
`;

const child = spawn(process.execPath, ['--input-type=module', '-e', TARGET_SRC], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((resolve) => child.stdout.on('data', (d) => {
  const m = /PORT (\d+)/.exec(d.toString());
  if (m) resolve(`http://127.0.0.1:${m[1]}`);
}));
const dir = mkdtempSync(join(tmpdir(), 'cb-bench-rss-'));
const samples = [];
const mb = (b) => b / 1048576;
try {
  let t0 = 0;
  const r = await runScenario(
    {
      scenario: {
        name: 'rss',
        target: url,
        executor: 'constant-vus',
        vus: VUS,
        duration: `${D}s`,
        users: { type: 'sequential', start: 1 },
        templates: [{ id: 1, stock: 1_000_000_000 }],
        seed: 1,
      },
      ledgerMode: 'full',
      outDir: join(dir, 'run'),
    },
    (e) => {
      if (e.type === 'start') t0 = performance.now();
      if (e.type === 'tick') samples.push({ t: (performance.now() - t0) / 1000, rss: process.memoryUsage().rss, reqs: e.tick.total });
    },
  );
  const base = samples.find((s) => s.t >= WARM_S) ?? samples[0];
  const later = samples.filter((s) => s.t >= WARM_S);
  const peak = Math.max(...later.map((s) => s.rss));
  const last = later[later.length - 1];
  console.log(`rss: ${D}s, ${VUS} VUs, no think time, full ledger, unique users -> ${url}`);
  console.log(`  requests ${r.report.metrics.http_reqs.count} (${r.report.metrics.http_reqs.rate.toFixed(0)}/s), ledger ${(mb(statSync(r.ledgerPath).size)).toFixed(1)} MB on disk`);
  console.log(`  RSS at ${WARM_S}s ${mb(base.rss).toFixed(1)} MB, peak after ${mb(peak).toFixed(1)} MB, at end ${mb(last.rss).toFixed(1)} MB`);
  console.log(`  growth after the first ${WARM_S}s: ${mb(peak - base.rss).toFixed(1)} MB (goal <= 50)  ${mb(peak - base.rss) <= 50 ? 'OK' : 'MISS'}`);
  console.log(`  samples (s:MB): ${samples.filter((_, i) => i % Math.max(1, Math.floor(samples.length / 12)) === 0).map((s) => `${s.t.toFixed(0)}:${mb(s.rss).toFixed(0)}`).join(' ')}`);
} finally {
  child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
