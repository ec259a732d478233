import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { CouponBenchError } from '../errors.js';
import { startPipeWatchdog } from '../shared/pipe-watchdog.js';

/** Options of {@link startTargetProcess}. */
export interface TargetProcessOptions {
  /** the shell command that starts the service (`--target-cmd`) */
  command: string;
  cwd?: string;
  /** any HTTP answer here means ready (`--target-ready`, default the target URL) */
  readyUrl: string;
  /** stdout and stderr of every start are appended here */
  logPath: string;
  /** how long a start may take before it is a failure */
  readyTimeoutMs?: number;
}

/**
 * The user's service as a process group the run owns: started by `sh -c`, stopped as a group, so
 * whatever the command starts goes with it. A watchdog outside the group stops the group when the
 * run dies without stopping it (even by SIGKILL).
 */
export interface TargetProcess {
  /** the process group id (the shell's pid) of the current start */
  readonly pgid: number | undefined;
  /** Start (again) and wait until the ready URL answers. */
  start(): Promise<void>;
  /** SIGKILL the group and wait until it is gone. */
  kill(): Promise<void>;
  /** SIGSTOP / SIGCONT the group. */
  pause(): void;
  resume(): void;
  /** SIGTERM the group, SIGKILL after `graceMs`, wait until it is gone. */
  terminate(graceMs?: number): Promise<void>;
}

const DEFAULT_READY_TIMEOUT_MS = 30_000;
const DEFAULT_GRACE_MS = 10_000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Signal a whole group; false when it is gone. */
function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * True while a process of the group runs. A zombie does not count: a member whose parent died is
 * reaped by init, and where init reaps nothing (some containers) it stays a zombie for good.
 */
export function groupRunning(pgid: number): boolean {
  if (!signalGroup(pgid, 0)) return false;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return true; // no /proc: the signal probe is all there is
  }
  for (const pid of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // ended meanwhile
    }
    // pid (comm) state ppid pgrp …: comm may hold spaces and parentheses, so split after the last ')'.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z') return true;
  }
  return false;
}

/** Wait until no process of the group runs (bounded). */
async function groupGone(pgid: number, withinMs: number): Promise<boolean> {
  const until = performance.now() + withinMs;
  while (groupRunning(pgid)) {
    if (performance.now() > until) return false;
    await sleep(25);
  }
  return true;
}

/**
 * A tiny shell process, in no group of the run's, that waits on a pipe only the run writes to: the
 * kernel closes it however the run ends, and the watchdog then stops the target's group (SIGTERM,
 * SIGKILL a second later). The run kills the watchdog before it stops the group itself, so a reused
 * group id is never signalled. POSIX sh only.
 */
function startGroupWatchdog(pgid: number): ChildProcess | undefined {
  return startPipeWatchdog(`kill -TERM -${pgid} 2>/dev/null; sleep 1; kill -KILL -${pgid} 2>/dev/null`);
}

/** The last lines of the target's log, for an error message. */
function logTail(path: string): string {
  try {
    return readFileSync(path, 'utf8').slice(-600).trim();
  } catch {
    return '';
  }
}

/** Whether `url` gives any HTTP answer now (one try, 1 s at most). */
async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await res.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

/**
 * Refuse to start when something already answers at the ready URL: that answer would pass for the
 * new start's, and the run would load (and judge) another process holding the port.
 */
async function refuseBusyReadyUrl(url: string): Promise<void> {
  if (await answers(url)) {
    throw new CouponBenchError('E_TARGET_START', `--target-cmd: ${url} already answers before the command started: another process holds that port (stop it, or give the service another port)`);
  }
}

/** Poll `url` until it gives any HTTP answer; rejects when the process exits or time runs out. */
async function waitReady(url: string, child: ChildProcess, timeoutMs: number, logPath: string): Promise<void> {
  const until = performance.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new CouponBenchError('E_TARGET_START', `--target-cmd exited during start (${child.signalCode ?? `code ${child.exitCode}`}): ${logTail(logPath) || 'no output'}`);
    }
    if (await answers(url)) return;
    if (performance.now() > until) {
      throw new CouponBenchError('E_TARGET_START', `--target-cmd: ${url} gave no HTTP answer within ${timeoutMs / 1000} s: ${logTail(logPath) || 'no output'}`);
    }
    await sleep(100);
  }
}

/** Start the service's command in its own process group and wait until it is ready. */
export async function startTargetProcess(opts: TargetProcessOptions): Promise<TargetProcess> {
  let child: ChildProcess | undefined;
  let watchdog: ChildProcess | undefined;
  // Whether the current group may still run: once it is gone its id may be reused, never signalled.
  let live = false;
  const stopWatchdog = (): void => {
    watchdog?.kill('SIGKILL');
    watchdog = undefined;
  };
  const onExit = (): void => {
    stopWatchdog();
    if (live && child?.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
  };
  process.once('exit', onExit);

  const start = async (): Promise<void> => {
    await refuseBusyReadyUrl(opts.readyUrl);
    const log = openSync(opts.logPath, 'a');
    try {
      const c = spawn('sh', ['-c', opts.command], { cwd: opts.cwd, stdio: ['ignore', log, log], detached: true });
      child = c;
      c.on('error', () => undefined);
      if (c.pid === undefined) throw new CouponBenchError('E_TARGET_START', `--target-cmd: could not start sh -c ${JSON.stringify(opts.command)}`);
      const pgid = c.pid;
      live = true;
      const guard = startGroupWatchdog(pgid);
      watchdog = guard;
      // A group that ended (by itself too) takes its own watchdog along, never a later start's.
      c.once('exit', () =>
        void groupGone(pgid, 5000).then((gone) => {
          if (!gone) return;
          guard?.kill('SIGKILL');
          if (child === c) {
            live = false;
            if (watchdog === guard) watchdog = undefined;
          }
        }),
      );
    } finally {
      closeSync(log);
    }
    try {
      await waitReady(opts.readyUrl, child, opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS, opts.logPath);
    } catch (err) {
      await stopGroup('SIGKILL', 0);
      throw err;
    }
  };

  const stopGroup = async (signal: NodeJS.Signals, graceMs: number): Promise<void> => {
    const c = child;
    if (c?.pid === undefined) return;
    stopWatchdog();
    signalGroup(c.pid, 'SIGCONT'); // a paused group cannot act on SIGTERM
    signalGroup(c.pid, signal);
    if (!(await groupGone(c.pid, graceMs))) {
      signalGroup(c.pid, 'SIGKILL');
      await groupGone(c.pid, 5000);
    }
    live = false;
  };

  await start();
  return {
    get pgid() {
      return child?.pid;
    },
    start,
    kill: () => stopGroup('SIGKILL', 5000),
    pause(): void {
      if (live && child?.pid !== undefined) signalGroup(child.pid, 'SIGSTOP');
    },
    resume(): void {
      if (live && child?.pid !== undefined) signalGroup(child.pid, 'SIGCONT');
    },
    terminate: (graceMs = DEFAULT_GRACE_MS) => stopGroup('SIGTERM', graceMs),
  };
}
