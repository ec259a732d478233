import { spawn, type ChildProcess } from 'node:child_process';

/**
 * A tiny detached shell process that waits on a pipe only its owner writes to, then runs `act`
 * (a POSIX sh command). The kernel closes the pipe however the owner ends (a SIGKILL included), so
 * the watchdog wakes at once and never mistakes a new process for its owner. It never keeps the
 * owner alive. Undefined when no sh could be started.
 */
export function startPipeWatchdog(act: string): ChildProcess | undefined {
  try {
    const w = spawn('sh', ['-c', `cat >/dev/null; ${act}`], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
    w.on('error', () => undefined);
    w.stdin?.on('error', () => undefined);
    w.unref();
    (w.stdin as (NodeJS.WritableStream & { unref?: () => void }) | null)?.unref?.();
    return w;
  } catch {
    return undefined;
  }
}
