// A pipelined burst on one connection: how long `serve` takes to answer N issue requests written in
// one go, on the fast front (the default) and through node:http (`--http-front node`).
//
//   npm run build && node bench/serve-pipelined.js [--requests 900] [--rounds 7] [--no-follow]
//
// Both servers run as child processes on one private redis-server, without the persister. Each
// round sends one burst to each (in rotating order, fresh users every time) and then one more
// request on the same connection, which must be answered too (a stalled connection fails the
// round; --no-follow leaves it out). Prints the median time per front and the fast/node ratio of the medians.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { startManagedRedis } from '../dist/redis/managed-redis.js';
import { createTemplate } from '../dist/server/admin-client.js';
import { startChild, stopChild } from './wrk-issue.js';

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '900' },
    rounds: { type: 'string', default: '7' },
    // time the burst only (a server that stalls after a burst can be measured too)
    'no-follow': { type: 'boolean', default: false },
  },
});
const N = Number(args.requests);
const FOLLOW = !args['no-follow'];
const ROUNDS = Number(args.rounds);
const BIN = fileURLToPath(new URL('../bin/coupon-bench.js', import.meta.url));

const post = (userId, extra = '') => {
  const body = JSON.stringify({ userId, templateId: 1 });
  return `POST /api/coupons/issue HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`;
};

/** ms from writing the burst to its last answer; rejects when the request after it gets no answer. */
function burst(port, firstUser) {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let seen = 0;
    let tail = '';
    let t0 = 0;
    let ms = 0;
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`${seen} of ${N + 1} answers within 10 s`));
    }, 10_000);
    sock.on('connect', () => {
      t0 = performance.now();
      sock.write(Array.from({ length: N }, (_, i) => post(firstUser + i)).join(''));
    });
    sock.on('data', (d) => {
      const text = tail + d.toString('latin1');
      seen += text.split('HTTP/1.1 ').length - 1;
      tail = text.slice(-8);
      if (seen >= N && ms === 0) {
        ms = performance.now() - t0;
        if (FOLLOW) sock.write(post(firstUser + N, 'Connection: close\r\n'));
      }
      if (seen >= N + (FOLLOW ? 1 : 0)) {
        clearTimeout(timer);
        sock.destroy();
        resolve(ms);
      }
    });
    sock.on('error', reject);
  });
}

const dir = mkdtempSync(join(tmpdir(), 'cb-bench-pipelined-'));
const redis = await startManagedRedis();
const children = [];
try {
  const fronts = [];
  for (const front of ['fast', 'node']) {
    const argv = [BIN, 'serve', '--port', '0', '--redis', redis.url, '--db', `sqlite:${join(dir, `${front}.sqlite`)}`, '--prefix', `pl${front}`];
    const s = await startChild([...argv, '--no-persister', '--http-front', front]);
    children.push(s.child);
    await createTemplate(s.url, 1, 1_000_000_000);
    fronts.push({ front, port: Number(new URL(s.url).port), ms: [] });
  }
  let user = 1;
  for (const f of fronts) {
    await burst(f.port, user); // warm-up
    user += N + 1;
  }
  console.log(`${N} pipelined issue requests in one write, one connection; ${ROUNDS} rounds, fronts in rotating order`);
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < fronts.length; k++) {
      const f = fronts[(k + round) % fronts.length];
      f.ms.push(await burst(f.port, user));
      user += N + 1;
    }
    console.log(`  round ${round + 1}: ${fronts.map((f) => `${f.front} ${f.ms[round].toFixed(0)} ms`).join(', ')}`);
  }
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const [fast, node] = fronts.map((f) => med(f.ms));
  console.log(`medians: fast front ${fast.toFixed(0)} ms, node:http front ${node.toFixed(0)} ms; fast/node ${(fast / node).toFixed(2)}`);
} finally {
  for (const c of children) await stopChild(c);
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
}
