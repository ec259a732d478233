import { UsageError } from '../errors.js';
import type { RunEvent } from '../run/run-input.js';
import type { RunReport } from '../model/report.js';

/** `--out` values split: the run folder, and k6's `json=FILE` sample output. */
export interface RunOutputs {
  dir?: string;
  k6Json?: string;
}

/** k6 output kinds that `--out kind=…` might name; only json is written. */
const K6_OUTPUT = /^([a-z][a-z0-9-]*)=(.*)$/;

/**
 * `--out` (repeatable): a folder for the run (report.json, ledger), or k6's `json=FILE` (the JSON
 * lines of every sample). Another k6 output (csv=, influxdb=, …) or two folders are usage errors.
 */
export function splitOutFlags(values: readonly string[]): RunOutputs {
  const out: RunOutputs = {};
  for (const v of values) {
    const k6 = K6_OUTPUT.exec(v);
    if (k6) {
      if (k6[1] !== 'json') throw new UsageError(`--out ${v}: k6's ${k6[1]} output is not written; --out json=FILE writes k6's JSON lines (and --out <dir> the run folder)`, 'E_USAGE');
      if (!k6[2]) throw new UsageError('--out json=: give a file name, e.g. --out json=samples.json', 'E_USAGE');
      if (out.k6Json !== undefined) throw new UsageError(`--out json= is given twice (${out.k6Json}, ${k6[2]})`, 'E_USAGE');
      out.k6Json = k6[2];
    } else {
      if (out.dir !== undefined) throw new UsageError(`--out names two run folders (${out.dir}, ${v})`, 'E_USAGE');
      out.dir = v;
    }
  }
  return out;
}

/** `--template-ids 7,8`: positive integer ids, comma-separated, none twice. */
export function parseTemplateIds(v: string): number[] {
  const ids = v.split(',').map((s) => s.trim());
  const bad = ids.find((s) => !/^[1-9]\d*$/.test(s) || !Number.isSafeInteger(Number(s)));
  if (bad !== undefined) throw new UsageError(`--template-ids ${v}: "${bad}" is not a template id (positive integers, e.g. --template-ids 7,8)`, 'E_USAGE');
  if (new Set(ids).size !== ids.length) throw new UsageError(`--template-ids ${v}: an id is given twice`, 'E_USAGE');
  return ids.map(Number);
}

/**
 * The k6 JSON-lines writer of `--out json=FILE`, fed by the run's events (a `start` opens it,
 * `response` and `tick` write samples); `close` flushes it. undefined without that flag.
 */
export async function k6JsonSink(file: string | undefined): Promise<{ onEvent: (e: RunEvent) => void; close: () => Promise<void> } | undefined> {
  if (file === undefined) return undefined;
  const [{ K6JsonOut }, { DEFAULT_CHECKS }] = await Promise.all([import('../report/k6-json-out.js'), import('../model/scenario.js')]);
  let out: InstanceType<typeof K6JsonOut> | undefined;
  return {
    onEvent: (e) => {
      if (e.type === 'start') {
        const checks = e.scenario.checks && e.scenario.checks.length > 0 ? e.scenario.checks : DEFAULT_CHECKS;
        out = new K6JsonOut(file, e.scenario, checks, `${e.target}${e.scenario.path ?? '/api/coupons/issue'}`);
      } else if (e.type === 'response') out?.response(e.sample);
      else if (e.type === 'tick') out?.vus(performance.now(), e.tick.inFlight);
    },
    close: async () => {
      await out?.close();
    },
  };
}

/** `--summary-export FILE`: the report in k6's summary-export JSON shape. */
export async function writeSummaryExport(file: string, report: RunReport): Promise<void> {
  const [{ k6SummaryExport }, { writeOutputFile }] = await Promise.all([import('../report/k6-summary.js'), import('../output-path.js')]);
  await writeOutputFile(file, JSON.stringify(k6SummaryExport(report), null, 2) + '\n');
}
