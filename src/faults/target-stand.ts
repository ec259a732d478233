import { join } from 'node:path';
import { CouponBenchError, UsageError } from '../errors.js';
import type { AnyFaultKind } from '../model/fault.js';
import type { FaultOutcome } from './chaos-faults.js';
import type { FaultSpec } from './fault-spec.js';
import { runHook } from './run-hook.js';
import { isLoopbackHost, type HookSpec, type ProxySpec } from './target-flags.js';
import { startTargetProcess, type TargetProcess } from './target-process.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

/** The user's own service as the run sees it: `--target` and what the run may start and break. */
export interface TargetSetup {
  /** `--target` */
  url: string;
  /** `--target-cmd`: the run starts (and owns) the service */
  command?: string;
  /** `--target-ready` (default: the target URL) */
  readyUrl?: string;
  /** `--target-cwd` */
  cwd?: string;
  proxies: ProxySpec[];
  hooks: HookSpec[];
}

/** The target's process, its proxies and hooks, as a fault runner drives them. */
export interface TargetStand {
  inject(f: FaultSpec, sleep: (ms: number) => Promise<void>): Promise<FaultOutcome>;
  /** Stop the service (SIGTERM, SIGKILL after the grace time); idempotent. */
  stopTarget(): Promise<void>;
  /** Stop the service, then the proxies; idempotent. */
  stop(): Promise<void>;
}

/** Target faults on the service's process, which need --target-cmd. */
const PROCESS_FAULTS: ReadonlySet<AnyFaultKind> = new Set(['kill-target', 'pause-target', 'restart-target']);
const PROXY_FAULTS: ReadonlySet<AnyFaultKind> = new Set(['cut', 'slow', 'drop']);
/** The log of the service's output, in the run folder. */
export const TARGET_LOG = 'target.log';

/**
 * Check the target faults against what the run owns, before anything starts: process faults need
 * --target-cmd, proxy faults a --proxy of that name, hook faults a --fault-hook of that name, and
 * neither process nor proxy faults touch a target that is not on this machine.
 */
export function checkTargetFaults(faults: readonly FaultSpec[], setup: TargetSetup): void {
  let host: string;
  try {
    host = new URL(setup.url).hostname;
  } catch {
    throw new UsageError(`--target: "${setup.url}" is not a URL (e.g. http://127.0.0.1:8080)`);
  }
  const local = isLoopbackHost(host);
  for (const f of faults) {
    if (PROCESS_FAULTS.has(f.kind)) {
      if (!local) throw new UsageError(`--fault ${f.kind}: --target ${host} is not loopback; process faults only touch a service on this machine (use a --fault-hook)`, 'E_FAULT');
      if (setup.command === undefined) throw new UsageError(`--fault ${f.kind}: the run did not start the service: give --target-cmd (without it only proxy faults and hook faults are allowed)`, 'E_FAULT');
    } else if (PROXY_FAULTS.has(f.kind)) {
      if (!local) throw new UsageError(`--fault ${f.kind}:${f.name ?? ''}: --target ${host} is not loopback; proxy faults only touch a service on this machine`, 'E_FAULT');
      if (!setup.proxies.some((p) => p.name === f.name)) {
        throw new UsageError(`--fault ${f.kind}:${f.name ?? ''}: no --proxy ${f.name ?? ''}=LISTEN->UPSTREAM${setup.proxies.length ? ` (proxies: ${setup.proxies.map((p) => p.name).join(', ')})` : ''}`, 'E_FAULT');
      }
    } else if (f.kind === 'hook') {
      if (!setup.hooks.some((h) => h.name === f.name)) {
        throw new UsageError(`--fault hook:${f.name ?? ''}: no --fault-hook ${f.name ?? ''}='<command>'${setup.hooks.length ? ` (hooks: ${setup.hooks.map((h) => h.name).join(', ')})` : ''}`, 'E_FAULT');
      }
    }
  }
}

/** Hold a state (a cut proxy, a paused group) for `ms`, then restore it, whatever happens meanwhile. */
async function hold(sleep: (ms: number) => Promise<void>, ms: number, enter: () => void, leave: () => void): Promise<number> {
  enter();
  try {
    await sleep(ms);
  } finally {
    leave();
  }
  return performance.now();
}

