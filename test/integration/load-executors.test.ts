import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ArrivalSchedule } from '../../src/load/executors/arrival-schedule.js';
import { runScenario } from '../../src/run/run-scenario.js';
import type { Scenario } from '../../src/model/scenario.js';
import { readLedger } from '../../src/load/ledger-reader.js';
import { startStandIn, type StandIn } from '../helpers/load-stand-in.js';

let dir: string;
let srv: StandIn;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cb-load-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => srv?.close());

function scenario(s: Partial<Scenario> & Pick<Scenario, 'executor'>): Scenario {
  return {
    name: 'test',
    target: srv.url,
    users: { type: 'sequential', start: 1 },
    templates: [{ id: 1, stock: 10 }],
    seed: 7,
    ...s,
  } as Scenario;
}

const run = (s: Scenario, extra: Record<string, unknown> = {}) => runScenario({ scenario: s, outDir: join(dir, `${Date.now()}-${Math.random()}`), ...extra });

/** Run, noting when the run announced its start (before its load clock starts: a lower bound of it). */
async function runTimed(s: Scenario): Promise<Awaited<ReturnType<typeof run>> & { startedAt: number }> {
  let startedAt = Number.NaN;
  const r = await runScenario({ scenario: s, outDir: join(dir, `${Date.now()}-${Math.random()}`) }, (e) => {
    if (e.type === 'start') startedAt = performance.now();
  });
  return { ...r, startedAt };
}

/**
 * The k-th request the stand-in received came no earlier than the k-th time on the schedule: a
 * send is never early (a busy machine only makes it late), so however slow the machine, this holds
 * for an executor that follows its schedule and fails for one that sends ahead of it.
 */
function expectNoneEarly(startedAt: number, schedule: ArrivalSchedule): void {
  const times = [...srv.times].sort((a, b) => a - b);
  expect(times.length).toBeGreaterThan(0);
  // 1 ms: a timer may fire up to a millisecond before the fraction it was set for
  const early = times.map((t, k) => t - startedAt - schedule.timeOf(k)).filter((d) => d < -1);
  expect(early).toEqual([]);
}

