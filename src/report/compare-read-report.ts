import { readFile } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import type { RunReport } from '../model/report.js';

/** Read and sanity-check a `report.json` (a usage error, exit 1, when it is not one). */
export async function readReport(path: string): Promise<RunReport> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read report ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'E_REPORT_READ');
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${path} is not JSON: ${(err as Error).message}`, 'E_REPORT_INVALID');
  }
  const r = data as Partial<RunReport> | null;
  if (!r || typeof r !== 'object' || r.version !== 1 || !r.metrics || !r.histograms || !r.scenario || !Array.isArray(r.timeline)) {
    throw new UsageError(`${path} is not a coupon-bench report (version 1 with metrics, histograms, timeline)`, 'E_REPORT_INVALID');
  }
  return r as RunReport;
}
