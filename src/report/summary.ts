import { Chalk } from 'chalk';
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

/** k6-style end-of-run summary plus the outcome table and thresholds (colour only when asked). */
/** `812 opened, 3 failed (ECONNREFUSED 3)`: connection set-ups, failures by code. */
function connectionsLine(h: NonNullable<RunReport['metrics']['http_connections']>, c: { red: (t: string) => string }): string {
  if (h.failed === 0) return `${h.count} opened, 0 failed`;
  const why = Object.entries(h.errors ?? {}).map(([code, n]) => `${code} ${n}`).join(', ');
  return `${h.count} opened, ${c.red(`${h.failed} failed`)}${why ? ` (${why})` : ''}`;
}

export function formatRunSummary(report: RunReport, opts: { color: boolean }): string {
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  const out: string[] = [];
  const m = report.metrics;
  const s = report.scenario as Record<string, unknown>;
  const metric = (name: string, value: string): void => {
    out.push(`     ${name}${c.gray('.'.repeat(Math.max(2, WIDTH - name.length)))}: ${value}`);
  };

  out.push('');
  out.push(`  ${c.bold('scenario')}: ${report.scenario.name} · ${String(s['executor'] ?? '?')} · target ${report.target}`);
  const cut = report.interrupted ? ` · ${c.red.bold(`interrupted by ${report.interrupted.signal}`)}` : '';
  out.push(`  ${c.bold('run')}:      ${report.runId} · ${(report.durationMs / 1000).toFixed(1)}s${cut}`);
  out.push('');

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

  const table = new Table({
    head: ['outcome', 'count', 'share', 'p50', 'p95', 'p99'],
    colAligns: ['left', 'right', 'right', 'right', 'right', 'right'],
    style: opts.color ? { head: ['cyan'] } : { head: [], border: [] },
  });
  const colour: Record<string, (t: string) => string> = { issued: c.green, unknown: c.red, rejected: c.yellow, not_found: c.yellow };
  for (const o of OUTCOMES) {
    const n = report.outcomes[o];
    const lat = m.http_req_duration_by_outcome?.[o];
    const paint = colour[o] ?? ((t: string) => t);
    table.push([
      paint(o),
      String(n),
      total > 0 ? `${((n / total) * 100).toFixed(1)}%` : '-',
      lat ? fmtMs(lat.med) : '-',
      lat ? fmtMs(lat['p(95)']) : '-',
      lat ? fmtMs(lat['p(99)']) : '-',
    ]);
  }
  out.push(
    table
      .toString()
      .split('\n')
      .map((l) => `     ${l}`)
      .join('\n'),
  );
  const stock = report.templates.reduce((a, t) => a + t.stock, 0);
  out.push(`     issued ${report.outcomes.issued} of stock ${stock} across ${report.templates.length} template(s)`);
  if (report.unmatched && report.unmatched.count > 0) {
    out.push(`     ${c.yellow('unmatched')}: ${report.unmatched.count.toLocaleString('en-US')} answer(s) matched no rule of "answers" (5xx counted unknown, the rest rejected):`);
    for (const s of report.unmatched.samples) out.push(`       ${s.status} ${JSON.stringify(s.body)}`);
  }

  if (report.faults && report.faults.length > 0) {
    out.push('');
    out.push(`  ${c.bold('faults')}`);
    const ft = new Table({
      head: ['fault', 'from', 'to', 'requests', 'unknown', 'error rate', 'p99', 'recovered after'],
      colAligns: ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
      style: opts.color ? { head: ['cyan'] } : { head: [], border: [] },
    });
    for (const f of report.faults) {
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
    out.push(
      ft
        .toString()
        .split('\n')
        .map((l) => `     ${l}`)
        .join('\n'),
    );
    for (const f of report.faults) if (f.dataLost) out.push(`     ${c.red.bold('data lost')} in ${f.spec}: ${f.dataLost}`);
    for (const f of report.faults) {
      if (!f.hook) continue;
      const how = f.hook.timedOut ? c.red('killed at its time limit') : f.hook.exitCode === 0 ? 'exit 0' : c.red(`exit ${f.hook.exitCode}`);
      const said = f.hook.output ? `: ${f.hook.output.split('\n').slice(-3).join(' ⏎ ')}` : '';
      out.push(`     hook ${f.hook.name} (${f.spec}) ${how}${said}`);
    }
  }

  if (report.shard) {
    out.push('');
    out.push(`  shard ${report.shard.index}/${report.shard.count}: thresholds are judged on the whole run (coupon-bench merge <report.json…>)`);
  }
  if (report.mergedFrom) out.push(`     merged from ${report.mergedFrom.length} reports: ${report.mergedFrom.map((m) => (m.shard ? `shard ${m.shard.index}/${m.shard.count}` : m.runId)).join(', ')}`);

  if (report.thresholds.length > 0) {
    out.push('');
    out.push(`  ${c.bold('thresholds')}`);
    for (const t of report.thresholds) {
      const mark = t.ok ? c.green('✓') : c.red('✗');
      out.push(`     ${mark} ${t.metric} ${t.expression} ${c.gray(`(actual ${t.actual === null ? 'no data' : fmtNum(t.actual)})`)}`);
    }
  }
  if (report.abortedBy) {
    out.push('');
    out.push(`  ${c.red.bold('aborted')}: ${report.abortedBy}`);
  }
  const busy = busyHostWarnings(report);
  if (busy.length > 0 && report.harness.valid) {
    out.push('');
    out.push(`  ${c.yellow.bold('busy host')}: ${busy.join('; ')}; latencies include the machine's other work`);
  }
  if (!report.harness.valid) {
    out.push('');
    out.push(`  ${c.red.bold('harness invalid')}: ${report.harness.reasons.join('; ')}`);
  }
  if (report.verdict) {
    out.push('');
    const word = verdictWord(report.verdict);
    const tone = verdictTone(report.verdict);
    out.push(`  ${c.bold('verify')}: ${tone === 'pass' ? c.green(word) : tone === 'fail' ? c.red(word) : c.yellow(word)} — ${report.verdict.headline}`);
  }
  out.push('');
  out.push(`  ledger: ${report.ledger.records} records (${report.ledger.mode}) → ${report.ledger.file}`);
  out.push('');
  return out.join('\n');
}