describe('executors send what they promise', () => {
  it('shared-iterations sends exactly N requests, unique sequential users', async () => {
    srv = await startStandIn({ 1: 10 });
    const r = await run(scenario({ executor: 'shared-iterations', vus: 8, iterations: 500 }));
    expect(srv.received).toBe(500);
    expect(r.report.metrics.http_reqs.count).toBe(500);
    expect(new Set(srv.users).size).toBe(500);
    expect(r.report.outcomes.issued).toBe(10);
    expect(r.report.outcomes.sold_out).toBe(490);
    expect(r.exitCode).toBe(0);
  });

  it('constant-vus: every response recorded equals what the server received; VUs capped', async () => {
    srv = await startStandIn({ 1: 5 });
    const r = await run(scenario({ executor: 'constant-vus', vus: 10, duration: '1s', users: { type: 'uniform', min: 1, max: 20 }, ledger: 'acked' }));
    expect(r.report.metrics.http_reqs.count).toBe(srv.received);
    expect(srv.received).toBeGreaterThan(50);
    expect(r.report.metrics.vus.max).toBe(10);
    expect(r.report.outcomes.issued).toBe(5);
    const o = r.report.outcomes;
    expect(o.issued + o.sold_out + o.duplicate).toBe(srv.received);
    // Ledger in 'acked' mode holds exactly the issued + unknown.
    const recs = [];
    for await (const rec of readLedger(r.ledgerPath)) recs.push(rec);
    expect(recs.length).toBe(5);
    expect(recs.every((x) => x.o === 'issued' && x.c !== undefined && x.seq !== undefined)).toBe(true);
  });

  it('constant-vus with think time: iterations per VU follow duration / think (ratio)', async () => {
    srv = await startStandIn({ 1: 1000 });
    const r = await run(scenario({ executor: 'constant-vus', vus: 5, duration: '1500ms', thinkTime: '100ms' }));
    // at most 5 VUs * 15 iterations (one per think time, the first at once): a busy machine only
    // sends fewer (how close to the ideal an idle one comes is bench/closed-model-spacing.js's figure)
    const ideal = 5 * 15;
    expect(srv.received).toBeLessThanOrEqual(ideal + 5);
    expect(srv.received).toBeGreaterThanOrEqual(5); // every VU sent
    expect(r.report.harness.thinkActualMs).toBeGreaterThanOrEqual(99);
  });

  it('closed model: latency starts at the send on a connected socket; connection set-up is http_req_connecting', async () => {
    srv = await startStandIn({ 1: 1000 });
    const r = await run(scenario({ executor: 'constant-vus', vus: 4, duration: '600ms', thinkTime: '20ms' }));
    const m = r.report.metrics;
    // a VU has no intended schedule: corrected and uncorrected are the same measurement
    expect(r.report.histograms.corrected).toBe(r.report.histograms.uncorrected);
    expect(m.http_req_connecting).toBeDefined();
    // four new connections, then kept alive: the median request waited for no connection
    expect(m.http_req_connecting!.med).toBeLessThan(0.5);
    expect(m.http_req_connecting!.max).toBeGreaterThan(m.http_req_connecting!.med);
  });

  it('open model: corrected latency runs from the intended time, uncorrected from the send', async () => {
    srv = await startStandIn({ 1: 1000 });
    const r = await run(scenario({ executor: 'constant-arrival-rate', rate: 200, duration: '500ms', preAllocatedVUs: 4, maxVUs: 4 }));
    const m = r.report.metrics;
    expect(m.http_req_connecting).toBeDefined();
    // the first sends of each slot waited for a connection: only the corrected latency carries it
    expect(m.http_req_duration.max).toBeGreaterThanOrEqual(m.http_req_duration_uncorrected.max);
    expect(m.http_req_duration.avg).toBeGreaterThanOrEqual(m.http_req_duration_uncorrected.avg);
  });

  it('constant-arrival-rate sends exactly rate x duration, evenly spread', async () => {
    srv = await startStandIn({ 1: 100 });
    const r = await runTimed(scenario({ executor: 'constant-arrival-rate', rate: 200, timeUnit: '1s', duration: '2s', preAllocatedVUs: 20, maxVUs: 50, lateTolerance: '2s' }));
    expect(r.report.metrics.http_reqs.count + r.report.metrics.dropped_iterations.count).toBe(400);
    expect(srv.received).toBe(r.report.metrics.http_reqs.count);
    expect(r.report.harness.planned).toBe(400);
    // evenly spread: no send before its time on the schedule (a slow machine only makes them later)
    expectNoneEarly(r.startedAt, ArrivalSchedule.constant(200, 2000, 1000));
    // corrected latency is never below the uncorrected one
    expect(r.report.metrics.http_req_duration.max).toBeGreaterThanOrEqual(r.report.metrics.http_req_duration_uncorrected.max);
  });

  it('constant-arrival-rate counts dropped iterations when no VU is free', async () => {
    srv = await startStandIn({ 1: 100 });
    srv.delayMs = 300;
    const r = await run(scenario({ executor: 'constant-arrival-rate', rate: 100, timeUnit: '1s', duration: '1s', preAllocatedVUs: 2, maxVUs: 5 }));
    const m = r.report.metrics;
    expect(m.http_reqs.count + m.dropped_iterations.count).toBe(100);
    expect(m.dropped_iterations.count).toBeGreaterThan(50);
    expect(m.vus.max).toBe(5);
    expect(r.report.harness.valid).toBe(false);
    expect(r.report.harness.reasons.join()).toMatch(/too many dropped iterations/);
    expect(r.exitCode).toBe(97);
  });

  it('ramping-arrival-rate sends the integral of its rate', async () => {
    srv = await startStandIn({ 1: 100 });
    // 0 -> 200/s over 1 s (100) then 200/s for 0.5 s (100): 200 in total
    const r = await runTimed(
      scenario({ executor: 'ramping-arrival-rate', startRate: 0, stages: [{ duration: '1s', target: 200 }, { duration: '500ms', target: 200 }], maxVUs: 50, lateTolerance: '2s' }),
    );
    expect(r.report.metrics.http_reqs.count + r.report.metrics.dropped_iterations.count).toBe(200);
    // ramping from 0: the first half second carries 1/8 of the total (25); no send before its time
    expectNoneEarly(r.startedAt, new ArrivalSchedule(0, [{ durationMs: 1000, target: 200 }, { durationMs: 500, target: 200 }], 1000));
  });

  it('ramping-vus ramps the number of active VUs', async () => {
    srv = await startStandIn({ 1: 1000 });
    const r = await run(scenario({ executor: 'ramping-vus', startVUs: 0, stages: [{ duration: '600ms', target: 6 }, { duration: '400ms', target: 0 }], thinkTime: '20ms' }));
    expect(r.report.metrics.vus.max).toBeGreaterThanOrEqual(5);
    expect(r.report.metrics.vus.max).toBeLessThanOrEqual(6);
    expect(srv.received).toBe(r.report.metrics.http_reqs.count);
  });

  it('burst releases N requests on pre-opened connections and reports the send spread', async () => {
    srv = await startStandIn({ 1: 10 });
    const r = await run(scenario({ executor: 'burst', requests: 100 }));
    expect(srv.received).toBe(100);
    expect(new Set(srv.users).size).toBe(100);
    expect(r.report.outcomes.issued).toBe(10);
    expect(r.report.outcomes.sold_out).toBe(90);
    expect(r.report.burst?.requests).toBe(100);
    expect(r.report.burst?.sendSpreadUs).toBeGreaterThan(0);
  });

  it('5xx answers are unknown, recorded in the ledger with the reason; full ledger records everything', async () => {
    srv = await startStandIn({ 1: 10 });
    srv.failWith = 503;
    const r = await run(scenario({ executor: 'shared-iterations', vus: 2, iterations: 20 }), { ledgerMode: 'full' });
    expect(r.report.outcomes.unknown).toBe(20);
    const recs = [];
    for await (const rec of readLedger(r.ledgerPath)) recs.push(rec);
    expect(recs).toHaveLength(20);
    expect(recs[0]).toMatchObject({ o: 'unknown', st: 503, err: 'HTTP_503', tpl: 1 });
  });

  it('a request timeout is unknown with its reason', async () => {
    srv = await startStandIn({ 1: 10 });
    srv.delayMs = 2000;
    // the answer would come after 2 s: its reason (REQUEST_TIMEOUT, nothing answered) shows the client gave up first
    const r = await run(scenario({ executor: 'shared-iterations', vus: 1, iterations: 1, timeout: '300ms' }));
    expect(r.report.outcomes.unknown).toBe(1);
    expect(r.report.harness.answered).toBe(0);
    expect(r.exitCode).toBe(97);
    const recs = [];
    for await (const rec of readLedger(r.ledgerPath)) recs.push(rec);
    expect(recs[0]).toMatchObject({ o: 'unknown', st: 0, err: 'REQUEST_TIMEOUT' });
  });

  it("records the host's steal time; above the scenario's maxStealPercent the harness is invalid (97)", async () => {
    srv = await startStandIn({ 1: 10 });
    // A scripted host: 1,000 ticks pass during the run, 80 of them stolen by the hypervisor.
    const host = (ticks: number, steal: number) => () => ({ total: ticks, idle: ticks / 2, steal });
    const samples = [host(1000, 20), host(2000, 100)];
    const sampleHost = () => samples.shift()!();
    const s = scenario({ executor: 'shared-iterations', vus: 2, iterations: 20 });
    const strict = await run({ ...s, harness: { maxStealPercent: 5 } }, { sampleHost });
    expect(strict.report.harness.host).toMatchObject({ stealPercent: 8, busyPercent: 42 });
    expect(strict.report.harness.valid).toBe(false);
    expect(strict.report.harness.reasons.join()).toMatch(/noisy host: the hypervisor took 8% .* > 5%/);
    expect(strict.exitCode).toBe(97);
    // Without a limit the figure is only reported; the real /proc/stat gives one on Linux (for a run
    // long enough for its clock ticks to move).
    const plain = await run(scenario({ executor: 'constant-vus', vus: 2, duration: '300ms', thinkTime: '10ms' }));
    expect(plain.report.harness.valid).toBe(true);
    expect(plain.exitCode).toBe(0);
    if (process.platform === 'linux') expect(plain.report.harness.host?.stealPercent).toBeGreaterThanOrEqual(0);
  });

  it('an unreachable target is a harness failure (97), never a pass', async () => {
    srv = await startStandIn();
    const url = srv.url;
    await srv.close();
    const r = await runScenario({ scenario: { ...scenario({ executor: 'constant-vus', vus: 2, duration: '300ms' }), target: url }, outDir: join(dir, 'unreach') });
    expect(r.exitCode).toBe(97);
    expect(r.report.harness.reasons.join()).toMatch(/unreachable/);
    srv = await startStandIn(); // for afterEach
  });

  it('a failing threshold exits 99; passing thresholds exit 0', async () => {
    srv = await startStandIn({ 1: 10 });
    const s = scenario({ executor: 'shared-iterations', vus: 4, iterations: 50, thresholds: { 'outcomes.issued': ['count==10'] } });
    const pass = await run(s);
    expect(pass.report.thresholds).toEqual([{ metric: 'outcomes.issued', expression: 'count==10', ok: true, actual: 10 }]);
    expect(pass.exitCode).toBe(0);
    await srv.close();
    srv = await startStandIn({ 1: 10 });
    const fail = await run({ ...s, target: srv.url }, { thresholds: ['outcomes.sold_out:count==0'] });
    expect(fail.report.thresholds.map((t) => t.ok)).toEqual([true, false]);
    expect(fail.exitCode).toBe(99);
  });

  it('the same seed sends the same user ids', async () => {
    srv = await startStandIn({ 1: 1000 });
    const s = scenario({ executor: 'shared-iterations', vus: 1, iterations: 30, users: { type: 'zipf', count: 50 } });
    await run(s);
    const a = [...srv.users];
    srv.users.length = 0;
    await run(s);
    expect(srv.users).toEqual(a);
  });
});

