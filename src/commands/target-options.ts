import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import type { TargetSetup } from '../faults/target-stand.js';
import { collect } from './parse-options.js';

/** The flags of a target the run owns, as commander parsed them (run and chaos alike). */
export interface TargetFlags {
  target?: string;
  targetCmd?: string;
  targetReady?: string;
  targetCwd?: string;
  proxy: string[];
  faultHook: string[];
  dbQuery?: string;
  db?: string;
}

/** Add `--target-cmd`, `--target-ready`, `--target-cwd`, `--proxy`, `--fault-hook` and `--db-query` to a command. */
export function addTargetOptions(cmd: Command): Command {
  return cmd
    .option('--target-cmd <shell>', 'with --target: start your service with this shell command (own process group, output in the run folder, SIGTERM then SIGKILL at the end); allows kill-target, pause-target, restart-target')
    .option('--target-ready <url>', 'with --target-cmd: the service is ready once this URL gives any HTTP answer (default: the target)')
    .option('--target-cwd <dir>', 'with --target-cmd: its working folder (default: the current one)')
    .option('--proxy <name=listen->upstream>', 'with --target: a loopback TCP proxy the run owns, e.g. db=127.0.0.1:13306->127.0.0.1:3306; point your service at listen; allows cut:NAME, slow:NAME, drop:NAME (repeatable)', collect, [])
    .option('--fault-hook <name=shell>', "with --target: a command a hook:NAME@T fault runs (time limit 30 s; its exit code and output go in the report), e.g. failover='./promote.sh' (repeatable)", collect, [])
    .option('--db-query <sql>', "another team's SQL returning user id, coupon id [, seq] for a template (:template, $1 or ?), for verify (needs --db)");
}

function httpUrl(value: string, flag: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new UsageError(`${flag}: "${value}" is not a URL (e.g. http://127.0.0.1:8080/healthz)`, 'E_USAGE');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`${flag}: "${value}" must be http:// or https://`, 'E_USAGE');
  return u.toString();
}

/**
 * Check the target flags together and turn them into the run's target setup: undefined when the
 * run owns nothing of the target (no --target-cmd, --proxy or --fault-hook).
 */
export async function targetSetupOf(flags: TargetFlags): Promise<TargetSetup | undefined> {
  if (flags.dbQuery !== undefined && flags.db === undefined) throw new UsageError('--db-query reads the rows of --db: add --db', 'E_DB_QUERY');
  const owned = flags.targetCmd !== undefined || flags.proxy.length > 0 || flags.faultHook.length > 0;
  if (flags.targetReady !== undefined && flags.targetCmd === undefined) throw new UsageError('--target-ready says when --target-cmd is ready: add --target-cmd', 'E_USAGE');
  if (flags.targetCwd !== undefined && flags.targetCmd === undefined) throw new UsageError('--target-cwd is where --target-cmd runs: add --target-cmd', 'E_USAGE');
  if (!owned) return undefined;
  if (flags.target === undefined) throw new UsageError('--target-cmd, --proxy and --fault-hook act on your service: give its URL with --target', 'E_USAGE');
  if (flags.targetCmd !== undefined && flags.targetCmd.trim() === '') throw new UsageError('--target-cmd: the command is empty', 'E_USAGE');
  const { parseProxyFlag, parseHookFlag, checkUniqueNames } = await import('../faults/target-flags.js');
  const proxies = flags.proxy.map(parseProxyFlag);
  const hooks = flags.faultHook.map(parseHookFlag);
  checkUniqueNames(proxies, hooks);
  let cwd: string | undefined;
  if (flags.targetCwd !== undefined) {
    cwd = resolve(flags.targetCwd);
    let isDir = false;
    try {
      isDir = statSync(cwd).isDirectory();
    } catch {
      // reported below
    }
    if (!isDir) throw new UsageError(`--target-cwd: ${flags.targetCwd} is not a folder`, 'E_USAGE');
  }
  return {
    url: httpUrl(flags.target, '--target'),
    ...(flags.targetCmd !== undefined ? { command: flags.targetCmd } : {}),
    ...(flags.targetReady !== undefined ? { readyUrl: httpUrl(flags.targetReady, '--target-ready') } : {}),
    ...(cwd !== undefined ? { cwd } : {}),
    proxies,
    hooks,
  };
}
