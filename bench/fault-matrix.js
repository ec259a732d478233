// The fault matrix: each fault alone, mid-run, against the run's own serve child, private Redis and
// (PostgreSQL, MariaDB) database proxy, then verify. Prints per fault and database: requests sent,
// unknown answers (whole run and during the fault), the time until issuance answered again after the
// fault was lifted (median of the rounds), and the verdict. The `foreign` column does the same to a
// service coupon-bench did not write (the shop fixture, test/fixtures/shop-service, correct variant,
// on PostgreSQL through a --proxy the run owns): kill-target, restart-target, pause-target, cut:db,
// slow:db, drop:db and a hook.
//
//   npm run build && node bench/fault-matrix.js [--rounds 3] [--engines sqlite,postgres,mysql,foreign]
//        [--faults kill-serve,restart-redis,...] [--foreign-faults kill-target,cut,...] [--rate 200] [--duration 4s]
//
// PG_URL and MYSQL_URL (defaults: the loopback services of this machine) name the servers; every run
// writes to a schema / database of its own. Loopback only; each run is bounded by its duration.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runScenario } from '../dist/run/run-scenario.js';
import { parseFaultArg } from '../dist/faults/fault-spec.js';
import { freePort } from '../dist/redis/managed-redis.js';
import pg from 'pg';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    engines: { type: 'string', default: 'sqlite,postgres,mysql,foreign' },
    'foreign-faults': { type: 'string', default: 'kill-target,restart-target,pause-target,cut,slow,drop,hook' },
    faults: { type: 'string', default: 'kill-serve,kill-persister,pause-redis,restart-redis,db-outage,slow-db' },
    rate: { type: 'string', default: '200' },
    duration: { type: 'string', default: '4s' },
  },
});
const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
const SPEC = {
  'kill-serve': 'kill-serve@1500ms',
  'kill-persister': 'kill-persister@1500ms',
  'pause-redis': 'pause-redis@1500ms+500ms',
  'restart-redis': 'restart-redis@1500ms',
  'db-outage': 'db-outage@1500ms+1s',
  'slow-db': 'slow-db@1500ms+1s:100ms',
};
/** The faults of the foreign column, on the shop fixture (its database behind the proxy `db`). */
const FOREIGN_SPEC = {
  'kill-target': 'kill-target@1500ms',
  'restart-target': 'restart-target@1500ms',
  'pause-target': 'pause-target@1500ms+500ms',
  cut: 'cut:db@1500ms+1s',
  slow: 'slow:db@1500ms+1s:100ms',
  drop: 'drop:db@1500ms+1s',
  hook: 'hook:noop@1500ms',
};
const FIXTURE = join(import.meta.dirname, '..', 'test', 'fixtures', 'shop-service');
const rounds = Number(args.rounds);
const engines = args.engines.split(',');
const faults = args.faults.split(',');
const tag = () => randomBytes(4).toString('hex');

function dbFor(engine) {
  if (engine === 'sqlite') return undefined; // the run folder's own SQLite file
  if (engine === 'postgres') return `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}schema=cbfault_${tag()}`;
  const u = new URL(MYSQL_URL);
  u.pathname = `/cbfault_${tag()}`;
  return u.toString();
}

const median = (xs) => {
  const s = xs.filter((x) => x !== undefined).sort((a, b) => a - b);
  if (s.length === 0) return undefined;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmtMs = (v) => (v === undefined ? 'never' : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(0)} ms`);

/**
 * The run's input for one foreign cell: the shop fixture started by the run (its own tables,
 * named by `ns`), its database reached through the proxy `db`, a hook that does nothing.
 */
async function foreignInput(ns, rate) {
  const port = await freePort();
  const proxyPort = await freePort();
  const pgUrl = new URL(PG_URL);
  const viaProxy = new URL(PG_URL);
  viaProxy.port = String(proxyPort);
  const url = `http://127.0.0.1:${port}`;
  return {
    target: url,
    ownTarget: {
      url,
      command: `PORT=${port} SHOP_NS=${ns} SHOP_MODE=correct SHOP_STOCK=1:${rate * 10} SHOP_PG_URL='${viaProxy.href}' exec node shop.mjs`,
      readyUrl: `${url}/healthz`,
      cwd: FIXTURE,
      proxies: [{ name: 'db', listen: { host: '127.0.0.1', port: proxyPort }, upstream: { host: pgUrl.hostname, port: Number(pgUrl.port || 5432) } }],
      hooks: [{ name: 'noop', command: 'true' }],
    },
    stores: { db: PG_URL },
    dbQuery: `SELECT user_id, coupon_id, seq FROM shop_coupons_${ns} WHERE template_id = :template`,
  };
}

