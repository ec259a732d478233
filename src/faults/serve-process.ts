import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CouponBenchError } from '../errors.js';

/** The CLI entry (from dist/faults/ and from src/faults/ alike). */
const BIN = fileURLToPath(new URL('../../bin/coupon-bench.js', import.meta.url));
const READY_TIMEOUT_MS = 20_000;

/** Options of {@link startServeProcess}: the stores and the fixed port every restart reuses. */
export interface ServeProcessOptions {
  port: number;
  redisUrl: string;
  dbUrl: string;
  prefix: string;
  /** passed through (`--wait-for-db`): a restart while the database is cut must still come up */
  waitForDb?: boolean;
}

/**
 * `coupon-bench serve` as a child process the run owns, on one port across restarts, so the load
 * generator's target stays the same when a fault kills it and a new one takes its place.
 */
export interface ServeProcess {
  readonly url: string;
  readonly pid: number | undefined;
  /** SIGKILL the server (no drain, no goodbye), wait until it is gone. */
  kill(): Promise<void>;
  /** Start a new server on the same port and stores; resolves once it listens. */
  start(): Promise<void>;
  /** SIGUSR2: the server kills its persister worker as a crash would (and restarts it). */
  killPersister(): void;
  /** SIGTERM (drain), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Start the server child and wait for its "listening" line. */
export async function startServeProcess(opts: ServeProcessOptions): Promise<ServeProcess> {
  let child: ChildProcess | undefined;
  let log = '';
  // One consumer name across restarts: the new server re-reads at once what the killed one had read
  // and not acknowledged, instead of claiming it after the persister's idle time (30 s).
  const consumer = `chaos-${process.pid}-${opts.port}`;
  const args = ['serve', '--port', String(opts.port), '--redis', opts.redisUrl, '--db', opts.dbUrl, '--prefix', opts.prefix, '--consumer', consumer, ...(opts.waitForDb ? ['--wait-for-db'] : [])];
  const start = async (): Promise<void> => {
    const c = spawn(process.execPath, [BIN, ...args], {
      // The IPC channel carries nothing: its closing tells the server this run is gone.
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, COUPON_BENCH_FAULT_HOOKS: '1', NO_COLOR: '1' },
    });
    child = c;
    log = '';
    const keep = (d: Buffer): void => {
      log = (log + d.toString()).slice(-4000);
    };
    c.stderr?.on('data', keep);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        c.kill('SIGKILL');
        reject(new CouponBenchError('E_SERVE_START', `the served process did not listen within ${READY_TIMEOUT_MS} ms: ${log.trim()}`));
      }, READY_TIMEOUT_MS);
      let out = '';
      const onOut = (d: Buffer): void => {
        out += d.toString();
        if (out.includes('listening on ')) {
          clearTimeout(timer);
          c.stdout?.off('data', onOut);
          c.stdout?.resume();
          resolve();
        }
      };
      c.stdout?.on('data', onOut);
      c.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new CouponBenchError('E_SERVE_START', `the served process exited during start (${signal ?? `code ${code}`}): ${log.trim()}`));
      });
    });
    c.removeAllListeners('exit');
  };
  await start();
  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    const c = child;
    if (!c) return;
    const gone = exited(c);
    c.kill(signal);
    await gone;
  };
  // A run that dies leaves no server behind.
  const onExit = (): void => void child?.kill('SIGKILL');
  process.once('exit', onExit);
  return {
    url: `http://127.0.0.1:${opts.port}`,
    get pid() {
      return child?.pid;
    },
    kill: () => kill('SIGKILL'),
    start,
    killPersister(): void {
      child?.kill('SIGUSR2');
    },
    async stop(graceMs = 15_000): Promise<void> {
      const c = child;
      process.removeListener('exit', onExit);
      if (!c) return;
      const timer = setTimeout(() => c.kill('SIGKILL'), graceMs);
      await kill('SIGTERM');
      clearTimeout(timer);
    },
  };
}
