import { Chalk, type ChalkInstance } from 'chalk';
import Table from 'cli-table3';
import { OUTCOMES } from '../model/outcome.js';
import { httpReqFailed } from '../model/http-req-failed.js';
import type { DurationSummary, RunReport } from '../model/report.js';
import { verdictTone, verdictWord } from '../verify/verdict-text.js';
import { busyHostWarnings } from './busy-host.js';
import { fmt } from './html-format.js';

const WIDTH = 34;

function fmtMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)}s`;
  if (ms >= 1) return `${ms.toFixed(2)}ms`;
  return `${(ms * 1000).toFixed(0)}µs`;
}

function fmtNum(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(n >= 100 ? 1 : 3);
}

function durLine(d: DurationSummary): string {
  return `avg=${fmtMs(d.avg)} min=${fmtMs(d.min)} med=${fmtMs(d.med)} max=${fmtMs(d.max)} p(90)=${fmtMs(d['p(90)'])} p(95)=${fmtMs(d['p(95)'])} p(99)=${fmtMs(d['p(99)'])}`;
}

/** A cli-table3 table in the summary's style: cyan heads with colour, no borders' colour without. */
function summaryTable(head: string[], colAligns: Table.HorizontalAlignment[], color: boolean): Table.Table {
  return new Table({ head, colAligns, style: color ? { head: ['cyan'] } : { head: [], border: [] } });
}

/** A table's lines, indented under the section. */
function indentTable(table: Table.Table): string {
  return table
    .toString()
    .split('\n')
    .map((l) => `     ${l}`)
    .join('\n');
}

/** `812 opened, 3 failed (ECONNREFUSED 3)`: connection set-ups, failures by code. */
function connectionsLine(h: NonNullable<RunReport['metrics']['http_connections']>, c: { red: (t: string) => string }): string {
  if (h.failed === 0) return `${h.count} opened, 0 failed`;
  const why = Object.entries(h.errors ?? {}).map(([code, n]) => `${code} ${n}`).join(', ');
  return `${h.count} opened, ${c.red(`${h.failed} failed`)}${why ? ` (${why})` : ''}`;
}

/** The scenario and run lines (marked when a signal cut the run short). */
function headerLines(report: RunReport, c: ChalkInstance): string[] {
  const s = report.scenario as Record<string, unknown>;
  const cut = report.interrupted ? ` · ${c.red.bold(`interrupted by ${report.interrupted.signal}`)}` : '';
  return [
    '',
    `  ${c.bold('scenario')}: ${report.scenario.name} · ${String(s['executor'] ?? '?')} · target ${report.target}`,
    `  ${c.bold('run')}:      ${report.runId} · ${(report.durationMs / 1000).toFixed(1)}s${cut}`,
    '',
  ];
}

/** One line per check, with its pass share under a failed one. */
function checkLines(report: RunReport, c: ChalkInstance): string[] {
  const out: string[] = [];
  for (const ch of report.checks ?? []) {
    const total = ch.passes + ch.fails;
    if (ch.fails === 0 && total > 0) out.push(`     ${c.green('✓')} ${ch.name}`);
    else {
      out.push(`     ${c.red('✗')} ${ch.name}`);
      const pct = total > 0 ? Math.floor((ch.passes / total) * 100) : 0;
      out.push(`      ${c.gray(`↳  ${pct}% — ✓ ${ch.passes} / ✗ ${ch.fails}`)}`);
    }
  }
  if ((report.checks ?? []).length > 0) out.push('');
  return out;
}

/** The k6-style metric lines, dotted out to one column. */
function metricLines(report: RunReport, c: ChalkInstance): string[] {
  const out: string[] = [];
  const m = report.metrics;
  const metric = (name: string, value: string): void => {
    out.push(`     ${name}${c.gray('.'.repeat(Math.max(2, WIDTH - name.length)))}: ${value}`);
  };
  const checksTotal = m.checks.passes + m.checks.fails;
  metric('checks', `${checksTotal > 0 ? ((m.checks.passes / checksTotal) * 100).toFixed(2) : '0.00'}% ${c.green('✓')} ${m.checks.passes} ${c.red('✗')} ${m.checks.fails}`);
  const perSecond = (n: number): string => (report.durationMs > 0 ? `${fmt.bytes(Math.round((n * 1000) / report.durationMs))}/s` : '');
  if (m.data_received !== undefined) metric('data_received', `${fmt.bytes(m.data_received)} ${perSecond(m.data_received)}`);
  if (m.data_sent !== undefined) metric('data_sent', `${fmt.bytes(m.data_sent)} ${perSecond(m.data_sent)}`);
  metric('dropped_iterations', `${m.dropped_iterations.count} ${fmtNum(m.dropped_iterations.rate)}/s`);
  metric('http_req_duration', durLine(m.http_req_duration));
  metric('http_req_duration (uncorrected)', durLine(m.http_req_duration_uncorrected));
  if (m.http_req_connecting) metric('http_req_connecting', durLine(m.http_req_connecting));
  if (m.http_connections) metric('http_connections', connectionsLine(m.http_connections, c));
  const { failed, total } = httpReqFailed(report);
  // Unlike k6, a sold-out or duplicate 400 is not a failure here unless the scenario lists expectedStatuses.
  const basis = m.http_req_failed !== undefined ? '(status not in expectedStatuses)' : '(rejected + unknown; sold_out/duplicate are not failures, unlike k6)';
  metric('http_req_failed', `${total > 0 ? ((failed / total) * 100).toFixed(2) : '0.00'}% ${c.green('✓')} ${failed} ${c.red('✗')} ${total - failed} ${c.dim(basis)}`);
  metric('http_reqs', `${total} ${fmtNum(m.http_reqs.rate)}/s`);
  metric('iterations', `${m.iterations.count} ${fmtNum(m.iterations.rate)}/s`);
  metric('vus', `min=${m.vus.min} max=${m.vus.max}`);
  if (report.burst) metric('burst_send_spread', `${fmtMs(report.burst.sendSpreadUs / 1000)} over ${report.burst.requests} requests`);
  out.push('');
  return out;
}

/** The outcome table, the issued share of the stock, and the answers no rule matched. */
function outcomeLines(report: RunReport, c: ChalkInstance, color: boolean): string[] {
  const { total } = httpReqFailed(report);
  const lat = report.metrics.http_req_duration_by_outcome;
  const table = summaryTable(['outcome', 'count', 'share', 'p50', 'p95', 'p99'], ['left', 'right', 'right', 'right', 'right', 'right'], color);
  const colour: Record<string, (t: string) => string> = { issued: c.green, unknown: c.red, rejected: c.yellow, not_found: c.yellow };
  for (const o of OUTCOMES) {
    const n = report.outcomes[o];
    const d = lat?.[o];
    const paint = colour[o] ?? ((t: string) => t);
    table.push([paint(o), String(n), total > 0 ? `${((n / total) * 100).toFixed(1)}%` : '-', d ? fmtMs(d.med) : '-', d ? fmtMs(d['p(95)']) : '-', d ? fmtMs(d['p(99)']) : '-']);
  }
  const out = [indentTable(table)];
  const stock = report.templates.reduce((a, t) => a + t.stock, 0);
  out.push(`     issued ${report.outcomes.issued} of stock ${stock} across ${report.templates.length} template(s)`);
  if (report.unmatched && report.unmatched.count > 0) {
    out.push(`     ${c.yellow('unmatched')}: ${report.unmatched.count.toLocaleString('en-US')} answer(s) matched no rule of "answers" (5xx counted unknown, the rest rejected):`);
    for (const s of report.unmatched.samples) out.push(`       ${s.status} ${JSON.stringify(s.body)}`);
  }
  return out;
}

/** The faults section: one row per fault band, then data lost and what each hook did. */
function faultLines(report: RunReport, c: ChalkInstance, color: boolean): string[] {
  const faults = report.faults ?? [];
  if (faults.length === 0) return [];
  const ft = summaryTable(
    ['fault', 'from', 'to', 'requests', 'unknown', 'error rate', 'p99', 'recovered after'],
    ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
    color,
  );
  for (const f of faults) {
    ft.push([
      f.dataLost ? c.red(f.spec) : f.spec,
      `${(f.startMs / 1000).toFixed(2)}s`,
      `${(f.endMs / 1000).toFixed(2)}s`,
      String(f.requests),
      f.unknown > 0 ? c.red(String(f.unknown)) : '0',
      `${(f.errorRate * 100).toFixed(1)}%`,
      f.requests > 0 ? fmtMs(f.p99Ms) : '-',
      f.recoveryMs !== undefined ? fmtMs(f.recoveryMs) : c.red('never'),
    ]);
  }
  const out = ['', `  ${c.bold('faults')}`, indentTable(ft)];
  for (const f of faults) if (f.dataLost) out.push(`     ${c.red.bold('data lost')} in ${f.spec}: ${f.dataLost}`);
  for (const f of faults) {
    if (!f.hook) continue;
    const how = f.hook.timedOut ? c.red('killed at its time limit') : f.hook.exitCode === 0 ? 'exit 0' : c.red(`exit ${f.hook.exitCode}`);
    const said = f.hook.output ? `: ${f.hook.output.split('\n').slice(-3).join(' ⏎ ')}` : '';
    out.push(`     hook ${f.hook.name} (${f.spec}) ${how}${said}`);
  }
  return out;
}

/** Which share of a sharded run this is, and which reports a merged one joins. */
function shardLines(report: RunReport): string[] {
  const out: string[] = [];
  if (report.shard) {
    out.push('');
    out.push(`  shard ${report.shard.index}/${report.shard.count}: thresholds are judged on the whole run (coupon-bench merge <report.json…>)`);
  }
  if (report.mergedFrom) out.push(`     merged from ${report.mergedFrom.length} reports: ${report.mergedFrom.map((m) => (m.shard ? `shard ${m.shard.index}/${m.shard.count}` : m.runId)).join(', ')}`);
  return out;
}

/** The thresholds section: each one passed or failed, with the value it judged. */
function thresholdLines(report: RunReport, c: ChalkInstance): string[] {
  if (report.thresholds.length === 0) return [];
  const out = ['', `  ${c.bold('thresholds')}`];
  for (const t of report.thresholds) {
    const mark = t.ok ? c.green('✓') : c.red('✗');
    out.push(`     ${mark} ${t.metric} ${t.expression} ${c.gray(`(actual ${t.actual === null ? 'no data' : fmtNum(t.actual)})`)}`);
  }
  return out;
}

/** Why the run's figures may not hold: aborted, a busy host, an invalid harness. */
function validityLines(report: RunReport, c: ChalkInstance): string[] {
  const out: string[] = [];
  if (report.abortedBy) out.push('', `  ${c.red.bold('aborted')}: ${report.abortedBy}`);
  const busy = busyHostWarnings(report);
  if (busy.length > 0 && report.harness.valid) out.push('', `  ${c.yellow.bold('busy host')}: ${busy.join('; ')}; latencies include the machine's other work`);
  if (!report.harness.valid) out.push('', `  ${c.red.bold('harness invalid')}: ${report.harness.reasons.join('; ')}`);
  return out;
}

/** The audit's verdict in one line (when the run verified), then where the ledger went. */
function closingLines(report: RunReport, c: ChalkInstance): string[] {
  const out: string[] = [];
  if (report.verdict) {
    const word = verdictWord(report.verdict);
    const tone = verdictTone(report.verdict);
    out.push('', `  ${c.bold('verify')}: ${tone === 'pass' ? c.green(word) : tone === 'fail' ? c.red(word) : c.yellow(word)} — ${report.verdict.headline}`);
  }
  out.push('', `  ledger: ${report.ledger.records} records (${report.ledger.mode}) → ${report.ledger.file}`, '');
  return out;
}

/** k6-style end-of-run summary plus the outcome table and thresholds (colour only when asked). */
export function formatRunSummary(report: RunReport, opts: { color: boolean }): string {
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  return [
    ...headerLines(report, c),
    ...checkLines(report, c),
    ...metricLines(report, c),
    ...outcomeLines(report, c, opts.color),
    ...faultLines(report, c, opts.color),
    ...shardLines(report),
    ...thresholdLines(report, c),
    ...validityLines(report, c),
    ...closingLines(report, c),
  ].join('\n');
}
