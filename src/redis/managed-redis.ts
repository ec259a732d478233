import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CouponBenchError, MissingDependencyError } from '../errors.js';
import { folderProblem } from '../output-path.js';
import { startPipeWatchdog } from '../shared/pipe-watchdog.js';

/** A private redis-server this process started and owns. */
export interface ManagedRedis {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  readonly pid: number | undefined;
  /** Stop it (SIGTERM, then SIGKILL after a grace period) and, unless kept, remove its folder. */
  stop(opts?: { keepDir?: boolean }): Promise<void>;
  /** Kill it abruptly (fault injection); the folder stays so a restart finds its data. */
  kill(): Promise<void>;
  /** Start it again on the same port and folder (after stop/kill with keepDir). */
  restart(): Promise<void>;
}

/** Options of {@link startManagedRedis}. */
export interface ManagedRedisOptions {
  /**
   * Data folder, created if missing and kept on stop, so a restart (even after a SIGKILL) replays
   * the append-only file; a new temporary one when omitted (removed on stop). One redis-server a
   * folder: starting a second one on a folder in use fails (E_REDIS_DIR_IN_USE).
   */
  readonly dir?: string;
  /** TCP port on 127.0.0.1; a free one when omitted. */
  readonly port?: number;
  /** Persist with an append-only file so a restart keeps templates and issued coupons (default true). */
  readonly appendOnly?: boolean;
  /**
   * When the append-only file is fsynced (default `everysec`). `always` writes it before any reply
   * goes out: with `everysec` a busy disk lets Redis answer while the write waits (up to 2 s) for
   * the previous fsync, and a SIGKILL then loses writes it had acknowledged.
   */
  readonly appendFsync?: 'everysec' | 'always';
  /** redis-server binary; `redis-server` from PATH by default. */
  readonly binary?: string;
}

/** What to do when redis-server is missing, ending with `instead` (what else the user can do). */
export function redisInstallHint(instead: string): string {
  return `redis-server was not found on PATH. Install it (Debian/Ubuntu: \`apt-get install redis-server\`, macOS: \`brew install redis\`) ${instead}.`;
}

/** True when a redis-server binary can be run. */
export function hasRedisServer(binary = 'redis-server'): boolean {
  const r = spawnSync(binary, ['--version'], { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

/** Ask the kernel for a free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      if (child.exitCode !== null) {
        reject(new CouponBenchError('E_REDIS_START', `redis-server exited with code ${child.exitCode} while starting`));
        return;
      }
      const sock = connect(port, '127.0.0.1');
      sock.once('connect', () => {
        sock.end();
        resolve();
      });
      sock.once('error', () => {
        sock.destroy();
        if (Date.now() > deadline) reject(new CouponBenchError('E_REDIS_START', `redis-server did not listen on ${port} within ${timeoutMs} ms`));
        else setTimeout(attempt, 20);
      });
    };
    attempt();
  });
}

/**
 * A tiny shell process that SIGKILLs the redis-server once its owner is gone. The exit hook covers a
 * normal exit; a SIGKILLed (or crashed) owner runs no hook, and its private Redis would live on.
 * The watchdog waits on a pipe whose only writer is the owner: the kernel closes it however the
 * owner ends, so the watchdog wakes at once and never mistakes a new process for its owner (no pid
 * polling). The owner kills the watchdog first whenever its redis stops, so a reused redis pid is
 * never the target either. POSIX sh only.
 */
function startWatchdog(redisPid: number): ChildProcess | undefined {
  // no sh: the exit hook still covers normal exits
  return startPipeWatchdog(`kill -9 ${redisPid} 2>/dev/null`);
}

const PIDFILE = 'redis.pid';

/**
 * Refuse a data folder another live redis-server uses (its pid file names a running redis-server):
 * two servers appending to one append-only file would corrupt it. A pid file left by a killed one is
 * stale and ignored.
 */
function assertFolderFree(dir: string): void {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dir, PIDFILE), 'utf8').trim());
  } catch {
    return; // no pid file: free
  }
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return;
  try {
    process.kill(pid, 0);
  } catch {
    return; // gone
  }
  let cmd = '';
  try {
    cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    cmd = 'redis-server'; // no /proc: trust the pid file
  }
  if (!cmd.includes('redis-server')) return; // the pid was reused by something else
  throw new CouponBenchError(
    'E_REDIS_DIR_IN_USE',
    `the Redis data folder ${dir} is in use by redis-server pid ${pid} (is another coupon-bench serve running on the same database?)`,
  );
}

/** Start a private redis-server bound to 127.0.0.1 on its own port and data folder. */
export async function startManagedRedis(opts: ManagedRedisOptions = {}): Promise<ManagedRedis> {
  const binary = opts.binary ?? 'redis-server';
  if (!hasRedisServer(binary)) throw new MissingDependencyError(redisInstallHint('or pass --redis <url>'));
  const ownsDir = opts.dir === undefined;
  if (opts.dir !== undefined) {
    const why = folderProblem(opts.dir);
    if (why !== undefined) throw new CouponBenchError('E_REDIS_DIR', `cannot use ${opts.dir} as the Redis data folder: ${why}`);
    assertFolderFree(opts.dir);
  }
  // Absolute: redis-server changes into --dir before it opens the log and pid files.
  const dir = opts.dir !== undefined ? resolve(opts.dir) : mkdtempSync(join(tmpdir(), 'coupon-bench-redis-'));
  const port = opts.port ?? (await freePort());
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--save', '',
    '--appendonly', opts.appendOnly === false ? 'no' : 'yes',
    '--appendfsync', opts.appendFsync ?? 'everysec',
    '--protected-mode', 'yes',
    '--daemonize', 'no',
    '--logfile', join(dir, 'redis.log'),
    '--pidfile', join(dir, PIDFILE),
  ];
  let child: ChildProcess;
  let watchdog: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    // Its own process group: a terminal's Ctrl-C goes to the owner, which drains and then stops this
    // redis itself (the watchdog covers an owner that dies without doing so).
    child = spawn(binary, args, { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    if (child.pid !== undefined) {
      const guard = startWatchdog(child.pid);
      watchdog = guard;
      // A redis that ends by itself takes its watchdog along: its pid may be reused.
      child.once('exit', () => guard?.kill('SIGKILL'));
    }
    await waitForPort(port, child, 5000);
  };
  const stopChild = async (signal: NodeJS.Signals): Promise<void> => {
    const c = child;
    // First the watchdog: once this redis is gone its pid may be reused.
    watchdog?.kill('SIGKILL');
    watchdog = undefined;
    if (c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
      c.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      c.kill(signal);
    });
  };
  await launch();
  const stopOnExit = (): void => {
    child.kill('SIGKILL');
    watchdog?.kill('SIGKILL');
  };
  process.once('exit', stopOnExit);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    get pid() {
      return child.pid;
    },
    async stop({ keepDir = false } = {}) {
      await stopChild('SIGTERM');
      process.removeListener('exit', stopOnExit);
      if (ownsDir && !keepDir) rmSync(dir, { recursive: true, force: true });
    },
    async kill() {
      await stopChild('SIGKILL');
    },
    async restart() {
      await stopChild('SIGTERM');
      await launch();
    },
  };
}
