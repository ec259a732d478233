// Benchmark: scenarios/seed-k6.json (100 VUs, 10 s, sleep 100 ms, users 1-100, stock 10) against
// `coupon-bench serve` running as its own process (managed Redis, SQLite in a temp folder).
// Goals: iterations >= 9,850 of the 10,000 possible, avg <= 1.5 ms, p(95) <= 3 ms.
// The original system managed 5,839 iterations, avg 31.71 ms, p(95) 84.24 ms.
// Usage: npm run build && node bench/run-seed.js [--duration 10s] [--vus 100]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runScenario } from '../dist/load/run-scenario.js';
import { createTemplate } from '../dist/server/admin-client.js';
import { parseDuration } from '../dist/load/duration.js';

const { values } = parseArgs({ options: { duration: { type: 'string' }, vus: { type: 'string' } } });
const BIN = fileURLToPath(new URL('../bin/coupon-bench.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cb-bench-seed-'));

const serve = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--db', `sqlite:${join(dir, 'seed.sqlite')}`], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
let out = '';
const url = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`serve did not start:\n${out}`)), 20_000);
  const onData = (d) => {
    out += d;
    const m = /listening on (http:\/\/\S+)/.exec(out);
    if (m) {
      clearTimeout(timer);
      resolve(m[1]);
    }
  };
  serve.stdout.on('data', onData);
  serve.stderr.on('data', onData);
  serve.on('exit', (code) => reject(new Error(`serve exited ${code}:\n${out}`)));
});

try {
  await createTemplate(url, 1, 10);
  const overrides = { target: url };
  if (values.duration) overrides.duration = values.duration;
  if (values.vus) overrides.vus = Number(values.vus);
  const r = await runScenario({ scenarioPath: 'seed-k6', overrides, outDir: join(dir, 'run') });
  const m = r.report.metrics;
  const vus = overrides.vus ?? 100;
  const seconds = parseDuration(overrides.duration ?? '10s') / 1000;
  const possible = Math.round((vus * seconds) / 0.1);
  const d = m.http_req_duration;
  console.log(`seed-k6 against coupon-bench serve (${url}), ${vus} VUs, ${seconds}s, think 100 ms`);
  console.log(`  iterations ${m.iterations.count} of ${possible} possible  (goal >= ${Math.round(possible * 0.985)}; original k6 run: 5,839)  ${m.iterations.count >= possible * 0.985 ? 'OK' : 'MISS'}`);
  console.log(`  http_req_duration avg ${d.avg} ms (goal <= 1.5; original 31.71)  ${d.avg <= 1.5 ? 'OK' : 'MISS'}`);
  console.log(`  http_req_duration p(95) ${d['p(95)']} ms (goal <= 3; original 84.24)  ${d['p(95)'] <= 3 ? 'OK' : 'MISS'}`);
  console.log(`  med ${d.med} ms  p(99) ${d['p(99)']} ms  max ${d.max} ms`);
  console.log(`  measured think time ${r.report.harness.thinkActualMs} ms; outcomes ${JSON.stringify(r.report.outcomes)}`);
  console.log(`  checks ${(m.checks.rate * 100).toFixed(2)}%  exit ${r.exitCode}`);
} finally {
  serve.kill('SIGTERM');
  await new Promise((resolve) => serve.once('exit', resolve));
  rmSync(dir, { recursive: true, force: true });
}
