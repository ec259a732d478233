import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/shared/duration.js';
import { applyOverrides, loadScenario, validateScenario } from '../../src/run/plan/scenario.js';
import { UsageError } from '../../src/errors.js';

describe('scenarios', () => {
  it.each(['seed-k6', 'flash-crowd', 'duplicate-storm', 'multi-template', 'burst', 'adversarial'])('bundled %s is valid', (name) => {
    const s = loadScenario(name);
    expect(s.name).toBe(name);
    expect(s.templates.length).toBeGreaterThan(0);
  });

  it('seed-k6 reproduces the original k6 test', () => {
    const s = loadScenario('seed-k6');
    expect(s).toMatchObject({
      executor: 'constant-vus',
      vus: 100,
      duration: '10s',
      thinkTime: '100ms',
      users: { type: 'uniform', min: 1, max: 100 },
      templates: [{ id: 1, stock: 10 }],
      checks: [{ name: 'status is 200 or 400', status: [200, 400] }],
    });
  });

  it('a bad file names the field and why', () => {
    const base = loadScenario('seed-k6');
    const bad = (patch: object): string => {
      try {
        validateScenario({ ...base, ...patch }, 'x.json');
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        return (e as Error).message;
      }
      throw new Error('expected a UsageError');
    };
    expect(bad({ vus: 0 })).toMatch(/vus must be >= 1/);
    expect(bad({ executor: 'constant-vu' })).toMatch(/executor must be one of .*constant-vus/);
    expect(bad({ vsu: 3 })).toMatch(/unknown field "vsu"/);
    expect(bad({ duration: '10 seconds' })).toMatch(/duration/);
    expect(bad({ templates: [{ id: 1 }] })).toMatch(/templates\.0 is missing the required field "stock"/);
    expect(bad({ users: { type: 'uniform', min: 5, max: 1 } })).toMatch(/users.min/);
    expect(bad({ executor: 'constant-arrival-rate', rate: undefined })).toMatch(/missing the required field "rate"/);
  });

  it('a file that is not JSON is a usage error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-scn-'));
    const p = join(dir, 'broken.json');
    writeFileSync(p, '{ nope');
    expect(() => loadScenario(p)).toThrow(/broken.json:1:3: not valid JSON/);
    expect(() => loadScenario(join(dir, 'missing.json'))).toThrow(/cannot read scenario/);
    // an unknown bare name lists the bundled scenarios
    expect(() => loadScenario('no-such-scenario')).toThrow(/bundled scenarios: .*flash-crowd.*seed-k6/);
  });

  it('flags override the file', () => {
    const s = applyOverrides(loadScenario('seed-k6'), { vus: 20, duration: '2s', stock: 3, seed: 9, target: 'http://127.0.0.1:1' });
    expect(s).toMatchObject({ vus: 20, duration: '2s', seed: 9, target: 'http://127.0.0.1:1', templates: [{ id: 1, stock: 3 }] });
    expect(() => applyOverrides(loadScenario('seed-k6'), { rate: 10 })).toThrow(/closed-model/);
    const ramp = applyOverrides(loadScenario('multi-template'), { rate: 1000 });
    expect(Math.max(...(ramp.stages ?? []).map((st) => st.target))).toBe(1000);
  });

  it('--duration scales the stages of a ramping scenario proportionally', () => {
    const base = loadScenario('multi-template');
    const baseMs = (base.stages ?? []).map((st) => parseDuration(st.duration));
    const s = applyOverrides(base, { duration: '3s' });
    const ms = (s.stages ?? []).map((st) => parseDuration(st.duration));
    expect(ms.reduce((a, b) => a + b, 0)).toBe(3000);
    const total = baseMs.reduce((a, b) => a + b, 0);
    ms.forEach((d, i) => expect(Math.abs(d - ((baseMs[i] as number) * 3000) / total)).toBeLessThanOrEqual(1));
    expect((s.stages ?? []).map((st) => st.target)).toEqual((base.stages ?? []).map((st) => st.target));
    expect(s.startRate).toBe(base.startRate);
    const ramp = applyOverrides({ ...base, executor: 'ramping-vus', startVUs: 1, stages: [{ duration: '1s', target: 5 }, { duration: '3s', target: 5 }] }, { duration: '8s' });
    expect((ramp.stages ?? []).map((st) => parseDuration(st.duration))).toEqual([2000, 6000]);
    expect(() => applyOverrides(base, { duration: '0s' })).toThrow(/--duration/);
  });

  it('--duration on a burst is refused: its requests leave at one instant', () => {
    expect(() => applyOverrides(loadScenario('burst'), { duration: '5s' })).toThrow(/--duration: burst releases all its requests at one instant/);
    expect(applyOverrides(loadScenario('burst'), { vus: 50 }).requests).toBe(50);
  });
});
