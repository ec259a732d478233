import { spawn } from 'node:child_process';
import type { HookOutcome } from '../model/fault.js';

/** How long a hook may run before it is killed (its group, SIGKILL). */
export const HOOK_TIME_LIMIT_MS = 30_000;
/** How much of a hook's output the report keeps (the end). */
const OUTPUT_KEPT = 2000;

/**
 * Run a `--fault-hook` command (`sh -c`, in its own process group, in `cwd`) to its end or the time
 * limit, whichever comes first; its exit code and the end of its output (stdout and stderr in the
 * order written) are the outcome. Never throws: a hook that cannot start has exit code 127.
 */
export function runHook(name: string, command: string, opts: { cwd?: string; timeLimitMs?: number } = {}): Promise<HookOutcome> {
  const limit = opts.timeLimitMs ?? HOOK_TIME_LIMIT_MS;
  return new Promise((resolve) => {
    let output = '';
    let timedOut = false;
    const keep = (d: Buffer): void => {
      output = (output + d.toString()).slice(-OUTPUT_KEPT);
    };
    const child = spawn('sh', ['-c', command], { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, limit);
    child.once('error', (err) => {
      output = err.message;
      finish(127);
    });
    let done = false;
    const finish = (code: number | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ name, exitCode: timedOut ? null : code, timedOut, output: output.trim() });
    };
    child.once('close', finish);
    // Something the hook left running in another session may hold its output open: the exit is enough.
    child.once('exit', (code) => setTimeout(() => finish(code), 200).unref());
  });
}
