// Child of bench/verify-1m.js: run one audit and report wall time and peak RSS as JSON on stdout.
import { verify } from '../dist/verify/verify.js';

const [redisUrl, dbUrl, prefix, ledgerPath, stock] = process.argv.slice(2);
const t0 = performance.now();
const v = await verify({ redisUrl, dbUrl, prefix, ledgerPath, templateIds: [1], stocks: { 1: Number(stock) }, drainTimeoutMs: 0 });
const ms = performance.now() - t0;
process.stdout.write(
  JSON.stringify({
    ms,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    // CPU time of the audit process: steadier than wall time on a shared machine.
    cpuMs: (process.resourceUsage().userCPUTime + process.resourceUsage().systemCPUTime) / 1000,
    exitCode: v.exitCode,
    headline: v.headline,
    statuses: Object.fromEntries(v.invariants.map((i) => [i.name, i.status])),
  }) + '\n',
);
