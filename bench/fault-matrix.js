// The fault matrix: each fault alone, mid-run, against the run's own serve child, private Redis and
// (PostgreSQL, MariaDB) database proxy, then verify. Prints per fault and database: requests sent,
// unknown answers (whole run and during the fault), the time until issuance answered again after the
// fault was lifted (median of the rounds), and the verdict.
//
//   npm run build && node bench/fault-matrix.js [--rounds 3] [--engines sqlite,postgres,mysql]
//        [--faults kill-serve,restart-redis,...] [--rate 200] [--duration 4s]
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

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    engines: { type: 'string', default: 'sqlite,postgres,mysql' },
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

const root = mkdtempSync(join(tmpdir(), 'cb-fault-matrix-'));
const rows = [];
try {
  for (const engine of engines) {
    for (const fault of faults) {
      const runs = [];
      for (let r = 0; r < rounds; r++) {
        const dir = join(root, `${engine}-${fault}-${r}`);
        const db = dbFor(engine);
        const rate = Number(args.rate);
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
          },
          outDir: dir,
          serve: true,
          verify: true,
          faults: [parseFaultArg(SPEC[fault])],
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
        process.stderr.write(`${engine} ${SPEC[fault]} round ${r + 1}/${rounds}: recovery ${fmtMs(band?.recoveryMs)}, ${runs.at(-1).verdict}\n`);
        rmSync(dir, { recursive: true, force: true });
      }
      rows.push({
        engine,
        fault: SPEC[fault],
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