async function dropShopTables(namespaces) {
  if (namespaces.length === 0) return;
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  for (const ns of namespaces) await client.query(`DROP TABLE IF EXISTS shop_coupons_${ns}, shop_stock_${ns}`);
  await client.end();
}

const shopNamespaces = [];
const root = mkdtempSync(join(tmpdir(), 'cb-fault-matrix-'));
const rows = [];
try {
  for (const engine of engines) {
    const foreign = engine === 'foreign';
    const specs = foreign ? FOREIGN_SPEC : SPEC;
    for (const fault of foreign ? args['foreign-faults'].split(',') : faults) {
      const runs = [];
      for (let r = 0; r < rounds; r++) {
        const dir = join(root, `${engine}-${fault}-${r}`);
        const db = foreign ? undefined : dbFor(engine);
        const rate = Number(args.rate);
        const ns = `fm${tag()}`;
        if (foreign) shopNamespaces.push(ns);
        const own = foreign ? await foreignInput(ns, rate) : undefined;
        const { report } = await runScenario({
          scenario: {
            name: `fault-${fault}`,
            executor: 'constant-arrival-rate',
            rate,
            timeUnit: '1s',
            duration: args.duration,
            preAllocatedVUs: 32,
            maxVUs: 256,
            users: { type: 'sequential', start: 1 },
            // more stock than arrivals: every band measures issuance, not sold-out answers
            templates: [{ id: 1, stock: rate * 10 }],
            ...(own ? { target: own.target, harness: { maxDroppedRatio: 0.5 } } : {}),
          },
          outDir: dir,
          verify: true,
          faults: [parseFaultArg(specs[fault])],
          ...(own ? { ownTarget: own.ownTarget, stores: own.stores, dbQuery: own.dbQuery } : { serve: true }),
          ...(db ? { stores: { db } } : {}),
        });
        const band = report.faults?.[0];
        runs.push({
          requests: report.metrics.http_reqs.count,
          unknown: report.outcomes.unknown,
          bandUnknown: band?.unknown ?? 0,
          recoveryMs: band?.recoveryMs,
          verdict: report.verdict ? `${report.verdict.ok ? 'PASS' : 'FAIL'} (exit ${report.exitCode})` : `not verified: ${report.harness.reasons.join('; ')}`,
          lost: report.verdict?.invariants.find((i) => i.name === 'no-lost-ack')?.counts.missing ?? '?',
        });
        process.stderr.write(`${engine} ${specs[fault]} round ${r + 1}/${rounds}: recovery ${fmtMs(band?.recoveryMs)}, ${runs.at(-1).verdict}\n`);
        rmSync(dir, { recursive: true, force: true });
      }
      rows.push({
        engine,
        fault: specs[fault],
        requests: median(runs.map((x) => x.requests)),
        unknown: median(runs.map((x) => x.unknown)),
        bandUnknown: median(runs.map((x) => x.bandUnknown)),
        recovery: median(runs.map((x) => x.recoveryMs)),
        recoveries: runs.map((x) => fmtMs(x.recoveryMs)).join(' / '),
        lost: runs.map((x) => x.lost).join('/'),
        verdicts: [...new Set(runs.map((x) => x.verdict))].join(', '),
      });
    }
  }
} finally {
  rmSync(root, { recursive: true, force: true });
  await dropShopTables(shopNamespaces);
}

console.log(`\nfault matrix: ${rounds} round(s) per cell, ${args.rate} req/s for ${args.duration}, fault at 1.5 s (medians)\n`);
const head = ['engine', 'fault', 'requests', 'unknown', 'in fault', 'recovery (median)', 'rounds', 'lost acks', 'verdict'];
const table = rows.map((r) => [r.engine, r.fault, String(r.requests), String(r.unknown), String(r.bandUnknown), fmtMs(r.recovery), r.recoveries, r.lost, r.verdicts]);
const widths = head.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
console.log(line(head));
for (const row of table) console.log(line(row));
const slow = rows.filter((r) => (r.fault.startsWith('kill-serve') || r.fault.startsWith('restart-redis')) && !(r.recovery <= 2000));
console.log(`\nrecovery after kill-serve and restart-redis ≤ 2 s (median): ${slow.length === 0 ? 'yes' : `no: ${slow.map((r) => `${r.engine} ${r.fault}`).join(', ')}`}`);