describe('abortOnFail', () => {
  it('stops the run early when such a threshold fails, and exits 99', async () => {
    srv = await startStandIn({ 1: 1 });
    const t0 = Date.now();
    const r = await run(
      scenario({ executor: 'constant-vus', vus: 2, duration: '20s', thinkTime: '10ms', thresholds: { 'outcomes.sold_out': [{ threshold: 'count==0', abortOnFail: true }] } }),
    );
    // before its 20 s duration, however slow the machine: only the abort can end it sooner
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(r.report.abortedBy).toMatch(/outcomes.sold_out count==0/);
    expect(r.report.thresholds[0]?.ok).toBe(false);
    expect(r.exitCode).toBe(99);
  });
});

describe('--setup', () => {
  it('creates the scenario templates through the admin API before the run', async () => {
    srv = await startStandIn({});
    const r = await run(scenario({ executor: 'shared-iterations', vus: 2, iterations: 20, templates: [{ id: 7, stock: 3 }] }), { setup: true });
    expect(r.report.outcomes.issued).toBe(3);
    expect(r.report.outcomes.sold_out).toBe(17);
    expect(r.report.templates).toEqual([{ templateId: 7, stock: 3 }]);
  });
});

describe('interrupted (SIGINT, SIGTERM)', () => {
  it('a signal before the load: nothing is sent, the report says so, exit 97', async () => {
    srv = await startStandIn({});
    const r = await run(scenario({ executor: 'constant-vus', vus: 2, duration: '5s' }), { setup: true, signal: AbortSignal.abort('SIGTERM') });
    expect(srv.received).toBe(0);
    expect(r.report.templates).toEqual([{ templateId: 1, stock: 10 }]);
    expect(r.report.interrupted).toEqual({ signal: 'SIGTERM', during: 'setup' });
    expect(r.report.harness).toMatchObject({ valid: false, reasons: ['interrupted by SIGTERM before the load started: nothing was checked'] });
    expect(r.exitCode).toBe(97);
  });

  it('a signal during the load stops it early; the figures so far are kept, marked interrupted, no verify', async () => {
    srv = await startStandIn({ 1: 10 });
    const abort = new AbortController();
    const events: string[] = [];
    const t0 = Date.now();
    const s = scenario({ executor: 'constant-arrival-rate', rate: 200, duration: '10s', preAllocatedVUs: 5 });
    const r = await runScenario({ scenario: s, outDir: join(dir, 'interrupted'), signal: abort.signal, verify: true }, (e) => {
      events.push(e.type === 'interrupt' ? `interrupt ${e.signal} ${e.stopping}` : e.type);
      if (e.type === 'tick') abort.abort('SIGINT'); // about a second into the load
    });
    // before its 10 s duration, however slow the machine: only the signal can end it sooner
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(events).toContain('interrupt SIGINT true');
    expect(srv.received).toBeGreaterThan(50);
    expect(r.report.metrics.http_reqs.count).toBe(srv.received);
    expect(r.report.interrupted).toEqual({ signal: 'SIGINT', during: 'load' });
    expect(r.report.harness.valid).toBe(false);
    expect(r.report.harness.reasons[0]).toMatch(/^interrupted by SIGINT after \d+\.\d s of 10\.0 s planned: the run is incomplete$/);
    expect(r.report.verdict).toBeUndefined();
    expect(r.exitCode).toBe(97);
  });
});
