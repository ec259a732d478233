import { UsageError } from '../../errors.js';
import type { RunReport } from '../../model/report.js';
import { DEFAULT_PREFIX } from '../../redis/keys.js';
import type { RunningServer } from '../../server/serve-options.js';
import type { ChaosStand } from '../../faults/chaos-stand.js';
import type { TargetStand } from '../../faults/target-stand.js';
import type { RunInput, RunEvent } from '../run-input.js';
import type { RunPlan } from '../plan/plan.js';
import type { RunControl } from '../run-control.js';
import { foreignFlagsOf } from '../../model/foreign-stores.js';
import { freshServedDb } from './served-db.js';

const DEFAULT_TARGET = 'http://127.0.0.1:8080';

/**
 * What a run starts and must stop: the bundled server (worker thread) for `--serve`, or the chaos
 * stand (a served child process on a private Redis, behind proxies) for `--serve` with faults, or
 * the user's own service with its proxies and hooks (`--target-cmd`, `--proxy`, `--fault-hook`).
 */
export interface Stand {
  server?: RunningServer;
  chaos?: ChaosStand;
  ownTarget?: TargetStand;
}

/** The target a run loads and the stores verify must audit. */
export interface StandTarget {
  target: string;
  stores: RunReport['stores'] | undefined;
}

/**
 * Start what `--serve` asks for, recording it in `stand` as soon as it runs (so the caller stops it
 * whatever happens next). Without `--serve`, the scenario's target and the stores of the flags.
 */
export async function startStand(input: RunInput, plan: RunPlan, runDir: string, stand: Stand, emit: (e: RunEvent) => void): Promise<StandTarget> {
  const target = plan.scenario.target ?? DEFAULT_TARGET;
  const stores: RunReport['stores'] | undefined = input.stores ? { ...input.stores, source: 'flags' } : undefined;
  if (input.serve && plan.faults.length > 0) {
    const { startChaosStand } = await import('../../faults/chaos-stand.js');
    const given = input.stores ?? {};
    const dbUrl = given.db ?? freshServedDb(runDir);
    stand.chaos = await startChaosStand({
      runDir,
      dbUrl,
      prefix: given.prefix ?? DEFAULT_PREFIX,
      ...(given.redis !== undefined ? { redisUrl: given.redis } : {}),
      ...(input.redisAppendOnly !== undefined ? { appendOnly: input.redisAppendOnly } : {}),
      kinds: new Set(plan.faults.map((f) => f.kind)),
      templateIds: plan.scenario.templates.map((t) => t.id),
    });
    const served: NonNullable<RunReport['stores']> = { redis: given.redis ?? stand.chaos.redisUrl, db: dbUrl, prefix: stand.chaos.prefix, source: 'serve', ...foreignFlagsOf(given) };
    emit({ type: 'server', url: stand.chaos.url, stores: served });
    return { target: stand.chaos.url, stores: served };
  }
  if (input.ownTarget) {
    const { startTargetStand } = await import('../../faults/target-stand.js');
    stand.ownTarget = await startTargetStand(input.ownTarget, runDir);
    return { target, stores };
  }
  if (input.serve) {
    const { startServedTarget } = await import('./served-target.js');
    // The store flags are the served server's own; without them, a private Redis and SQLite in the run folder.
    const given = input.stores ?? {};
    const dbUrl = given.db ?? freshServedDb(runDir);
    stand.server = await startServedTarget({
      host: '127.0.0.1',
      port: 0,
      dbUrl,
      prefix: given.prefix ?? DEFAULT_PREFIX,
      ...(given.redis !== undefined ? { redisUrl: given.redis } : {}),
      ...input.serveOptions,
    });
    // The URLs as given: the server reports its database URL without the password verify needs.
    const served: NonNullable<RunReport['stores']> = { redis: given.redis ?? stand.server.redisUrl, db: dbUrl, prefix: stand.server.prefix, source: 'serve', ...foreignFlagsOf(given) };
    emit({ type: 'server', url: stand.server.url, stores: served });
    return { target: stand.server.url, stores: served };
  }
  return { target, stores };
}

/**
 * The target as a URL, its templates ready: created through the admin API (`--serve`, `--setup`),
 * or, when the flags name the stores for the audit and nothing created them, checked fresh.
 */
export async function readyTarget(input: RunInput, plan: RunPlan, at: StandTarget, control: RunControl): Promise<URL> {
  let url: URL;
  try {
    url = new URL(at.target);
  } catch {
    throw new UsageError(`--target: "${at.target}" is not a URL (e.g. http://127.0.0.1:8080)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--target: "${at.target}" must be http:// or https://`);
  if (at.stores?.source === 'flags' && !control.interrupted) {
    const { assertStoresReadable } = await import('./fresh-templates.js');
    await assertStoresReadable(at.stores);
  }
  if ((input.serve || input.setup) && !control.interrupted) {
    const { setupTemplates } = await import('./setup-templates.js');
    await setupTemplates(url.origin, plan.scenario.templates, { adminToken: input.adminToken, flag: input.serve ? '--serve' : '--setup' });
  } else if (!control.interrupted) {
    if (at.stores?.source === 'flags' && !plan.sharded) {
      // The stores are named for the audit but nothing created the templates: they must be fresh
      // too. (A shard may start after another one issued: merge's audit covers the whole.)
      const { assertStoresFresh } = await import('./fresh-templates.js');
      await assertStoresFresh(at.stores, plan.scenario.templates.map((t) => t.id), input.dbQuery);
    }
    // Nothing created the templates either: one the target does not know fails now, not after a run
    // of 404s. Only on the bundled contract: another service's API has no template route to ask.
    if (input.probeTemplates && plan.scenario.request === undefined && plan.scenario.answers === undefined) {
      const { assertTemplatesExist } = await import('./template-probe.js');
      await assertTemplatesExist(url.origin, plan.scenario.templates.map((t) => t.id));
    }
  }
  return url;
}

/** Stop whatever the run started (the bundled server, the chaos stand, the user's own service). */
export async function stopStand(stand: Stand): Promise<void> {
  await stand.server?.stop();
  await stand.chaos?.stop();
  await stand.ownTarget?.stop();
}
