import { Command } from 'commander';
import { withExitCode } from './action.js';
import { colorEnabled } from '../color.js';

interface CompareOpts {
  maxRegression: string[];
  minLatencyDelta?: string;
  json?: boolean;
  junit?: string;
  html?: string;
}

/** `coupon-bench compare`: compare two runs and gate regressions (exit 99). */
export function compareCommand(): Command {
  return new Command('compare')
    .description('compare two runs metric by metric and gate regressions (exit 99; 97 when a run checked nothing)')
    .argument('<base.json>', 'the baseline report.json')
    .argument('<new.json>', 'the new report.json')
    .option(
      '--max-regression <spec>',
      'fail (exit 99) when a gated metric got worse by more than this: "10%" gates rate,p50,p90,p95,p99; ' +
        '"p95=5%,rate=10%" gates single metrics; "all=10%" gates every metric (repeatable)',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option('--min-latency-delta <ms>', 'noise floor: a latency that got worse by less than this many ms never fails the gate')
    .option('--json', 'print the comparison as JSON')
    .option('--junit <file>', 'write the gated metrics as JUnit XML test cases')
    .option('--html <file>', 'write a page overlaying the two runs (latency percentiles, throughput, outcomes)')
    .addHelpText(
      'after',
      '\nMetrics: rate (higher is better); p50 p90 p95 p99 p99.9 max mean p95-uncorrected p99-uncorrected,\n' +
        'unknown, dropped (lower is better); checks (higher is better). Percentiles come from the HDR histograms.',
    )
    .action(
      withExitCode(async (basePath: string, newPath: string, opts: CompareOpts) => {
        const { prepareOutputFile, writeOutputFile } = await import('../output-path.js');
        if (opts.junit !== undefined) await prepareOutputFile('--junit', opts.junit);
        if (opts.html !== undefined) await prepareOutputFile('--html', opts.html);
        const { readReport } = await import('../report/compare-read-report.js');
        const { parseMaxRegression, parseMinLatencyDelta } = await import('../report/compare-gates.js');
        const { compareReports } = await import('../report/compare.js');
        const gates = parseMaxRegression(opts.maxRegression);
        if (opts.minLatencyDelta !== undefined) gates.minLatencyDeltaMs = parseMinLatencyDelta(opts.minLatencyDelta);
        const [base, next] = await Promise.all([readReport(basePath), readReport(newPath)]);
        const result = compareReports(base, next, gates);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        } else {
          const { formatCompareTable } = await import('../report/compare-table.js');
          const color = colorEnabled(process.stdout);
          process.stdout.write(`${formatCompareTable(result, { color })}\n`);
        }
        if (opts.html !== undefined) {
          const { renderCompareHtml } = await import('../report/html-compare.js');
          await writeOutputFile(opts.html, renderCompareHtml(base, next, result));
        }
        if (opts.junit !== undefined) {
          const { writeJUnit } = await import('../report/junit-write.js');
          const { compareSuite } = await import('../report/junit-suites.js');
          await writeJUnit(opts.junit, [compareSuite(result)]);
        }
        return result.exitCode;
      }),
    );
}
