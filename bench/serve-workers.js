// Issue throughput of `serve --workers 1` vs `serve --workers 2` on this machine (wrk, 64
// connections, one thread, every request a new user; each serve on a private redis-server and a
// SQLite file of its own). Rounds alternate the order; the ratio of the medians is printed.
//
//   npm run build && node bench/serve-workers.js [--rounds 3] [--seconds 5] [--connections 64]
//
// On a 2-core machine wrk, Redis and the workers share the cores, so the ratio says what a second
// process buys here, not on a bigger host.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createTemplate } from '../dist/server/admin-client.js';
import { issueWrk, requireWrk, startChild, stopChild } from './wrk-issue.js';

const { values: args } = parseArgs({
  options: { rounds: { type: 'string', default: '3' }, seconds: { type: 'string', default: '5' }, connections: { type: 'string', default: '64' } },
});
requireWrk();
const BIN = fileURLToPath(new URL('../bin/coupon-bench.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cb-bench-workers-'));
const wrk = issueWrk(dir, Number(args.connections));

const startServe = (workers, tag) => startChild([BIN, 'serve', '--port', '0', '--workers', String(workers), '--db', `sqlite:${join(dir, `${tag}.sqlite`)}`]);

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
        await stopChild(srv.child);
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const m1 = median(results[1]);
const m2 = median(results[2]);
console.log(`\nmedian issue throughput: --workers 1 ${m1.toFixed(0)} req/s, --workers 2 ${m2.toFixed(0)} req/s; ratio workers 2 / workers 1 = ${(m2 / m1).toFixed(2)}`);
