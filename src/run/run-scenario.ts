import { join, resolve } from 'node:path';
import { makeOutputDir, missingFolders, removeEmptyFolders } from '../output-path.js';
import { LEDGER_FILE } from '../model/ledger-record.js';
import type { RunEvent, RunInput, RunResult } from './run-input.js';
import { RunControl } from './run-control.js';
import { newRunId, planRun } from './plan/plan.js';
import { readyTarget, startStand, stopStand, type Stand } from './stand/stand.js';
import { runLoad } from './load/load-phase.js';
import { finishRun } from './finish/finish.js';

/**
 * Run one scenario end to end, phase by phase: plan (scenario, shard, thresholds, faults), stand
 * (optional bundled server or chaos stand, template setup), load (probe, executor, faults),
 * finish (report with harness validity and thresholds, ledger, optional verify).
 * Never prints: progress and results are events and the returned value.
 */
export async function runScenario(input: RunInput, events?: (e: RunEvent) => void): Promise<RunResult> {
  const emit = events ?? ((): void => undefined);
  const plan = await planRun(input);
  const runId = input.runId ?? newRunId(plan.scenario.name);
  const runDir = resolve(input.outDir ?? join(input.reportsDir ?? 'reports', runId));
  const madeFolders = missingFolders(runDir);
  await makeOutputDir(runDir);
  const ledgerPath = join(runDir, LEDGER_FILE);

  const control = new RunControl(input.signal, emit);
  const stand: Stand = {};
  let loadStarted = false;
  let refusedBeforeLoad = false;
  try {
    const at = await startStand(input, plan, runDir, stand, emit);
    const url = await readyTarget(input, plan, at, control);
    plan.scenario = { ...plan.scenario, target: url.origin };
    loadStarted = true;
    const load = await runLoad({ input, plan, runId, runDir, ledgerPath, url, chaos: stand.chaos, ownTarget: stand.ownTarget, control, emit });
    // The service the run started stops before the audit (SIGTERM: whatever it holds, it may write now).
    await stand.ownTarget?.stopTarget();
    const { report, reportPath } = await finishRun({ input, plan, runId, runDir, url, stores: at.stores, control, load });
    emit({ type: 'done', report, reportPath });
    return { report, runDir, reportPath, ledgerPath, exitCode: report.exitCode };
  } catch (err) {
    refusedBeforeLoad = !loadStarted;
    throw err;
  } finally {
    control.close();
    await stopStand(stand);
    // A refusal (a template not fresh or missing, a setup error) leaves no empty run folder behind.
    if (refusedBeforeLoad) removeEmptyFolders(madeFolders);
  }
}
