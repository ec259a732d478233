import { createReadStream, createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Command } from 'commander';
import { CouponBenchError, UsageError } from '../errors.js';
import type { RunReport } from '../model/report.js';
import { withExitCode } from './action.js';
import { colorEnabled } from '../color.js';

interface MergeFlags {
  out: string;
  json?: boolean;
  quiet?: boolean;
}

async function readReport(path: string): Promise<RunReport> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new UsageError(`merge: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, 'E_MERGE');
  }
  try {
    const r = JSON.parse(text) as RunReport;
    if (typeof r !== 'object' || r === null || !r.histograms || !r.outcomes || !r.ledger) throw new Error('not a run report');
    return r;
  } catch (err) {
    throw new UsageError(`merge: ${path} is not a coupon-bench report.json (${(err as Error).message})`, 'E_MERGE');
  }
}

/**
 * `coupon-bench merge <report.json…> --out <dir>`: the reports of one run split across generators
 * (`run --shard i/n`) as one: histograms added, counters summed, timelines aligned, ledgers
 * concatenated, thresholds judged again on the whole. `verify --report <dir>/report.json` audits it.
 */
export function mergeCommand(): Command {
  return new Command('merge')
    .description('join the reports of one run split across generators (run --shard i/n): histograms added, counters summed, ledgers concatenated')
    .argument('<reports...>', 'report.json of each shard')
    .requiredOption('--out <dir>', 'folder for the merged report.json and ledger.ndjson')
    .option('--json', 'print the merged report JSON instead of the summary')
    .option('--quiet', 'no summary')
    .action(
      withExitCode(async (paths: string[], flags: MergeFlags) => {
        const [{ mergeReports }, { writeRunReport }, { prepareOutputDir }, { evaluateThresholds, parseThresholdMap }, { exitCodeOf }, { formatRunSummary }, { VERSION }, { LEDGER_FILE }, { ledgerPathOf }] = await Promise.all([
          import('../report/merge.js'),
          import('../report/report-json.js'),
          import('../output-path.js'),
          import('../report/thresholds.js'),
          import('../run/finish/finish.js'),
          import('../report/summary.js'),
          import('../shared/version.js'),
          import('../model/ledger-record.js'),
          import('../report/ledger-path.js'),
        ]);
        const reports = await Promise.all(paths.map(readReport));
        // Every ledger path is judged before anything is written.
        const sources = await Promise.all(reports.map((r, i) => ledgerPathOf(paths[i] as string, r.ledger.file)));
        await prepareOutputDir('--out', flags.out);
        const out = resolve(flags.out);
        // The ledgers, one after another, into the merged folder (each shard's own stays where it is).
        const ledgerPath = join(out, LEDGER_FILE);
        const sink = createWriteStream(ledgerPath);
        let records = 0;
        try {
          for (const [i, r] of reports.entries()) {
            const src = sources[i] as string;
            if (src === ledgerPath) throw new UsageError(`merge: --out ${flags.out} holds the ledger of ${paths[i]}: merge into a folder of its own`, 'E_MERGE');
            await pipeline(createReadStream(src), sink, { end: false }).catch((err: NodeJS.ErrnoException) => {
              throw new CouponBenchError('E_MERGE', `merge: cannot read the ledger of ${paths[i]} (${src}): ${err.code ?? err.message}`);
            });
            records += r.ledger.records;
          }
        } finally {
          await new Promise<void>((done) => sink.end(done));
        }
        const runId = `merged-${reports[0]?.runId ?? 'run'}`;
        const merged = mergeReports(reports, { runId, ledgerRecords: records, toolVersion: VERSION });
        merged.ledger = { ...merged.ledger, file: LEDGER_FILE, records };
        const thresholds = parseThresholdMap(merged.scenario['thresholds'] as Parameters<typeof parseThresholdMap>[0]);
        merged.thresholds = evaluateThresholds(thresholds, merged);
        merged.exitCode = exitCodeOf(merged);
        const reportPath = await writeRunReport(out, merged);
        if (flags.json) process.stdout.write(JSON.stringify(merged, null, 2) + '\n');
        else if (!flags.quiet) {
          process.stdout.write(formatRunSummary(merged, { color: colorEnabled(process.stdout) }) + '\n');
          process.stdout.write(`  merged ${reports.length} reports (${records} ledger records) → ${reportPath}\n`);
        }
        return merged.exitCode;
      }),
    );
}
