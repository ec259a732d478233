// How long `run` takes to refuse a template the target does not know (no --setup): the probe before
// the load. Starts `serve` (private Redis, SQLite in a temporary folder), then, in alternating
// rounds, times `coupon-bench --version` (the CLI's own start, the baseline) and the refused run.
//
//   node bench/missing-template.js [rounds=3]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/coupon-bench.js', import.meta.url));
const rounds = Number(process.argv[2] ?? 3);
const dir = mkdtempSync(join(tmpdir(), 'cb-bench-missing-'));
const serve = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--db', `sqlite:${join(dir, 's.sqlite')}`], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
const killer = setTimeout(() => serve.kill('SIGKILL'), 120_000);

const url = await new Promise((resolve, reject) => {
  let out = '';
  serve.stdout.on('data', (d) => {
    out += d;
    const m = /listening on (http:\/\/\S+)/.exec(out);
    if (m) resolve(m[1]);
  });
  serve.once('exit', () => reject(new Error(`serve exited: ${out}`)));
});

function timed(args) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  return { ms: performance.now() - t0, code: r.status, err: r.stderr.trim() };
}

const base = [];
const refused = [];
for (let i = 0; i < rounds; i++) {
  base.push(timed(['--version']).ms);
  const r = timed(['run', 'seed-k6', '--target', url, '--template-id', '4242', '--out', `r${i}`]);
  if (r.code !== 97) throw new Error(`expected exit 97, got ${r.code}: ${r.err}`);
  refused.push(r.ms);
}
serve.kill('SIGTERM');
await new Promise((r) => serve.once('exit', r));
clearTimeout(killer);
rmSync(dir, { recursive: true, force: true });

const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`--version (CLI start):       ${base.map((x) => x.toFixed(0)).join(', ')} ms, median ${med(base).toFixed(0)}`);
console.log(`run, template missing (97):  ${refused.map((x) => x.toFixed(0)).join(', ')} ms, median ${med(refused).toFixed(0)}`);
console.log(`ratio refused / CLI start:   ${(med(refused) / med(base)).toFixed(2)}`);
