import { describe, expect, it } from 'vitest';
import { checkSchedule, parseFaultArg } from '../../src/faults/fault-spec.js';
import { faultLabel, holdsLoad, runFaults, type FaultStand } from '../../src/faults/fault-runner.js';
import { FaultBands } from '../../src/faults/fault-bands.js';
import { validateScenario } from '../../src/run/plan/scenario.js';
import type { ResponseSample } from '../../src/load/recorder.js';

const code = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (err) {
    return `${(err as { code?: string }).code}: ${(err as Error).message}`;
  }
  return undefined;
};

describe('fault schedule syntax', () => {
  it('parses kind@at[+duration][:latency] and prints it back the same way', () => {
    expect(parseFaultArg('kill-serve@3s')).toEqual({ kind: 'kill-serve', atMs: 3000 });
    expect(parseFaultArg('pause-redis@2s+1500ms')).toEqual({ kind: 'pause-redis', atMs: 2000, durationMs: 1500 });
    expect(parseFaultArg('slow-db@1s+3s:200ms')).toEqual({ kind: 'slow-db', atMs: 1000, durationMs: 3000, latencyMs: 200 });
    for (const s of ['kill-serve@3s', 'pause-redis@2s+1500ms', 'slow-db@1s+3s:200ms', 'db-outage@500ms+2s']) expect(faultLabel(parseFaultArg(s))).toBe(s);
  });

  it('refuses what cannot be meant, with code E_FAULT and the flag named', () => {
    expect(code(() => parseFaultArg('kill-server@3s'))).toMatch(/^E_FAULT: --fault kill-server@3s: unknown fault "kill-server" \(one of kill-serve, /);
    expect(code(() => parseFaultArg('kill-serve'))).toMatch(/^E_FAULT: .*kind\[:name\]@at/);
    expect(code(() => parseFaultArg('kill-serve@3s+1s'))).toMatch(/^E_FAULT: .*instant; it takes no duration/);
    expect(code(() => parseFaultArg('pause-redis@2s'))).toMatch(/^E_FAULT: .*give its duration/);
    expect(code(() => parseFaultArg('slow-db@1s+2s'))).toMatch(/^E_FAULT: .*slow-db needs its added latency/);
    expect(code(() => parseFaultArg('db-outage@1s+2s:5ms'))).toMatch(/^E_FAULT: .*only slow-db and slow take a latency/);
    expect(code(() => parseFaultArg('pause-redis@soon+1s'))).toMatch(/^E_FAULT: .*not a duration/);
    expect(code(() => parseFaultArg('pause-redis@1s+10m'))).toMatch(/^E_FAULT: .*longer than the 120 s/);
  });

  it('checks the schedule against the run: inside the load, one fault at a time', () => {
    expect(code(() => checkSchedule([parseFaultArg('kill-serve@5s')], 4000))).toMatch(/^E_FAULT: .*begins after the load ends \(4000 ms\)/);
    expect(code(() => checkSchedule([parseFaultArg('pause-redis@1s+2s'), parseFaultArg('kill-serve@2s')], 10_000))).toMatch(/overlap: one fault at a time/);
    expect(code(() => checkSchedule([parseFaultArg('pause-redis@1s+1s'), parseFaultArg('kill-serve@2s')], 10_000))).toBeUndefined();
  });

  it('scenario faults are schema-checked and field-named', () => {
    const base = { name: 'f', executor: 'constant-vus', vus: 1, duration: '5s', users: { type: 'sequential', start: 1 }, templates: [{ id: 1, stock: 1 }] };
    expect(validateScenario({ ...base, faults: [{ fault: 'slow-db', at: '1s', for: '1s', latency: '50ms' }] }, 's.json').faults).toHaveLength(1);
    expect(code(() => validateScenario({ ...base, faults: [{ fault: 'nap-redis', at: '1s' }] }, 's.json'))).toMatch(/^E_SCENARIO_INVALID: s\.json: invalid scenario:\n {2}- faults\.0\.fault must be one of "kill-serve"/);
    expect(code(() => validateScenario({ ...base, faults: [{ fault: 'pause-redis', at: '1s' }] }, 's.json'))).toMatch(/^E_SCENARIO_INVALID: s\.json: faults\[0\]: pause-redis lasts a while/);
    expect(code(() => validateScenario({ ...base, faults: [{ fault: 'kill-serve', at: '1s', extra: 1 }] }, 's.json'))).toMatch(/^E_SCENARIO_INVALID/);
  });
});

describe('fault bands', () => {
  const sample = (sent: number, end: number, outcome: ResponseSample['outcome'], status: number): ResponseSample =>
    ({ sent, intended: sent, end, outcome, status, templateId: 1, userId: 1 }) as ResponseSample;

  it('counts the requests a fault touched and the time until issuance answered again', () => {
    let t0 = 1000;
    const bands = new FaultBands(() => t0);
    const i = bands.begin('kill-serve', 'kill-serve@1s', 2000);
    bands.observe(sample(1900, 1990, 'issued', 200)); // ended before the fault: not in it
    bands.observe(sample(1950, 2005, 'unknown', 0)); // in flight when it began
    bands.end(i, 2100, { detail: 'killed' });
    bands.observe(sample(2050, 2300, 'unknown', 503)); // sent during the fault
    bands.observe(sample(2150, 2400, 'unknown', 0)); // after: not yet recovered
    bands.observe(sample(2200, 2600, 'sold_out', 400)); // recovered: issuance answered
    bands.observe(sample(2300, 2700, 'issued', 200));
    t0 = 1000;
    const [b] = bands.result(3000);
    expect(b).toMatchObject({ fault: 'kill-serve', startMs: 1000, endMs: 1100, requests: 2, unknown: 2, errors: 2, errorRate: 1, recoveryMs: 500, detail: 'killed' });
    expect(b?.p99Ms).toBeGreaterThan(200);
  });

  it('a fault never recovered from has no recovery time, and data loss is kept', () => {
    const bands = new FaultBands(() => 0);
    const i = bands.begin('restart-redis', 'restart-redis@1s', 1000);
    bands.end(i, 1010, { dataLost: 'template 1: 5 → 0' });
    bands.observe(sample(1500, 1600, 'unknown', 503));
    const [b] = bands.result(2000);
    expect(b?.recoveryMs).toBeUndefined();
    expect(b?.dataLost).toBe('template 1: 5 → 0');
    expect(b?.requests).toBe(0);
  });
});

describe('faults one after another, each given the time to recover', () => {
  const issued = (at: number): ResponseSample => ({ sent: at, intended: at, end: at + 1, outcome: 'issued', status: 200, templateId: 1, userId: 1 }) as ResponseSample;
  /** A stand whose faults are lifted at once; it notes, as each begins, whether band 0 had recovered. */
  function stand(bands: FaultBands): { stand: FaultStand; seen: boolean[] } {
    const seen: boolean[] = [];
    return { seen, stand: { inject: () => (seen.push(bands.recovered(0)), Promise.resolve({ endedAt: performance.now(), detail: 'done' })) } };
  }
  const specs = [parseFaultArg('kill-serve@1ms'), parseFaultArg('kill-persister@2ms')];

  it('the next fault waits for the band before it to recover; its band begins when it really began', async () => {
    const bands = new FaultBands(() => 0);
    const { stand: s, seen } = stand(bands);
    const progress = { left: 2 };
    const t0 = performance.now();
    const run = runFaults(specs, s, bands, { start: () => t0, over: () => false, progress });
    // band 0 recovers (an issuance answer to a request sent after it was lifted) only once it was
    const deadline = Date.now() + 10_000;
    while (progress.left === 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(progress.left).toBe(1);
    await new Promise((r) => setTimeout(r, 30)); // time for a runner that does not wait to begin the second (then: seen [false, false])
    const at = performance.now();
    bands.observe(issued(at));
    await run;
    expect(seen).toEqual([false, true]);
    expect(progress.left).toBe(0);
    const [, second] = bands.result(performance.now());
    expect(second?.startMs).toBeGreaterThanOrEqual(Math.round(at * 10) / 10);
  });

  it('a band that never recovers holds the next fault back no longer than the recovery wait', async () => {
    const bands = new FaultBands(() => 0);
    const { stand: s, seen } = stand(bands);
    const t0 = performance.now();
    await runFaults(specs, s, bands, { start: () => t0, over: () => false, recoveryWaitMs: 20 });
    expect(seen).toEqual([false, false]);
    expect(bands.result(performance.now()).map((b) => b.recoveryMs)).toEqual([undefined, undefined]);
  });

  it('the load goes on past its end while a fault is to begin or a band to recover, up to the wait', () => {
    const bands = new FaultBands(() => 0);
    const progress = { left: 1 };
    let now = 1000;
    const hold = holdsLoad(bands, progress, () => now, 500);
    expect(hold()).toBe(true); // a fault still to begin
    progress.left = 0;
    const i = bands.begin('kill-serve', 'kill-serve@1s', 1100);
    bands.end(i, 1110);
    now = 1200;
    expect(hold()).toBe(true); // its band not recovered yet
    bands.observe(issued(1300));
    expect(hold()).toBe(false);
    const j = bands.begin('kill-serve', 'kill-serve@2s', 1400);
    bands.end(j, 1410);
    expect(hold()).toBe(true);
    now = 1500; // 500 ms after it was first asked: "never"
    expect(hold()).toBe(false);
  });
});
