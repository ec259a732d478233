import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFailed } from 'vitest';

/** The built CLI entry (`npm test` builds before vitest runs). */
export const BIN = fileURLToPath(new URL('../../bin/coupon-bench.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Of a long output, the last `max` characters (where the error is). */
const tail = (s: string, max = 4000): string => (s.length > max ? `…${s.slice(-max)}` : s);

/**
 * When the test that ran the command fails, print what the command wrote to stderr (and how it
 * ended): an assertion on an exit code or on stdout alone says nothing about why.
 */
function showOnFailure(args: string[], cwd: string | undefined, seen: () => { code: number | null; stderr: string; ended: boolean }): void {
  try {
    onTestFailed(() => {
      const r = seen();
      process.stderr.write(`\n--- coupon-bench ${args.join(' ')} (${r.ended ? `exit ${r.code}` : 'still running'}), its stderr:\n${tail(r.stderr) || '(empty)'}\n${harnessOf(args, cwd)}---\n`);
    });
  } catch {
    // not inside a test (a beforeAll): no test to attach the output to
  }
}

/** What a run's report says went wrong (exit 97 and 99 say no more under --quiet), if it wrote one. */
function harnessOf(args: string[], cwd: string | undefined): string {
  const out = args[args.indexOf('--out') + 1];
  if (!args.includes('--out') || out === undefined) return '';
  try {
    const report = JSON.parse(readFileSync(resolve(cwd ?? '.', out, 'report.json'), 'utf8')) as {
      harness?: { valid?: boolean; reasons?: string[] };
      thresholds?: Array<{ metric: string; expression: string; ok: boolean; actual?: unknown }>;
      outcomes?: Record<string, number>;
    };
    const failed = (report.thresholds ?? []).filter((t) => !t.ok).map((t) => `${t.metric} ${t.expression} (actual ${JSON.stringify(t.actual)})`);
    return [
      report.harness?.valid === false ? `report.json: harness invalid: ${(report.harness.reasons ?? []).join('; ')}\n` : '',
      failed.length > 0 ? `report.json: thresholds failed: ${failed.join('; ')}; outcomes ${JSON.stringify(report.outcomes)}\n` : '',
    ].join('');
  } catch {
    return '';
  }
}

/** Run `coupon-bench <args>` to completion, killing it after `timeoutMs` so a test never hangs. */
export function runCli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    showOnFailure(args, opts.cwd, () => ({ code: child.exitCode, stderr, ended: child.exitCode !== null || child.signalCode !== null }));
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

/** A spawned CLI still running: wait for its output, signal it, then await how it ended. */
export interface RunningCli {
  child: ReturnType<typeof spawn>;
  /** resolves once stderr or stdout matches (rejects after `timeoutMs`) */
  waitFor(re: RegExp, timeoutMs?: number): Promise<void>;
  /** how it ended: exit code, or the signal that ended it */
  ended: Promise<CliResult & { signal: NodeJS.Signals | null }>;
}

/** Start `coupon-bench <args>` without waiting for it (killed after `timeoutMs` so a test never hangs). */
export function spawnCli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): RunningCli {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  showOnFailure(args, opts.cwd, () => ({ code: child.exitCode, stderr, ended: child.exitCode !== null || child.signalCode !== null }));
  const waiters: Array<() => void> = [];
  const onData = (): void => waiters.splice(0).forEach((w) => w());
  child.stdout.on('data', (d: Buffer) => ((stdout += d.toString()), onData()));
  child.stderr.on('data', (d: Buffer) => ((stderr += d.toString()), onData()));
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
  const ended = new Promise<CliResult & { signal: NodeJS.Signals | null }>((done) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      onData();
      done({ code, signal, stdout, stderr });
    });
  });
  const waitFor = (re: RegExp, timeoutMs = 20_000): Promise<void> =>
    new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no ${String(re)} within ${timeoutMs} ms:\n${stdout}\n${stderr}`)), timeoutMs);
      const check = (): void => {
        if (re.test(stderr) || re.test(stdout)) {
          clearTimeout(t);
          resolve();
        } else if (child.exitCode !== null || child.signalCode !== null) {
          clearTimeout(t);
          reject(new Error(`ended before ${String(re)}:\n${stdout}\n${stderr}`));
        } else waiters.push(check);
      };
      check();
    });
  return { child, waitFor, ended };
}