/** Start the proxies, then the service (it may connect through them at start), and wait until it is ready. */
export async function startTargetStand(setup: TargetSetup, runDir: string): Promise<TargetStand> {
  const proxies = new Map<string, TcpProxy>();
  let target: TargetProcess | undefined;
  let targetStopped = false;
  const stopTarget = async (): Promise<void> => {
    if (targetStopped) return;
    targetStopped = true;
    await target?.terminate();
  };
  const stop = async (): Promise<void> => {
    await stopTarget().catch(() => undefined);
    for (const p of proxies.values()) await p.close().catch(() => undefined);
    proxies.clear();
  };
  try {
    for (const p of setup.proxies) {
      try {
        proxies.set(p.name, await startTcpProxy({ host: p.listen.host, port: p.listen.port, target: p.upstream }));
      } catch (err) {
        throw new CouponBenchError('E_PROXY', `--proxy ${p.name}: cannot listen on ${p.listen.host}:${p.listen.port} (${(err as Error).message})`);
      }
    }
    if (setup.command !== undefined) {
      target = await startTargetProcess({
        command: setup.command,
        readyUrl: setup.readyUrl ?? setup.url,
        logPath: join(runDir, TARGET_LOG),
        ...(setup.cwd !== undefined ? { cwd: setup.cwd } : {}),
      });
    }
  } catch (err) {
    await stop();
    throw err;
  }

  const inject = async (f: FaultSpec, sleep: (ms: number) => Promise<void>): Promise<FaultOutcome> => {
    const dur = f.durationMs ?? 0;
    const proxy = f.name !== undefined ? proxies.get(f.name) : undefined;
    switch (f.kind) {
      case 'kill-target':
      case 'restart-target': {
        const t = target as TargetProcess;
        const old = t.pgid;
        if (f.kind === 'kill-target') await t.kill();
        else await t.terminate();
        const endedAt = performance.now();
        await t.start();
        const how = f.kind === 'kill-target' ? 'killed (SIGKILL to the group)' : 'stopped (SIGTERM to the group)';
        return { endedAt, detail: `target process group ${old} ${how}, group ${t.pgid} started and answered` };
      }
      case 'pause-target': {
        const t = target as TargetProcess;
        const endedAt = await hold(sleep, dur, () => t.pause(), () => t.resume());
        return { endedAt, detail: `target process group ${t.pgid} stopped (SIGSTOP) for ${dur} ms, then continued` };
      }
      case 'cut': {
        const endedAt = await hold(sleep, dur, () => proxy?.cut(), () => proxy?.restore());
        return { endedAt, detail: `proxy ${f.name} cut for ${dur} ms (connections reset, new ones refused)` };
      }
      case 'drop': {
        const endedAt = await hold(sleep, dur, () => proxy?.drop(), () => proxy?.restore());
        return { endedAt, detail: `proxy ${f.name} a black hole for ${dur} ms (bytes swallowed; those connections reset after)` };
      }
      case 'slow': {
        const latency = f.latencyMs ?? 0;
        const endedAt = await hold(sleep, dur, () => proxy?.setLatency(latency), () => proxy?.setLatency(0));
        return { endedAt, detail: `proxy ${f.name} delayed every chunk by ${latency} ms for ${dur} ms` };
      }
      case 'hook': {
        const hook = setup.hooks.find((h) => h.name === f.name) as HookSpec;
        const t0 = performance.now();
        const out = await runHook(hook.name, hook.command, setup.cwd !== undefined ? { cwd: setup.cwd } : {});
        const endedAt = performance.now();
        const how = out.timedOut ? 'killed at its time limit' : `exited ${out.exitCode}`;
        return { endedAt, detail: `hook ${hook.name} ${how} after ${Math.round(endedAt - t0)} ms`, hook: out };
      }
      default:
        throw new CouponBenchError('E_FAULT', `fault ${f.kind} acts on the bundled server (--serve), not on --target`);
    }
  };
  return { inject, stopTarget, stop };
}
