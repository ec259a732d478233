import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningServer } from '../server/serve-options.js';
import { Command, Option } from 'commander';
import { withExitCode } from './action.js';
import { DURATION_FLAG_HELP, drainTimeoutMs, durationFlag } from './parse-options.js';
import { INTERRUPT_HELP, trapInterrupts } from './interrupt.js';
import { colorEnabled } from '../color.js';

/** Options of `coupon-bench demo` after commander parsed them. */
export interface DemoOpts {
  scenario: string;
  duration?: string;
  /** milliseconds */
  drainTimeout: number;
  reportsDir: string;
  keep?: boolean;
}

/** `coupon-bench demo`: the whole story in one command on embedded defaults. */
export function demoCommand(): Command {
  return new Command('demo')
    .description(
      'the whole story in one command: a private redis-server and SQLite in a temp folder, the server, ' +
        'a bundled scenario (seed-k6: 100 VUs, 10 s, stock 10), verify, and an HTML report',
    )
    .option('--scenario <name>', 'bundled scenario name (or a scenario file)', 'seed-k6')
    .option('--duration <duration>', `shorten or lengthen the run, ${DURATION_FLAG_HELP}`, durationFlag)
    .addOption(
      new Option('--drain-timeout <duration>', `how long verify waits for the outbox to drain, ${DURATION_FLAG_HELP}`)
        .argParser(drainTimeoutMs)
        .default(10_000, '10s'),
    )
    .option('--reports-dir <dir>', 'where the run folder (report.json, ledger, report.html) goes', 'reports')
    .option('--keep', 'keep the temp folder with the SQLite database')
    .addHelpText('after', `\n${INTERRUPT_HELP}`)
    .action(
      withExitCode(async (opts: DemoOpts) => {
        return runDemo(opts);
      }),
    );
}


/**
 * The demo: private redis-server + SQLite in a temp folder -> server -> templates -> scenario ->
 * verify -> report.json with the verdict + report.html -> printed summary and verdict. Always
 * cleans up (server, private Redis, temp folder). Returns the exit code (verdict first, like run --verify).
 */
export async function runDemo(opts: DemoOpts): Promise<number> {
  const { loadScenario, applyOverrides } = await import('../run/plan/scenario.js');
  const { startServer } = await import('../server/start-server.js');
  const { createTemplate } = await import('../server/admin-client.js');
  const { runScenario } = await import('../run/run-scenario.js');
  const { exitCodeOf } = await import('../run/finish/finish.js');
  const { verify } = await import('../verify/verify.js');
  const { formatVerdict } = await import('../verify/verdict-table.js');
  const { formatRunSummary } = await import('../report/summary.js');
  const { writeRunReport } = await import('../report/report-json.js');
  const { renderHtmlReport } = await import('../report/html-report.js');
  const { prepareOutputDir, writeOutputFile } = await import('../output-path.js');
  const { createProgressPrinter, interruptNotice } = await import('../run/progress.js');

  const color = colorEnabled(process.stdout);
  const say = (line: string): void => void process.stdout.write(`${line}\n`);
  const drainTimeoutMs = opts.drainTimeout;
  // Validate the scenario and flags before starting anything.
  let scenario = loadScenario(opts.scenario);
  if (opts.duration !== undefined) scenario = applyOverrides(scenario, { duration: opts.duration });
  await prepareOutputDir('--reports-dir', opts.reportsDir);

  const tmp = mkdtempSync(join(tmpdir(), 'coupon-bench-demo-'));
  // A prefix of its own: the private Redis is empty anyway, and this makes any leak easy to spot.
  const prefix = `cbdemo-${randomBytes(3).toString('hex')}`;
  let server: RunningServer | undefined;
  // SIGINT/SIGTERM: the run stops and is reported interrupted (exit 97, no verify); a second quits at once.
  const interrupts = trapInterrupts();
  try {
    // redisUrl undefined: startServer launches its own redis-server; the demo never uses REDIS_URL.
    server = await startServer({ host: '127.0.0.1', port: 0, redisUrl: undefined, dbUrl: `sqlite:${join(tmp, 'coupons.sqlite')}`, prefix });
    say(`demo: server ${server.url} · private redis-server ${server.redisUrl} · ${server.dbUrl}`);
    for (const t of scenario.templates) {
      await createTemplate(server.url, t.id, t.stock, t.name !== undefined ? { name: t.name } : {});
      say(`demo: created template ${t.id} with stock ${t.stock}`);
    }
    const shape = [scenario.executor, scenario.vus !== undefined ? `${scenario.vus} VUs` : '', scenario.duration !== undefined ? `${scenario.duration}` : '']
      .filter(Boolean)
      .join(', ');
    say(`demo: running ${scenario.name} (${shape})`);
    // The run's own progress: one redrawn line (a bar) on a terminal, a plain line every 5 s when piped.
    const progress = createProgressPrinter(process.stderr, { tty: process.stderr.isTTY === true, announce: false });
    const result = await runScenario(
      {
        scenario,
        overrides: { target: server.url },
        reportsDir: opts.reportsDir,
        ledgerMode: 'full',
        signal: interrupts.signal,
      },
      progress,
    );
    // From here on a first signal no longer stops anything: say so (verify is bounded by its drain timeout).
    interrupts.signal.addEventListener('abort', () => process.stderr.write(`${interruptNotice(String(interrupts.signal.reason), false)}\n`), { once: true });
    const report = result.report;
    say(formatRunSummary(report, { color }));

    if (report.harness.valid) {
      say(`demo: verifying Redis, SQLite and the ledger (waiting up to ${drainTimeoutMs / 1000}s for the outbox to drain)`);
      report.verdict = await verify({
        reportPath: result.reportPath,
        ledgerPath: result.ledgerPath,
        redisUrl: server.redisUrl,
        dbUrl: server.dbUrl,
        prefix: server.prefix,
        templateIds: scenario.templates.map((t) => t.id),
        drainTimeoutMs,
      });
    } else {
      say(`demo: not verifying — the harness is invalid: ${report.harness.reasons.join('; ')}`);
    }
    report.stores = { redis: server.redisUrl, db: server.dbUrl, prefix: server.prefix, source: 'serve' };
    report.exitCode = exitCodeOf(report);
    const reportPath = await writeRunReport(result.runDir, report);
    const htmlPath = join(result.runDir, 'report.html');
    await writeOutputFile(htmlPath, renderHtmlReport(report));

    if (report.verdict) say(`\n${formatVerdict(report.verdict, { color })}`);
    say('');
    say(`demo: report.json  ${reportPath}`);
    say(`demo: HTML report  ${htmlPath}`);
    if (opts.keep) say(`demo: kept         ${tmp} (SQLite database)`);
    return report.exitCode;
  } finally {
    interrupts.release();
    // Stops the HTTP listener, the persister and the private redis-server.
    await server?.stop();
    if (!opts.keep) rmSync(tmp, { recursive: true, force: true });
  }
}
