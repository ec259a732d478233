import { Command } from 'commander';
import { withExitCode } from './action.js';

interface ReportOpts {
  html?: string | boolean;
  junit?: string;
}

/** `coupon-bench report`: render a run's report as one self-contained HTML file (and/or JUnit XML). */
export function reportCommand(): Command {
  return new Command('report')
    .description("render a run's report.json as one self-contained HTML file (charts, verdict, thresholds)")
    .argument('<report.json>', 'a report written by `coupon-bench run`')
    .option('--html [file]', 'write the HTML report (default: report.html next to report.json)')
    .option('--junit <file>', 'write thresholds and invariants as JUnit XML test cases')
    .action(
      withExitCode(async (reportPath: string, opts: ReportOpts) => {
        const { dirname, join, resolve } = await import('node:path');
        const { prepareOutputFile, writeOutputFile } = await import('../output-path.js');
        const { readReport } = await import('../report/compare-read-report.js');
        // HTML is the default product of `report`; skip it only when just --junit was asked for.
        const wantHtml = opts.html !== undefined || opts.junit === undefined;
        const out = typeof opts.html === 'string' ? opts.html : join(dirname(reportPath), 'report.html');
        const report = await readReport(reportPath);
        // Both outputs are checked before either is written.
        if (wantHtml) await prepareOutputFile('--html', out);
        if (opts.junit !== undefined) await prepareOutputFile('--junit', opts.junit);
        if (wantHtml) {
          const { renderHtmlReport } = await import('../report/html-report.js');
          await writeOutputFile(out, renderHtmlReport(report));
          process.stdout.write(`HTML report: ${resolve(out)}\n`);
        }
        if (opts.junit !== undefined) {
          const { writeJUnit } = await import('../report/junit-write.js');
          const { reportSuites } = await import('../report/junit-suites.js');
          await writeJUnit(opts.junit, reportSuites(report));
          process.stdout.write(`JUnit XML: ${resolve(opts.junit)}\n`);
        }
        return 0;
      }),
    );
}
