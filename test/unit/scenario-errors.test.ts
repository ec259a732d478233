import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyOverrides, loadScenario, validateScenario } from '../../src/run/plan/scenario.js';
import { UsageError } from '../../src/errors.js';
import { closestWord } from '../../src/shared/did-you-mean.js';

const base = loadScenario('seed-k6');

/** The message of the UsageError a scenario patch gets. */
function refusal(patch: object): string {
  try {
    validateScenario({ ...base, ...patch }, 'x.json');
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('expected a UsageError');
}

function tempFile(name: string, text: string): string {
  const p = join(mkdtempSync(join(tmpdir(), 'cb-scn-err-')), name);
  writeFileSync(p, text);
  return p;
}

describe('scenario errors', () => {
  it('a field with several accepted forms gets one line listing them', () => {
    const msg = refusal({ thinkTime: '100 ms' });
    const lines = msg.split('\n').filter((l) => l.includes('thinkTime'));
    expect(lines).toEqual(['  - thinkTime must be a duration such as "500ms", "10s", "1m30s" or a number of seconds']);
    expect(msg).not.toMatch(/must be string|must be number|must match/);
    // the same for a threshold item (string or object)
    expect(refusal({ thresholds: { http_req_duration: [5] } })).toMatch(
      /thresholds\.http_req_duration\.0 must be an expression such as "p\(95\)<200" or an object \{"threshold"/,
    );
  });

  it('user-id generators: the errors of the generator the type names, or the known types', () => {
    expect(refusal({ users: { type: 'uniform', min: 1 } })).toMatch(/^x\.json: invalid scenario:\n {2}- users is missing the required field "max"$/);
    expect(refusal({ users: { type: 'unifrom', min: 1, max: 2 } })).toMatch(
      /users\.type must be one of "uniform", "sequential", "zipf", "list" \(did you mean "uniform"\?\)/,
    );
    expect(refusal({ users: 5 })).toMatch(/users must be uniform: random ids from min to max or sequential/);
  });

  it('unknown fields and enum values get the nearest name', () => {
    expect(refusal({ thinktime: '1s' })).toMatch(/unknown field "thinktime" \(did you mean "thinkTime"\?\)/);
    expect(refusal({ vsu: 3 })).toMatch(/unknown field "vsu" \(did you mean "vus"\?\)/);
    expect(refusal({ executor: 'constant-vu' })).toMatch(/executor must be one of .* \(did you mean "constant-vus"\?\)/);
    expect(refusal({ templates: [{ id: 1, stok: 3 }] })).toMatch(/templates\.0 has an unknown field "stok" \(did you mean "stock"\?\)/);
    // nothing near: no guess
    expect(refusal({ zzzzzzzz: 1 })).not.toMatch(/did you mean/);
  });

  it('JSON errors give the line and column', () => {
    const p = tempFile('broken.json', '{\n  "name": "x",\n  "vus": 1,\n}\n');
    expect(() => loadScenario(p)).toThrow(/^broken\.json:4:1: not valid JSON: /);
    const cut = tempFile('cut.json', '{\n  "name": "x"');
    expect(() => loadScenario(cut)).toThrow(/^cut\.json:2:14: not valid JSON: /);
  });

  it('an unknown bundled name gets the nearest one', () => {
    expect(() => loadScenario('seed-k5')).toThrow(/cannot read scenario seed-k5: ENOENT \(did you mean "seed-k6"\?\) \(bundled scenarios: /);
    expect(() => loadScenario('flashcrowd')).toThrow(/did you mean "flash-crowd"/);
  });

  it('a k6 script is not run: the error points to the k6 table', () => {
    const p = tempFile('script.js', "import http from 'k6/http';\nexport default function () {}\n");
    try {
      loadScenario(p);
      throw new Error('expected a refusal');
    } catch (e) {
      expect((e as UsageError).code).toBe('E_SCENARIO_IS_SCRIPT');
      expect((e as Error).message).toMatch(/k6 scripts are not run.*docs\/scenarios\.md, "From k6"/);
    }
    // the table it names exists
    expect(readFileSync(new URL('../../docs/scenarios.md', import.meta.url), 'utf8')).toMatch(/^## From k6$/m);
  });

  it('--target without a scheme blames the flag', () => {
    expect(() => applyOverrides(base, { target: 'localhost:8080' })).toThrow(/^--target: "localhost:8080" must start with http:\/\/ or https:\/\/ \(did you mean http:\/\/localhost:8080\?\)$/);
    expect(() => applyOverrides(base, { target: 'ftp://h' })).toThrow(/^--target: "ftp:\/\/h" must start with http/);
  });

  it('closestWord only guesses typos', () => {
    expect(closestWord('duraton', ['duration', 'vus'])).toBe('duration');
    expect(closestWord('abc', ['duration', 'vus'])).toBeUndefined();
  });
});

describe('scenario schema', () => {
  const schema = JSON.parse(readFileSync(new URL('../../scenarios/scenario.schema.json', import.meta.url), 'utf8')) as object;

  /** Every property of every object in the schema, with its path. */
  function properties(node: unknown, path: string, out: Array<{ path: string; node: Record<string, unknown> }>): void {
    if (Array.isArray(node)) node.forEach((n, i) => properties(n, `${path}[${i}]`, out));
    else if (typeof node === 'object' && node !== null) {
      const n = node as Record<string, unknown>;
      if (typeof n['properties'] === 'object') {
        for (const [k, v] of Object.entries(n['properties'] as object)) out.push({ path: `${path}.${k}`, node: v as Record<string, unknown> });
      }
      // the executor conditions (allOf/if) restate fields, they do not declare them
      for (const [k, v] of Object.entries(n)) if (k !== 'if') properties(v, `${path}/${k}`, out);
    }
  }

  it('every field has a description', () => {
    const all: Array<{ path: string; node: Record<string, unknown> }> = [];
    properties(schema, '', all);
    expect(all.length).toBeGreaterThan(50);
    expect(all.filter((p) => typeof p.node['description'] !== 'string' || p.node['description'] === '').map((p) => p.path)).toEqual([]);
  });
});
