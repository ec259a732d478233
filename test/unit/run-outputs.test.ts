import { describe, expect, it } from 'vitest';
import { parseTemplateIds, splitOutFlags } from '../../src/commands/run-outputs.js';
import { fillEnv, mergedEnv, parseEnvFlags } from '../../src/run/plan/scenario-env.js';
import { expectedStatusTable } from '../../src/model/http-req-failed.js';

describe('run flags of k6 and re-runs', () => {
  it('--out: one folder and k6 json=FILE, nothing else of k6', () => {
    expect(splitOutFlags(['runs/a', 'json=s.json'])).toEqual({ dir: 'runs/a', k6Json: 's.json' });
    expect(splitOutFlags(['runs/a=b'])).toEqual({ dir: 'runs/a=b' });
    expect(() => splitOutFlags(['csv=x.csv'])).toThrow(/--out csv=x\.csv: k6's csv output is not written; --out json=FILE/);
    expect(() => splitOutFlags(['a', 'b'])).toThrow(/two run folders/);
    expect(() => splitOutFlags(['json='])).toThrow(/give a file name/);
  });

  it('--template-ids: positive ids, none twice', () => {
    expect(parseTemplateIds('7,8')).toEqual([7, 8]);
    expect(() => parseTemplateIds('7,x')).toThrow(/"x" is not a template id/);
    expect(() => parseTemplateIds('7,0')).toThrow(/"0" is not a template id/);
    expect(() => parseTemplateIds('7,7')).toThrow(/given twice/);
  });

  it('-e KEY=VALUE over the environment; {env.NAME} filled or refused', () => {
    const flags = parseEnvFlags(['A=1', 'B=x=y', 'A=2']);
    expect(flags).toEqual({ A: '2', B: 'x=y' });
    expect(() => parseEnvFlags(['=1'])).toThrow(/expected KEY=VALUE/);
    expect(() => parseEnvFlags(['NOEQUALS'])).toThrow(/expected KEY=VALUE/);
    const env = mergedEnv(flags, { A: 'env', C: '3' });
    expect(env).toMatchObject({ A: '2', B: 'x=y', C: '3' });
    expect(fillEnv('http://{env.C}/{env.A}', env, 'target')).toBe('http://3/2');
    expect(() => fillEnv('{env.NOPE}', env, 'x.json: target')).toThrow(/x\.json: target: \{env\.NOPE\} names the environment variable NOPE, which is not set/);
  });

  it("expectedStatuses: numbers and ranges, k6's way; no answer is never expected", () => {
    const t = expectedStatusTable([{ min: 200, max: 299 }, 404]);
    expect([200, 250, 299, 404].map((s) => t[s])).toEqual([1, 1, 1, 1]);
    expect([0, 199, 300, 400, 500].map((s) => t[s])).toEqual([0, 0, 0, 0, 0]);
  });
});
